//! Scheduled maintenance on the status page, as the /maintenance page does it: scripts
//! (a deploy pipeline, a database upgrade) announce a window, move it, and end it.

use app::error::AppError;
use app::state::AppState;
use app::status::{Maintenance, MaintenanceEdit, MaintenancePhase, service};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, AuditedResponder, MaintenancePath, Viewer};
use super::{ApiError, Refused, WriteRefused};

/// A path that names no maintenance window.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
#[response(status = 404, description = "No such maintenance")]
pub(super) struct MaintenanceMissing(ApiError);

/// A component a window touches.
#[derive(Serialize, ToSchema)]
pub(super) struct TouchedComponent {
    id: i64,
    /// Its public name.
    name: String,
}

/// A maintenance window.
#[derive(Serialize, ToSchema)]
pub(super) struct MaintenanceView {
    id: i64,
    title: String,
    /// What customers may notice, in Markdown as written.
    body: String,
    /// `body` rendered and sanitised.
    body_html: String,
    phase: MaintenancePhase,
    starts_at: DateTime<Utc>,
    /// The planned end.
    ends_at: DateTime<Utc>,
    /// Set when it was ended early.
    completed_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    /// Its time is downtime for the SLOs of its components' services.
    counts_against_slo: bool,
    /// The components it touches that are still on the page.
    components: Vec<TouchedComponent>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Name it when changing the window (409 if someone changed it since).
    version: i32,
    /// Its public page.
    url: String,
}

fn view(m: Maintenance) -> MaintenanceView {
    MaintenanceView {
        url: format!("/status/maintenance/{}", m.id),
        id: m.id,
        title: m.title,
        body: m.body,
        body_html: m.body_html,
        phase: m.phase,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        completed_at: m.completed_at,
        cancelled_at: m.cancelled_at,
        counts_against_slo: m.counts_against_slo,
        components: m
            .components
            .into_iter()
            .map(|(id, name)| TouchedComponent { id, name })
            .collect(),
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// The windows not over yet, soonest first, then the latest 20 that are.
#[derive(Serialize, ToSchema)]
pub(super) struct MaintenanceList {
    maintenance: Vec<MaintenanceView>,
}

#[utoipa::path(get, path = "/api/v1/status-page/maintenance", tag = "status page",
    responses(
        (status = 200, description = "Upcoming and in progress (soonest first), then the latest 20 past windows", body = MaintenanceList),
        Refused,
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    _: Viewer,
) -> Result<Json<MaintenanceList>, AppError> {
    let list = service::maintenances(&state.db, Utc::now()).await?;
    Ok(Json(MaintenanceList {
        maintenance: list.into_iter().map(view).collect(),
    }))
}

/// A window as announced or changed.
#[derive(Deserialize, ToSchema)]
pub(super) struct MaintenanceBody {
    /// What customers read, without internal names.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// What customers may notice, in Markdown.
    #[schema(min_length = 1, max_length = 5000)]
    body: String,
    starts_at: DateTime<Utc>,
    /// After the start, in the future, at most 30 days after the start.
    ends_at: DateTime<Utc>,
    /// Ids of components on the page (at least one).
    components: Vec<i64>,
    /// Count its time as downtime against the SLOs (false without it).
    #[serde(default)]
    counts_against_slo: bool,
    /// The `version` read: required when changing a window, ignored when announcing.
    version: Option<i32>,
}

impl MaintenanceBody {
    fn edit(self) -> MaintenanceEdit {
        MaintenanceEdit {
            title: self.title,
            body: self.body,
            starts_at: Some(self.starts_at),
            ends_at: Some(self.ends_at),
            components: self.components,
            counts_against_slo: self.counts_against_slo,
            version: self.version,
        }
    }
}

async fn read(state: &AppState, id: i64) -> Result<MaintenanceView, AppError> {
    service::public_maintenance(&state.db, id, Utc::now())
        .await?
        .map(view)
        .ok_or_else(|| AppError::NotFound("There is no such maintenance.".into()))
}

#[utoipa::path(post, path = "/api/v1/status-page/maintenance", tag = "status page",
    request_body = MaintenanceBody,
    responses(
        (status = 201, description = "Announced; `Location` is its address", body = MaintenanceView),
        Refused, WriteRefused,
    ))]
pub(super) async fn schedule(
    State(state): State<AppState>,
    AuditedResponder(user, actor): AuditedResponder,
    ApiJson(body): ApiJson<MaintenanceBody>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<MaintenanceView>,
    ),
    AppError,
> {
    let id = service::schedule(&state.db, &user, &actor, &body.edit()).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/status-page/maintenance/{id}"),
        )],
        Json(read(&state, id).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/status-page/maintenance/{id}", tag = "status page",
    params(MaintenancePath),
    responses(
        (status = 200, description = "The window", body = MaintenanceView),
        MaintenanceMissing,
        Refused,
    ))]
pub(super) async fn one(
    State(state): State<AppState>,
    _: Viewer,
    MaintenancePath(id): MaintenancePath,
) -> Result<Json<MaintenanceView>, AppError> {
    Ok(Json(read(&state, id).await?))
}

#[utoipa::path(put, path = "/api/v1/status-page/maintenance/{id}", tag = "status page",
    params(MaintenancePath),
    request_body = MaintenanceBody,
    responses(
        (status = 200, description = "Changed", body = MaintenanceView),
        MaintenanceMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    AuditedResponder(user, actor): AuditedResponder,
    MaintenancePath(id): MaintenancePath,
    ApiJson(body): ApiJson<MaintenanceBody>,
) -> Result<Json<MaintenanceView>, AppError> {
    service::update_maintenance(&state.db, &user, &actor, id, &body.edit()).await?;
    Ok(Json(read(&state, id).await?))
}

/// The version read.
#[derive(Deserialize, ToSchema)]
pub(super) struct FinishBody {
    version: i32,
}

#[utoipa::path(post, path = "/api/v1/status-page/maintenance/{id}/finish", tag = "status page",
    params(MaintenancePath),
    request_body = FinishBody,
    responses(
        (status = 200, description = "Ended now if it was in progress (`completed`), called off if it had not started (`cancelled`)", body = MaintenanceView),
        MaintenanceMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn finish(
    State(state): State<AppState>,
    AuditedResponder(user, actor): AuditedResponder,
    MaintenancePath(id): MaintenancePath,
    ApiJson(body): ApiJson<FinishBody>,
) -> Result<Json<MaintenanceView>, AppError> {
    service::finish_maintenance(&state.db, &user, &actor, id, Some(body.version)).await?;
    Ok(Json(read(&state, id).await?))
}
