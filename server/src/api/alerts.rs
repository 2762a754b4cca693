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

use super::extract::{Admin, ApiQuery};
use super::{ApiError, Refused};

/// The most alerts one answer holds.
const LIMIT_MAX: u64 = 200;

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
    let limit = p.limit.unwrap_or(50);
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(AppError::invalid("limit", "Ask for 1 to 200 alerts."));
    }
    if p.before.is_some_and(|b| b < 1) {
        return Err(AppError::invalid(
            "before",
            "Pass an answer's `next` as given.",
        ));
    }
    let incident = match p.incident.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(value) => Some(IncidentRef::parse(value).ok_or_else(|| {
            AppError::invalid("incident", "Write an incident reference like INC-12.")
        })?),
    };
    // One more than asked says whether older alerts remain.
    let query = AlertQuery {
        source_id: p.source_id,
        incident,
        before: p.before,
        limit: limit + 1,
    };
    let mut alerts = list_alerts(&state.db, query).await?;
    let more = alerts.len() as u64 > limit;
    alerts.truncate(limit as usize);
    let next = more.then(|| alerts.last().map(|a| a.id)).flatten();
    Ok(Json(Alerts { alerts, next }))
}
