//! Thin server functions over `service`; arguments mirror the forms' fields.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use super::ActionItemPage;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service::{self, ItemFields},
    super::{ActionItemFilter, ItemKind, ItemStatus, Priority},
    crate::accounts::Role,
    crate::choices::service::{resolve_person, resolve_service},
    crate::incidents::IncidentRef,
    crate::web::{self, redirect_form_post, with_status},
};

#[cfg(feature = "ssr")]
fn due_date(value: Option<&str>) -> Result<Option<chrono::NaiveDate>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid("due_on", "Use a date like 2026-12-01.")),
    }
}

#[cfg(feature = "ssr")]
fn fields(
    title: String,
    description: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    owner_id: Option<i64>,
    due_on: Option<String>,
    status: Option<String>,
    wont_do_reason: Option<String>,
    tracker_url: Option<String>,
) -> Result<ItemFields, AppError> {
    Ok(ItemFields {
        title,
        description: description.unwrap_or_default(),
        kind: kind.as_deref().and_then(ItemKind::parse),
        priority: priority.as_deref().and_then(Priority::parse),
        owner_id,
        due_on: due_date(due_on.as_deref())?,
        status: status
            .as_deref()
            .map(|s| {
                ItemStatus::parse(s).ok_or_else(|| AppError::invalid("status", "Choose a status."))
            })
            .transpose()?
            .unwrap_or(ItemStatus::Open),
        wont_do_reason: wont_do_reason.unwrap_or_default(),
        tracker_url: tracker_url.unwrap_or_default(),
    })
}

/// The owner a form names: the search field (`owner`, empty for nobody) or, from the API
/// and older forms, `owner_id`.
#[cfg(feature = "ssr")]
async fn owner_of(
    db: &impl sea_orm::ConnectionTrait,
    user: &crate::accounts::CurrentUser,
    owner_id: Option<String>,
    owner: Option<String>,
) -> Result<Option<i64>, AppError> {
    match owner {
        Some(text) => resolve_person(db, user, "owner_id", &text).await,
        None => Ok(owner_id.and_then(|o| o.trim().parse().ok())),
    }
}

/// Where a form post goes back to: the page it came from, if it is one of ours.
#[cfg(feature = "ssr")]
fn back(return_to: Option<String>, fallback: String) -> String {
    let public_url = crate::state::AppState::from_context()
        .map(|s| s.public_url)
        .unwrap_or_default();
    match crate::accounts::validate::return_path(return_to.as_deref(), &public_url) {
        path if path == "/" => fallback,
        path => path,
    }
}

#[server(prefix = "/rpc", endpoint = "add_action_item")]
pub async fn add_action_item(
    reference: String,
    title: String,
    description: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    owner_id: Option<String>,
    owner: Option<String>,
    due_on: Option<String>,
    tracker_url: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let owner_id = owner_of(&state.db, &user, owner_id, owner).await?;
        let fields = fields(
            title,
            description,
            kind,
            priority,
            owner_id,
            due_on,
            None,
            None,
            tracker_url,
        )?;
        service::create_action_item(&state.db, &user, reference, fields).await?;
        redirect_form_post(&format!("/incidents/{reference}#action-items"));
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "update_action_item")]
pub async fn update_action_item(
    id: i64,
    version: i32,
    title: String,
    description: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    owner_id: Option<String>,
    owner: Option<String>,
    due_on: Option<String>,
    status: Option<String>,
    wont_do_reason: Option<String>,
    tracker_url: Option<String>,
    return_to: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let owner_id = owner_of(&state.db, &user, owner_id, owner).await?;
        let fields = fields(
            title,
            description,
            kind,
            priority,
            owner_id,
            due_on,
            status,
            wont_do_reason,
            tracker_url,
        )?;
        service::update_action_item(&state.db, &user, id, fields, version).await?;
        redirect_form_post(&back(return_to, "/action-items".into()));
        Ok(())
    }
    .await;
    with_status(result)
}

/// The action items page: `owner` is `me` or a person as a search field names them (an id
/// from older links too); `service` a service's slug, name or id; `status` a status or
/// `pending`.
#[server(prefix = "/rpc", endpoint = "list_action_items")]
pub async fn list_action_items(
    owner: Option<String>,
    status: Option<String>,
    service: Option<String>,
    overdue: Option<String>,
    incident: Option<String>,
    page: Option<u64>,
) -> Result<ActionItemPage, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let owner_id = match owner.as_deref() {
        Some(text) => with_status(resolve_person(&state.db, &user, "owner", text).await)?,
        None => None,
    };
    let service_id = match service.as_deref() {
        Some(text) => with_status(resolve_service(&state.db, "service", text).await)?,
        None => None,
    };
    let filter = ActionItemFilter {
        owner_id,
        status: status.as_deref().and_then(ItemStatus::parse),
        pending: status.as_deref() == Some("pending"),
        service_id,
        overdue: overdue.is_some_and(|o| !o.is_empty() && o != "false"),
        incident: incident.as_deref().and_then(IncidentRef::parse),
        page: page.unwrap_or(1),
        id: None,
    };
    // "Overdue" turns over at the viewer's midnight, not UTC's.
    let today = crate::time::ViewerZone::from_request()
        .local(chrono::Utc::now())
        .date();
    with_status(service::list_action_items(&state.db, &filter, today).await)
}
