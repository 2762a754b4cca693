//! Thin server functions over `service`; a form arrives as one struct (`ItemForm`).

use leptos::prelude::*;

use super::{ActionItemPage, ItemForm, ItemQuery};
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

/// A word from a form's select: absent or empty keeps `None`, an unknown one is refused
/// beside its field (the API refuses it too).
#[cfg(feature = "ssr")]
fn chosen<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    message: &str,
) -> Result<Option<T>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(word) => parse(word)
            .map(Some)
            .ok_or_else(|| AppError::invalid(field, message)),
    }
}

/// The item's fields from a form, its owner already resolved.
#[cfg(feature = "ssr")]
fn fields(form: ItemForm, owner_id: Option<i64>) -> Result<ItemFields, AppError> {
    Ok(ItemFields {
        kind: chosen(
            "kind",
            form.kind.as_deref(),
            ItemKind::parse,
            "Choose a type.",
        )?,
        priority: chosen(
            "priority",
            form.priority.as_deref(),
            Priority::parse,
            "Choose a priority.",
        )?,
        status: chosen(
            "status",
            form.status.as_deref(),
            ItemStatus::parse,
            "Choose a status.",
        )?
        .unwrap_or(ItemStatus::Open),
        due_on: due_date(form.due_on.as_deref())?,
        title: form.title,
        description: form.description.unwrap_or_default(),
        owner_id,
        wont_do_reason: form.wont_do_reason.unwrap_or_default(),
        tracker_url: form.tracker_url.unwrap_or_default(),
    })
}

/// The owner a form names: the search field (`owner`, empty for nobody) or, from the API
/// and older forms, `owner_id`.
#[cfg(feature = "ssr")]
async fn owner_of(
    db: &impl sea_orm::ConnectionTrait,
    user: &crate::accounts::CurrentUser,
    form: &ItemForm,
) -> Result<Option<i64>, AppError> {
    match &form.owner {
        Some(text) => resolve_person(db, user, "owner_id", text).await,
        None => Ok(form.owner_id.as_deref().and_then(|o| o.trim().parse().ok())),
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
    #[server(default)] form: ItemForm,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let owner_id = owner_of(&state.db, &user, &form).await?;
        // A new item is open: the add form has no status.
        let form = ItemForm {
            status: None,
            wont_do_reason: None,
            ..form
        };
        service::create_action_item(&state.db, &user, reference, fields(form, owner_id)?).await?;
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
    #[server(default)] form: ItemForm,
    return_to: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let owner_id = owner_of(&state.db, &user, &form).await?;
        service::update_action_item(&state.db, &user, id, fields(form, owner_id)?, version).await?;
        redirect_form_post(&back(return_to, "/action-items".into()));
        Ok(())
    }
    .await;
    with_status(result.map_err(|e: AppError| e.for_item(id)))
}

/// The action items page, or one incident's items (`ItemQuery`).
#[server(prefix = "/rpc", endpoint = "list_action_items")]
pub async fn list_action_items(
    #[server(default)] query: ItemQuery,
) -> Result<ActionItemPage, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let ItemQuery {
        owner,
        status,
        service,
        overdue,
        incident,
        page,
    } = query;
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
        after: None,
    };
    // "Overdue" turns over at the viewer's midnight, not UTC's.
    let today = crate::time::ViewerZone::from_request()
        .local(chrono::Utc::now())
        .date();
    with_status(service::list_action_items(&state.db, &filter, today).await)
}
