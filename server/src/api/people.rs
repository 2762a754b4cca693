//! Who and how bad: the people an incident or an action item can name, the severity
//! scale, and (for admins) the audit log.

use app::accounts::UserSummary;
use app::audit::AuditEntry;
use app::error::AppError;
use app::incidents::SeverityView;
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Admin, ApiQuery, Cursor, Viewer};
use super::{ApiError, Refused};

/// Everyone with an account, by name: the ids that `owner_id`, `commander_id` and
/// `user_id` take.
#[derive(Serialize, ToSchema)]
pub(super) struct Users {
    users: Vec<UserSummary>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "people",
    responses(
        (status = 200, description = "Every account, active or not", body = Users),
        Refused,
    ))]
pub(super) async fn users(
    State(state): State<AppState>,
    _: Viewer,
) -> Result<Json<Users>, AppError> {
    let users = app::accounts::service::users::list(&state.db).await?;
    Ok(Json(Users { users }))
}

/// The severity scale, most severe first: the ids that `severity_id` takes.
#[derive(Serialize, ToSchema)]
pub(super) struct Severities {
    severities: Vec<SeverityView>,
}

#[utoipa::path(get, path = "/api/v1/severities", tag = "incidents",
    responses(
        (status = 200, description = "The scale, most severe first", body = Severities),
        Refused,
    ))]
pub(super) async fn severities(
    State(state): State<AppState>,
    _: Viewer,
) -> Result<Json<Severities>, AppError> {
    let severities = app::incidents::service::query::severities(&state.db).await?;
    Ok(Json(Severities { severities }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditParams {
    /// Entries older than this one (an answer's `next`); the newest without it.
    #[param(minimum = 1)]
    before: Option<i64>,
    /// How many, 1 to 200 (50 without it).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

/// Audit entries, newest first.
#[derive(Serialize, ToSchema)]
pub(super) struct AuditLog {
    entries: Vec<AuditEntry>,
    /// Pass as `before` for the older entries; null at the oldest.
    next: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "people",
    params(AuditParams),
    responses(
        (status = 200, description = "Entries, newest first", body = AuditLog),
        (status = 422, description = "A bad `limit`", body = ApiError),
        Refused,
    ))]
pub(super) async fn audit(
    State(state): State<AppState>,
    _: Admin,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<AuditLog>, AppError> {
    let cursor = Cursor::new(p.before, p.limit, "entries")?;
    let rows = app::audit::service::list_before(&state.db, cursor.before, cursor.fetch()).await?;
    let (entries, next) = cursor.page(rows, |e| e.id);
    Ok(Json(AuditLog { entries, next }))
}
