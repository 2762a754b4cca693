//! Changes: recorded by scripts and pipelines (`POST /api/v1/changes`, deduplicated by
//! `source` and `external_id`), listed with filters, and linked to incidents as causes.

use app::changes::service::{
    ChangeFilter, DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS, NewChange, Position, changes_before,
    get_change, list_changes, mark_rolled_back, record,
};
use app::changes::{Cause, ChangeKind, ChangeOutcome, ChangeView, ChangesBefore};
use app::choices::service::resolve_service;
use app::error::AppError;
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{
    ApiJson, ApiQuery, ChangePath, IncidentChangePath, IncidentPath, Responder, Viewer,
};
use super::{ApiError, IncidentMissing, Refused, WriteRefused};

/// A change as a pipeline or script reports it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewChangeBody {
    /// `deploy` when not given.
    kind: Option<ChangeKind>,
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// The services' slugs (as in `/api/v1/services/{slug}`), at least one.
    #[schema(min_items = 1, max_items = 50)]
    services: Vec<String>,
    /// A version, tag or commit.
    #[schema(max_length = 100)]
    version: Option<String>,
    /// Who made the change.
    #[schema(max_length = 100)]
    author: Option<String>,
    /// An http(s) address to read more.
    #[schema(max_length = 2000)]
    link: Option<String>,
    /// When not given: as first reported (same `source` and `external_id`), else `finished_at`, else now.
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    /// When its code was committed (for lead time); not after `started_at`.
    committed_at: Option<DateTime<Utc>>,
    /// `succeeded` when `finished_at` is given, `in_progress` otherwise, when not given.
    outcome: Option<ChangeOutcome>,
    /// Who sends it, like `github-actions`: `api` when not given.
    #[schema(max_length = 50, pattern = "^[A-Za-z0-9._-]+$")]
    source: Option<String>,
    /// The sender's own id for the change. Sent again with the same `source`, it updates
    /// the change (a deploy reported as started, then as finished).
    #[schema(max_length = 200)]
    external_id: Option<String>,
    /// The id of the change this one rolls back (that one is marked `rolled_back`).
    reverts: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/changes", tag = "changes", request_body = NewChangeBody,
    responses(
        (status = 201, description = "Recorded; `Location` is its address", body = ChangeView),
        (status = 200, description = "Sent before (same `source` and `external_id`): updated", body = ChangeView),
        Refused, WriteRefused,
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    Responder(user): Responder,
    ApiJson(body): ApiJson<NewChangeBody>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<ChangeView>,
    ),
    AppError,
> {
    let new = NewChange {
        kind: body.kind,
        title: body.title,
        version: body.version,
        author: body.author,
        link: body.link,
        started_at: body.started_at,
        finished_at: body.finished_at,
        committed_at: body.committed_at,
        outcome: body.outcome,
        source: body.source,
        external_id: body.external_id,
        reverts: body.reverts,
        services: body.services,
    };
    let recorded = record(&state.db, Some(&user), &new).await?;
    let status = if recorded.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        [(
            header::LOCATION,
            format!("/api/v1/changes/{}", recorded.change.id),
        )],
        Json(recorded.change),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ChangesParams {
    /// Only changes to this service (its slug, name or id).
    service: Option<String>,
    kind: Option<ChangeKind>,
    outcome: Option<ChangeOutcome>,
    /// Only changes linked (`true`) or not linked (`false`) to an incident as a cause.
    caused_incident: Option<bool>,
    /// Started at or after.
    since: Option<DateTime<Utc>>,
    /// Started before.
    until: Option<DateTime<Utc>>,
    /// After this position (an answer's `next`).
    after: Option<String>,
    /// How many, 1 to 200 (50 without it).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

/// Changes, newest first.
#[derive(Serialize, ToSchema)]
pub(super) struct Changes {
    changes: Vec<ChangeView>,
    /// Pass as `after` for older changes; null at the oldest.
    next: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/changes", tag = "changes",
    params(ChangesParams),
    responses(
        (status = 200, description = "Changes, newest first", body = Changes),
        (status = 422, description = "A bad filter or position; `field` names it", body = ApiError),
        Refused,
    ))]
pub(super) async fn changes(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(p): ApiQuery<ChangesParams>,
) -> Result<Json<Changes>, AppError> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit", "Ask for 1 to 200 changes."));
    }
    let after =
        match p.after.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(Position::parse(a).ok_or_else(|| {
                AppError::invalid("after", "Pass the `next` of an earlier answer.")
            })?),
        };
    let service_id = match p.service.as_deref() {
        None => None,
        Some(text) => resolve_service(&state.db, "service", text).await?,
    };
    let filter = ChangeFilter {
        service_id,
        kind: p.kind,
        outcome: p.outcome,
        caused_incident: p.caused_incident,
        since: p.since.map(|t| t.timestamp()),
        until: p.until.map(|t| t.timestamp()),
        after,
        limit,
    };
    let page = list_changes(&state.db, &filter).await?;
    let (changes, next) = (page.changes, page.next.map(|p| p.to_string()));
    Ok(Json(Changes { changes, next }))
}

