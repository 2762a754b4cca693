//! Received alerts, as the alert sources page lists them: for admins.

use app::alerts::AlertView;
use app::alerts::list::{AlertQuery, list_alerts};
use app::error::AppError;
use app::incidents::IncidentRef;
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Admin, ApiQuery, Cursor};
use super::{ApiError, Refused};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AlertsParams {
    /// Only this source's alerts.
    source_id: Option<i64>,
    /// Only the alerts that opened or joined this incident, like INC-12.
    #[param(value_type = Option<String>)]
    incident: Option<String>,
    /// Alerts received before this one (an answer's `next`); the newest without it.
    #[param(minimum = 1)]
    before: Option<i64>,
    /// How many, 1 to 200 (50 without it).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

/// Alerts, newest first.
#[derive(Serialize, ToSchema)]
pub(super) struct Alerts {
    alerts: Vec<AlertView>,
    /// Pass as `before` for older alerts; null at the oldest.
    next: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts",
    params(AlertsParams),
    responses(
        (status = 200, description = "Alerts, newest first", body = Alerts),
        (status = 422, description = "A bad filter or position; `field` names it", body = ApiError),
        Refused,
    ))]
pub(super) async fn alerts(
    State(state): State<AppState>,
    _: Admin,
    ApiQuery(p): ApiQuery<AlertsParams>,
) -> Result<Json<Alerts>, AppError> {
    let cursor = Cursor::new(p.before, p.limit, "alerts")?;
    let query = AlertQuery {
        source_id: p.source_id,
        incident: IncidentRef::parse_field("incident", p.incident.as_deref())?,
        before: cursor.before,
        limit: cursor.fetch(),
    };
    let (alerts, next) = cursor.page(list_alerts(&state.db, query).await?, |a| a.id);
    Ok(Json(Alerts { alerts, next }))
}
