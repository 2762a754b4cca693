//! Webhook endpoints for alert senders. Each request names its source by token
//! (`Authorization: Bearer`, or PagerDuty's `routing_key`); the payload is applied whole
//! or refused with a JSON reason.

use app::alerts::SourceKind;
use app::alerts::service::{authenticate, ingest};
use app::error::AppError;
use app::state::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use crate::delivery::Delivery;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/hooks/alerts", post(alerts))
        .route("/hooks/pagerduty/v2/enqueue", post(pagerduty))
}

/// Alertmanager and Grafana webhooks (and PagerDuty events with a bearer token).
async fn alerts(hook: Delivery) -> Result<Response, AppError> {
    let db = &hook.state.db;
    let source = authenticate(db, hook.bearer().as_deref(), Some(hook.ip)).await?;
    let outcomes = ingest(db, &source, &hook.body).await?;
    Ok((
        StatusCode::OK,
        Json(json!({ "status": "ok", "alerts": outcomes })),
    )
        .into_response())
}

/// PagerDuty Events API v2: the token may be the event's `routing_key`; answers 202
/// with the dedup key, as PagerDuty does.
async fn pagerduty(hook: Delivery) -> Result<Response, AppError> {
    let routing_key = serde_json::from_slice::<serde_json::Value>(&hook.body)
        .ok()
        .and_then(|v| v.get("routing_key")?.as_str().map(str::to_owned));
    let token = hook.bearer().or(routing_key);
    let db = &hook.state.db;
    let source = authenticate(db, token.as_deref(), Some(hook.ip)).await?;
    if source.kind != SourceKind::PagerDuty {
        return Err(AppError::invalid(
            "routing_key",
            "This token belongs to an Alertmanager or Grafana source; send those to /hooks/alerts.",
        ));
    }
    let outcomes = ingest(db, &source, &hook.body).await?;
    let first = outcomes.first();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "success",
            "message": "Event processed",
            "dedup_key": first.map(|o| o.fingerprint.clone()).unwrap_or_default(),
            "incident": first.and_then(|o| o.incident.clone()),
        })),
    )
        .into_response())
}
