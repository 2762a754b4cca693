//! The service catalogue: list, read, add, change and archive services (their reports are
//! in `service_reports`).

use app::catalog::form::{ServiceForm, format_percent_ppm};
use app::catalog::service::{add_service, set_archived, update_service};
use app::catalog::service::{get_service, list_catalog};
use app::catalog::{Runbook, ServiceDetail, Slo};
use app::error::AppError;
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Admin, ApiJson, ServicePath, Viewer, present};
use super::{Refused, ServiceMissing, WriteRefused};

/// The catalogue, by name.
#[derive(Serialize, ToSchema)]
pub(super) struct Services {
    services: Vec<ServiceDetail>,
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    responses(
        (status = 200, description = "The catalogue", body = Services),
        Refused,
    ))]
pub(super) async fn services(
    State(state): State<AppState>,
    _: Viewer,
) -> Result<Json<Services>, AppError> {
    let services = list_catalog(&state.db).await?;
    Ok(Json(Services { services }))
}

#[utoipa::path(get, path = "/api/v1/services/{slug}", tag = "services",
    params(ServicePath),
    responses(
        (status = 200, description = "The service: owner, tier, SLO, runbooks", body = ServiceDetail),
        ServiceMissing,
        Refused,
    ))]
pub(super) async fn service(
    State(state): State<AppState>,
    _: Viewer,
    ServicePath(slug): ServicePath,
) -> Result<Json<ServiceDetail>, AppError> {
    Ok(Json(get_service(&state.db, &slug).await?))
}

/// A new service. The same rules as the admin form: a unique name, tier 1 to 3, an
/// SLO from 90% to below 100% over 28 or 30 days, at most 20 runbooks with web links.
#[derive(Deserialize, ToSchema)]
pub(super) struct NewService {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// Markdown.
    #[serde(default)]
    description: String,
    owner_team: Option<String>,
    /// 1 (most critical) to 3; 2 without it.
    #[schema(minimum = 1, maximum = 3)]
    tier: Option<i32>,
    slo: Option<Slo>,
    /// Incidents at this severity position or more severe count as failures; null:
    /// every severity does.
    #[schema(minimum = 1)]
    failure_severity_position: Option<i32>,
    #[serde(default)]
    runbooks: Vec<Runbook>,
}

/// What the admin form would have posted for these values, so that the API and the
/// form share every rule and message. A field error about a form field names the API's.
fn form(
    name: String,
    description: String,
    owner_team: Option<String>,
    tier: Option<i32>,
    slo: Option<Slo>,
    failure_severity_position: Option<i32>,
    runbooks: &[Runbook],
) -> Result<ServiceForm, AppError> {
    let mut lines = Vec::with_capacity(runbooks.len());
    for r in runbooks {
        if r.title.contains(['\n', '\r', '|']) || r.url.contains(['\n', '\r', '|']) {
            return Err(AppError::invalid(
                "runbooks",
                "A runbook's title and link are one line each, without `|`.",
            ));
        }
        lines.push(if r.title.trim().is_empty() {
            r.url.clone()
        } else {
            format!("{} | {}", r.title, r.url)
        });
    }
    Ok(ServiceForm {
        name,
        description,
        owner_team: owner_team.unwrap_or_default(),
        tier: tier.map(|t| t.to_string()).unwrap_or_default(),
        slo_target: slo
            .map(|s| format_percent_ppm(s.target_ppm))
            .unwrap_or_default(),
        slo_window_days: slo.map(|s| s.window_days.to_string()).unwrap_or_default(),
        failure_severity_position: failure_severity_position
            .map(|p| p.to_string())
            .unwrap_or_default(),
        runbooks: lines.join("\n"),
    })
}

/// The form's field names in the API's words.
fn api_fields(err: AppError) -> AppError {
    err.for_field("slo_target", "slo")
        .for_field("slo_window_days", "slo")
}

#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = NewService,
    responses(
        (status = 201, description = "Added; `Location` is its API address", body = ServiceDetail),
        Refused, WriteRefused,
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
    ApiJson(new): ApiJson<NewService>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<ServiceDetail>,
    ),
    AppError,
> {
    let form = form(
        new.name,
        new.description,
        new.owner_team,
        new.tier,
        new.slo,
        new.failure_severity_position,
        &new.runbooks,
    )?;
    let created = add_service(&state.db, &actor, &form)
        .await
        .map_err(api_fields)?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/services/{}", created.slug),
        )],
        Json(created),
    ))
}

/// Only the fields given change (`null` clears an optional one); `version` is the one
/// read. Renaming keeps the slug, so addresses keep working.
#[derive(Deserialize, ToSchema)]
pub(super) struct ServiceChange {
    version: i32,
    name: Option<String>,
    description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    owner_team: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 3)]
    tier: Option<i32>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Slo>)]
    slo: Option<Option<Slo>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 1)]
    failure_severity_position: Option<Option<i32>>,
    runbooks: Option<Vec<Runbook>>,
}

#[utoipa::path(patch, path = "/api/v1/services/{slug}", tag = "services",
    params(ServicePath),
    request_body = ServiceChange,
    responses(
        (status = 200, description = "The service as saved", body = ServiceDetail),
        ServiceMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
    ServicePath(slug): ServicePath,
    ApiJson(change): ApiJson<ServiceChange>,
) -> Result<Json<ServiceDetail>, AppError> {
    let current = get_service(&state.db, &slug).await?;
    let form = form(
        change.name.unwrap_or(current.name),
        change.description.unwrap_or(current.description),
        change.owner_team.unwrap_or(current.owner_team),
        Some(change.tier.unwrap_or(current.tier)),
        change.slo.unwrap_or(current.slo),
        change
            .failure_severity_position
            .unwrap_or(current.failure_severity_position),
        &change.runbooks.unwrap_or(current.runbooks),
    )?;
    let saved = update_service(&state.db, &actor, current.id, &form, change.version)
        .await
        .map_err(api_fields)?;
    Ok(Json(saved))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct Archiving {
    /// True archives (kept for history and reliability numbers, no longer offered for
    /// new incidents); false brings the service back.
    archived: bool,
}

#[utoipa::path(post, path = "/api/v1/services/{slug}/archive", tag = "services",
    params(ServicePath),
    request_body = Archiving,
    responses(
        (status = 200, description = "The service as saved", body = ServiceDetail),
        ServiceMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn archive(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
    ServicePath(slug): ServicePath,
    ApiJson(archiving): ApiJson<Archiving>,
) -> Result<Json<ServiceDetail>, AppError> {
    let current = get_service(&state.db, &slug).await?;
    set_archived(&state.db, &actor, current.id, archiving.archived).await?;
    Ok(Json(get_service(&state.db, &slug).await?))
}