#[utoipa::path(get, path = "/api/v1/changes/{id}", tag = "changes",
    params(ChangePath),
    responses(
        (status = 200, description = "The change", body = ChangeView),
        (status = 404, description = "No such change", body = ApiError),
        Refused,
    ))]
pub(super) async fn change(
    State(state): State<AppState>,
    _: Viewer,
    ChangePath(id): ChangePath,
) -> Result<Json<ChangeView>, AppError> {
    Ok(Json(get_change(&state.db, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct WindowParam {
    /// How many hours before the impact started to look back, 1 to 168 (24 without it).
    #[param(minimum = 1, maximum = 168)]
    window_hours: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/changes", tag = "changes",
    params(IncidentPath, WindowParam),
    responses(
        (status = 200, description = "Changes to its services before it, and those linked to it", body = ChangesBefore),
        IncidentMissing,
        (status = 422, description = "A bad window", body = ApiError),
        Refused,
    ))]
pub(super) async fn before_incident(
    State(state): State<AppState>,
    _: Viewer,
    IncidentPath(reference): IncidentPath,
    ApiQuery(p): ApiQuery<WindowParam>,
) -> Result<Json<ChangesBefore>, AppError> {
    let hours = p.window_hours.unwrap_or(DEFAULT_WINDOW_HOURS);
    if !(1..=MAX_WINDOW_HOURS).contains(&hours) {
        return Err(AppError::invalid(
            "window_hours",
            format!("Look back 1 to {MAX_WINDOW_HOURS} hours."),
        ));
    }
    Ok(Json(changes_before(&state.db, reference, hours).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CauseBody {
    cause: Cause,
}

#[utoipa::path(put, path = "/api/v1/incidents/{reference}/changes/{id}", tag = "changes",
    params(IncidentChangePath), request_body = CauseBody,
    responses(
        (status = 200, description = "Linked as a cause (recorded on the incident's timeline)", body = ChangeView),
        (status = 404, description = "No such incident or change", body = ApiError),
        Refused, WriteRefused,
    ))]
pub(super) async fn link(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentChangePath(reference, id): IncidentChangePath,
    ApiJson(body): ApiJson<CauseBody>,
) -> Result<Json<ChangeView>, AppError> {
    Ok(Json(
        app::workflow::link_change(&state.db, &user, reference, id, Some(body.cause)).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/incidents/{reference}/changes/{id}", tag = "changes",
    params(IncidentChangePath),
    responses(
        (status = 200, description = "No longer linked (recorded on the incident's timeline)", body = ChangeView),
        (status = 404, description = "No such incident or change", body = ApiError),
        Refused,
    ))]
pub(super) async fn unlink(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentChangePath(reference, id): IncidentChangePath,
) -> Result<Json<ChangeView>, AppError> {
    Ok(Json(
        app::workflow::link_change(&state.db, &user, reference, id, None).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/changes/{id}/rollback", tag = "changes",
    params(ChangePath),
    responses(
        (status = 200, description = "Marked rolled back (on the timeline of each incident it is linked to); again, unchanged", body = ChangeView),
        (status = 404, description = "No such change", body = ApiError),
        Refused, WriteRefused,
    ))]
pub(super) async fn rollback(
    State(state): State<AppState>,
    Responder(user): Responder,
    ChangePath(id): ChangePath,
) -> Result<Json<ChangeView>, AppError> {
    Ok(Json(mark_rolled_back(&state.db, &user, id).await?))
}
