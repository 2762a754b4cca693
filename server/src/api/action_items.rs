//! Action items: an incident's, and one item by its id. Every answer has the shape of
//! [`ActionItemView`], as the pages show items, less the owner field's form text.

use app::action_items::service::{
    ItemFields, create_action_item, get_action_item, list_action_items, update_action_item,
};
use app::action_items::{
    ActionItemFilter, ActionItemPage, ActionItemView, ItemCursor, ItemKind, ItemStatus, Priority,
};
use app::error::AppError;
use app::incidents::IncidentRef;
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{
    AfterParam, ApiJson, ApiQuery, IncidentPath, PageNumber, PageParam, Responder, Viewer,
    position, present,
};
use super::{ApiError, IncidentMissing, Refused, WriteRefused};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// An item as the API answers it: the owner is `owner` (id and name); `owner_value` is
/// the text the page's owner field is filled with, not part of the API's shape.
fn answer(item: ActionItemView) -> ActionItemView {
    ActionItemView {
        owner_value: None,
        ..item
    }
}

fn page_answer(page: ActionItemPage) -> ActionItemPage {
    ActionItemPage {
        items: page.items.into_iter().map(answer).collect(),
        ..page
    }
}

/// An incident's action items, pending first, 500 a page (by number, or after an
/// answer's `next`).
#[utoipa::path(get, path = "/api/v1/incidents/{reference}/action-items", tag = "action items",
    params(IncidentPath, PageParam, AfterParam),
    responses(
        (status = 200, description = "A page of items", body = ActionItemPage),
        IncidentMissing,
        (status = 422, description = "A bad `page` or `after`", body = ApiError),
        Refused,
    ))]
pub(super) async fn action_items(
    State(state): State<AppState>,
    _: Viewer,
    IncidentPath(reference): IncidentPath,
    PageNumber(page): PageNumber,
    ApiQuery(at): ApiQuery<AfterParam>,
) -> Result<Json<ActionItemPage>, AppError> {
    let filter = ActionItemFilter {
        incident: Some(reference),
        page,
        after: position("after", at.after.as_deref(), ItemCursor::parse)?,
        ..Default::default()
    };
    Ok(Json(page_answer(
        list_action_items(&state.db, &filter, today()).await?,
    )))
}

/// The filters of the action items page.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ItemsParams {
    /// Only this person's items.
    owner_id: Option<i64>,
    /// `open`, `in_progress`, `done`, `wont_do`, or `pending` (open or in progress).
    status: Option<String>,
    /// Only items of incidents affecting this service.
    service_id: Option<i64>,
    /// Only pending items past their due date.
    overdue: Option<bool>,
    /// Only this incident's items, like INC-12.
    #[param(value_type = Option<String>)]
    incident: Option<String>,
}

/// Action items across incidents, as the action items page lists them: pending first,
/// then by due date (undated last), 25 a page: by number (`page`), or after a position
/// (`after`, an answer's `next`; steady while items are added).
#[utoipa::path(get, path = "/api/v1/action-items", tag = "action items",
    params(ItemsParams, PageParam, AfterParam),
    responses(
        (status = 200, description = "A page of items", body = ActionItemPage),
        (status = 422, description = "A bad filter; `field` names it", body = ApiError),
        Refused,
    ))]
pub(super) async fn all_action_items(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(p): ApiQuery<ItemsParams>,
    PageNumber(page): PageNumber,
    ApiQuery(at): ApiQuery<AfterParam>,
) -> Result<Json<ActionItemPage>, AppError> {
    let status = p.status.as_deref().filter(|s| !s.is_empty());
    let filter = ActionItemFilter {
        owner_id: p.owner_id,
        status: match status {
            None | Some("pending") => None,
            Some(s) => Some(named("status", s, ItemStatus::parse)?),
        },
        pending: status == Some("pending"),
        service_id: p.service_id,
        overdue: p.overdue.unwrap_or(false),
        incident: IncidentRef::parse_field("incident", p.incident.as_deref())?,
        id: None,
        page,
        after: position("after", at.after.as_deref(), ItemCursor::parse)?,
    };
    Ok(Json(page_answer(
        list_action_items(&state.db, &filter, today()).await?,
    )))
}

