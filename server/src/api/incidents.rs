//! Incidents: the list, one incident, declaring, and the writes that move one along.

use app::error::AppError;
use app::incidents::service::declare::Declaration;
use app::incidents::service::edit::Details;
use app::incidents::service::query::{PAGE_SIZE, get_incident, list_incidents};
use app::incidents::{
    IncidentFilter, IncidentRef, IncidentRole, IncidentSummary, IncidentView, ListCursor,
    PageStart, Status, Timestamps,
};
use app::state::AppState;
use app::workflow::assign_role;
use app::workflow::update_details;
use app::workflow::{
    change_severity, change_status, declare_incident, declare_incident_after_change,
};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery, IncidentPath, Responder, Viewer, position};
use super::{ApiError, IncidentMissing, Refused, WriteRefused};

/// The incident list's filters and position.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Only incidents in this status.
    #[param(value_type = Option<Status>)]
    status: Option<String>,
    /// Only this severity.
    severity_id: Option<i64>,
    /// Only incidents affecting this service.
    service_id: Option<i64>,
    /// Text in the title or summary.
    q: Option<String>,
    /// Only incidents of this type.
    type_id: Option<i64>,
    /// Only incidents whose custom field `field_id` holds `field_value` (both or neither).
    field_id: Option<i64>,
    field_value: Option<String>,
    /// The page after this position (an answer's `next`).
    after: Option<String>,
    /// The page before this position (an answer's `previous`).
    before: Option<String>,
}

/// A page of incidents.
#[derive(Serialize, ToSchema)]
pub(super) struct IncidentList {
    incidents: Vec<IncidentSummary>,
    /// Incidents a page, at most.
    #[schema(example = 25)]
    per_page: u64,
    /// Matching incidents, counted up to 1,001 only (a larger number means "more").
    total: u64,
    /// The position of the page after this one (pass it as `after`); null on the last.
    next: Option<String>,
    /// The position of the page before this one (pass it as `before`); null on the first.
    previous: Option<String>,
}

/// Incidents, open first then newest, 25 a page, paged by position: pass an answer's
/// `next` as `after` for the page after it, `previous` as `before` for the one before.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents",
    params(ListParams),
    responses(
        (status = 200, description = "A page of incidents", body = IncidentList),
        (status = 422, description = "A bad filter; `field` names it", body = ApiError),
        Refused,
    ))]
pub(super) async fn incidents(
    State(state): State<AppState>,
    Viewer(user): Viewer,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<IncidentList>, AppError> {
    let status = match p.status.as_deref() {
        None => None,
        Some(s) => {
            Some(Status::parse(s).ok_or_else(|| AppError::invalid("status", "Unknown status."))?)
        }
    };
    let filter = IncidentFilter {
        status,
        severity_id: p.severity_id,
        service_id: p.service_id,
        text: p.q.filter(|q| !q.trim().is_empty()),
        type_id: p.type_id,
        field: app::fields::service::field_filter(
            &state.db,
            &user,
            p.field_id.map(|f| f.to_string()),
            p.field_value,
        )
        .await?,
        start: PageStart::from_positions(
            position("after", p.after.as_deref(), ListCursor::parse)?,
            position("before", p.before.as_deref(), ListCursor::parse)?,
        ),
        ..Default::default()
    };
    let page = list_incidents(&state.db, &filter).await?;
    Ok(Json(IncidentList {
        incidents: page.incidents,
        per_page: PAGE_SIZE,
        total: page.total,
        next: page.older.map(|c| c.encode()),
        previous: page.newer.map(|c| c.encode()),
    }))
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}", tag = "incidents",
    params(IncidentPath),
    responses(
        (status = 200, description = "The incident with its `version`", body = IncidentView),
        IncidentMissing,
        Refused,
    ))]
pub(super) async fn incident(
    State(state): State<AppState>,
    _: Viewer,
    IncidentPath(reference): IncidentPath,
) -> Result<Json<IncidentView>, AppError> {
    Ok(Json(get_incident(&state.db, reference).await?))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewIncident {
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// Omitted: the type's default severity (an error if it has none).
    severity_id: Option<i64>,
    /// An incident type's id; omitted: the default type.
    type_id: Option<i64>,
    /// Custom field values by field id (`{"3": "EU"}`); those the type needs when
    /// declaring must be given.
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeMap<String, super::fields::FieldValue>)]
    fields: std::collections::BTreeMap<String, Option<super::fields::FieldValue>>,
    /// At least one service.
    service_ids: Vec<i64>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    customer_impact: bool,
    commander_id: Option<i64>,
    /// The id of a change suspected of causing it: linked as its suspected cause.
    suspected_change: Option<i64>,
}

/// Where a declared incident lives.
#[derive(Serialize, ToSchema)]
pub(super) struct Declared {
    reference: IncidentRef,
    /// Its page.
    #[schema(example = "/incidents/INC-42")]
    url: String,
}

#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = NewIncident,
    responses(
        (status = 201, description = "Declared; `Location` is its API address", body = Declared),
        Refused, WriteRefused,
    ))]
