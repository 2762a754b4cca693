//! The incident list's server function and the filters it reads from the URL.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::incidents::{IncidentPage, ListQuery, SeverityView};

#[cfg(feature = "ssr")]
use {
    crate::accounts::Role,
    crate::choices::service as choices,
    crate::db::Writer,
    crate::incidents::service::query,
    crate::incidents::{IncidentFilter, ListCursor, PageStart, Status},
    crate::web::{self, with_status},
};

/// The short lists forms and filters offer as they are (people and services, which can
/// be many, are chosen with a search field: `crate::choices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentOptions {
    pub severities: Vec<SeverityView>,
}

#[server(prefix = "/rpc", endpoint = "incident_options")]
pub async fn get_incident_options() -> Result<IncidentOptions, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    with_status(
        query::severities(&state.db)
            .await
            .map(|severities| IncidentOptions { severities }),
    )
}

/// A filter's value, or (for a refused one) its default, with the refusal kept in
/// `invalid` for the page to show beside the field.
#[cfg(feature = "ssr")]
fn kept<T: Default>(
    invalid: &mut Vec<crate::error::FieldError>,
    result: Result<T, AppError>,
) -> Result<T, AppError> {
    match result {
        Err(AppError::Invalid(errors)) => {
            invalid.extend(errors);
            Ok(T::default())
        }
        other => other,
    }
}

/// The list's filters from the URL: the filter, and every refused one (each beside its
/// field on the page; a 422 for the CSV).
#[cfg(feature = "ssr")]
pub async fn read_filter(
    db: &impl Writer,
    user: &crate::accounts::CurrentUser,
    query: ListQuery,
) -> Result<(IncidentFilter, Vec<crate::error::FieldError>), AppError> {
    let ListQuery {
        status,
        severity,
        service,
        from,
        to,
        q,
        kind,
        field,
        value,
        after,
        before,
    } = query;
    let mut invalid = Vec::new();
    let status = kept(
        &mut invalid,
        match status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(word) => Status::parse(word)
                .map(Some)
                .ok_or_else(|| AppError::invalid("status", "Choose a status from the list.")),
        },
    )?;
    let number = |field: &'static str, text: Option<String>, message: &'static str| match text
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(id) => id
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::invalid(field, message)),
    };
    let severity_id = kept(
        &mut invalid,
        number("severity", severity, "Choose a severity from the list."),
    )?;
    let type_id = kept(
        &mut invalid,
        number("type", kind, "Choose a type from the list."),
    )?;
    let service_id = match service.as_deref() {
        Some(text) => kept(
            &mut invalid,
            choices::resolve_service(db, "service", text).await,
        )?,
        None => None,
    };
    let from = kept(
        &mut invalid,
        crate::time::parse_input("from", from.as_deref()),
    )?;
    let to = kept(&mut invalid, crate::time::parse_input("to", to.as_deref()))?;
    let field = kept(
        &mut invalid,
        crate::fields::service::field_filter(db, user, field, value).await,
    )?;
    let filter = IncidentFilter {
        status,
        severity_id,
        service_id,
        from,
        to: to.map(|t| t + chrono::Duration::days(1)),
        text: q.filter(|q| !q.trim().is_empty()),
        type_id,
        field,
        // A position that is not one of ours (an edited link) starts from the top.
        start: PageStart::from_positions(
            after.as_deref().and_then(ListCursor::parse),
            before.as_deref().and_then(ListCursor::parse),
        ),
    };
    Ok((filter, invalid))
}

#[server(prefix = "/rpc", endpoint = "list_incidents")]
pub async fn list_incidents(#[server(default)] query: ListQuery) -> Result<IncidentPage, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let result = async {
        // Every refused filter is kept and shown beside its field, with an empty list.
        let (filter, invalid) = read_filter(&state.db, &user, query).await?;
        let fields = crate::fields::service::field_labels(&state.db).await?;
        if !invalid.is_empty() {
            return Ok(IncidentPage {
                incidents: Vec::new(),
                total: 0,
                newer: None,
                older: None,
                now: chrono::Utc::now(),
                severities: query::severities(&state.db).await?,
                types: crate::incidents::service::types::list_types(&state.db, true)
                    .await?
                    .into_iter()
                    .map(|t| (t.id, t.name))
                    .collect(),
                fields,
                invalid,
            });
        }
        let mut page = query::list_incidents(&state.db, &filter).await?;
        page.fields = fields;
        Ok(page)
    }
    .await;
    with_status(result)
}