/// An enum field's value, or the field's error.
fn named<T>(field: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T, AppError> {
    parse(value).ok_or_else(|| AppError::invalid(field, format!("Unknown {field}.")))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewActionItem {
    #[schema(min_length = 1)]
    title: String,
    #[serde(default)]
    description: String,
    /// Required (a missing one is the field's error, not a malformed body).
    #[schema(value_type = ItemKind, required = true)]
    kind: Option<String>,
    /// Required.
    #[schema(value_type = Priority, required = true)]
    priority: Option<String>,
    owner_id: Option<i64>,
    due_on: Option<NaiveDate>,
    #[serde(default)]
    tracker_url: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/action-items", tag = "action items",
    params(IncidentPath),
    request_body = NewActionItem,
    responses(
        (status = 201, description = "The item as added", body = ActionItemView),
        IncidentMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn add_action_item(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(new): ApiJson<NewActionItem>,
) -> Result<(StatusCode, Json<ActionItemView>), AppError> {
    let kind = new
        .kind
        .as_deref()
        .map(|k| named("kind", k, ItemKind::parse))
        .transpose()?;
    let priority = new
        .priority
        .as_deref()
        .map(|p| named("priority", p, Priority::parse))
        .transpose()?;
    let id = create_action_item(
        &state.db,
        &user,
        reference,
        ItemFields {
            title: new.title,
            description: new.description,
            kind,
            priority,
            owner_id: new.owner_id,
            due_on: new.due_on,
            tracker_url: new.tracker_url,
            ..Default::default()
        },
    )
    .await?;
    let item = get_action_item(&state.db, id, today()).await?;
    Ok((StatusCode::CREATED, Json(answer(item))))
}

/// A PATCH of an action item: only the given fields change; `version` is the one read.
#[derive(Deserialize, ToSchema)]
pub(super) struct ActionItemPatch {
    version: i32,
    title: Option<String>,
    description: Option<String>,
    #[schema(value_type = Option<ItemKind>)]
    kind: Option<String>,
    #[schema(value_type = Option<Priority>)]
    priority: Option<String>,
    /// `null` clears the owner.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    owner_id: Option<Option<i64>>,
    /// `null` clears the due date.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    due_on: Option<Option<NaiveDate>>,
    #[schema(value_type = Option<ItemStatus>)]
    status: Option<String>,
    /// Why, when the status is `wont_do`.
    wont_do_reason: Option<String>,
    tracker_url: Option<String>,
}

/// An item's id from the path: one that cannot be an id names no item.
fn item_id(value: &str) -> Result<i64, AppError> {
    value
        .parse()
        .map_err(|_| AppError::NotFound("There is no such action item.".into()))
}

#[utoipa::path(get, path = "/api/v1/action-items/{id}", tag = "action items",
    params(("id" = i64, Path, description = "The action item")),
    responses(
        (status = 200, description = "The item with its `version`", body = ActionItemView),
        (status = 404, description = "No such action item", body = ApiError),
        Refused,
    ))]
pub(super) async fn action_item(
    State(state): State<AppState>,
    _: Viewer,
    Path(id): Path<String>,
) -> Result<Json<ActionItemView>, AppError> {
    Ok(Json(answer(
        get_action_item(&state.db, item_id(&id)?, today()).await?,
    )))
}

#[utoipa::path(patch, path = "/api/v1/action-items/{id}", tag = "action items",
    params(("id" = i64, Path, description = "The action item")),
    request_body = ActionItemPatch,
    responses(
        (status = 200, description = "The item as saved", body = ActionItemView),
        (status = 404, description = "No such action item", body = ApiError),
        Refused, WriteRefused,
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    Responder(user): Responder,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ActionItemPatch>,
) -> Result<Json<ActionItemView>, AppError> {
    let current = get_action_item(&state.db, item_id(&id)?, today()).await?;
    let kind = match patch.kind.as_deref() {
        Some(k) => named("kind", k, ItemKind::parse)?,
        None => current.kind,
    };
    let priority = match patch.priority.as_deref() {
        Some(p) => named("priority", p, Priority::parse)?,
        None => current.priority,
    };
    let status = match patch.status.as_deref() {
        Some(s) => named("status", s, ItemStatus::parse)?,
        None => current.status,
    };
    let fields = ItemFields {
        title: patch.title.unwrap_or(current.title),
        description: patch.description.unwrap_or(current.description),
        kind: Some(kind),
        priority: Some(priority),
        owner_id: patch
            .owner_id
            .unwrap_or(current.owner.map(|owner| owner.id)),
        due_on: patch.due_on.unwrap_or(current.due_on),
        status,
        wont_do_reason: patch
            .wont_do_reason
            .unwrap_or(current.wont_do_reason.unwrap_or_default()),
        tracker_url: patch
            .tracker_url
            .unwrap_or(current.tracker_url.unwrap_or_default()),
    };
    update_action_item(&state.db, &user, current.id, fields, patch.version).await?;
    Ok(Json(answer(
        get_action_item(&state.db, current.id, today()).await?,
    )))
}