pub(super) async fn declare(
    State(state): State<AppState>,
    Responder(user): Responder,
    ApiJson(new): ApiJson<NewIncident>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<Declared>,
    ),
    AppError,
> {
    let declaration = Declaration {
        title: new.title,
        severity_id: new.severity_id,
        service_ids: new.service_ids,
        summary: new.summary,
        customer_impact: new.customer_impact,
        commander_id: new.commander_id,
        detected_at: None,
        type_id: new.type_id,
        fields: super::fields::entered(new.fields)?,
        unattended: false,
    };
    let created = match new.suspected_change {
        Some(change) => {
            declare_incident_after_change(&state.db, &user, declaration, change).await?
        }
        None => declare_incident(&state.db, &user, declaration).await?,
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/incidents/{created}"))],
        Json(Declared {
            reference: created,
            url: format!("/incidents/{created}"),
        }),
    ))
}

/// An incident after a write: what changed and the version the next write names.
#[derive(Serialize, ToSchema)]
pub(super) struct Written {
    reference: IncidentRef,
    status: Status,
    /// The severity's name.
    severity: String,
    version: i32,
}

async fn written(state: &AppState, reference: IncidentRef) -> Result<Json<Written>, AppError> {
    let view = get_incident(&state.db, reference).await?;
    Ok(Json(Written {
        reference,
        status: view.status,
        severity: view.severity.name,
        version: view.version,
    }))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct StatusChange {
    #[schema(value_type = Status)]
    status: String,
    /// The version the caller last read: a stale one is refused (409).
    version: i32,
    /// With `merged`: the incident this one duplicates.
    #[schema(value_type = Option<IncidentRef>)]
    merged_into: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/status", tag = "incidents",
    params(IncidentPath),
    request_body = StatusChange,
    responses(
        (status = 200, description = "Moved", body = Written),
        IncidentMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn status(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(change): ApiJson<StatusChange>,
) -> Result<Json<Written>, AppError> {
    let to = Status::parse(&change.status)
        .ok_or_else(|| AppError::invalid("status", "Unknown status."))?;
    // As the incident page's form: a reference that cannot name an incident is the
    // field's error, not a missing incident.
    let merged_into = IncidentRef::parse_field("merged_into", change.merged_into.as_deref())?;
    change_status(&state.db, &user, reference, to, merged_into, change.version).await?;
    written(&state, reference).await
}

/// Only the fields given change; the rest keep their current values.
#[derive(Deserialize, ToSchema)]
pub(super) struct DetailsChange {
    version: i32,
    title: Option<String>,
    summary: Option<String>,
    customer_impact: Option<bool>,
    service_ids: Option<Vec<i64>>,
    /// All seven timestamps, RFC 3339 (null where unknown).
    times: Option<Timestamps>,
}

#[utoipa::path(patch, path = "/api/v1/incidents/{reference}", tag = "incidents",
    params(IncidentPath),
    request_body = DetailsChange,
    responses(
        (status = 200, description = "Saved", body = Written),
        IncidentMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(change): ApiJson<DetailsChange>,
) -> Result<Json<Written>, AppError> {
    let current = get_incident(&state.db, reference).await?;
    let details = Details {
        title: change.title.unwrap_or(current.title),
        summary: change.summary.unwrap_or(current.summary),
        customer_impact: change.customer_impact.unwrap_or(current.customer_impact),
        service_ids: change
            .service_ids
            .unwrap_or_else(|| current.services.iter().map(|s| s.id).collect()),
        times: change.times.unwrap_or(current.times),
    };
    update_details(&state.db, &user, reference, details, change.version).await?;
    written(&state, reference).await
}

#[derive(Deserialize, ToSchema)]
pub(super) struct SeverityChange {
    severity_id: i64,
    version: i32,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/severity", tag = "incidents",
    params(IncidentPath),
    request_body = SeverityChange,
    responses(
        (status = 200, description = "Saved", body = Written),
        IncidentMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn severity(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(change): ApiJson<SeverityChange>,
) -> Result<Json<Written>, AppError> {
    change_severity(
        &state.db,
        &user,
        reference,
        change.severity_id,
        change.version,
    )
    .await?;
    written(&state, reference).await
}

#[derive(Deserialize, ToSchema)]
pub(super) struct RoleChange {
    #[schema(value_type = IncidentRole)]
    role: String,
    user_id: i64,
    version: i32,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/roles", tag = "incidents",
    params(IncidentPath),
    request_body = RoleChange,
    responses(
        (status = 200, description = "Saved", body = Written),
        IncidentMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn role(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(change): ApiJson<RoleChange>,
) -> Result<Json<Written>, AppError> {
    let role = IncidentRole::parse(&change.role).ok_or_else(|| {
        AppError::invalid(
            "role",
            "Choose commander, communications, operations or scribe.",
        )
    })?;
    assign_role(
        &state.db,
        &user,
        reference,
        role,
        change.user_id,
        change.version,
    )
    .await?;
    written(&state, reference).await
}
