//! Webhook endpoints for alert senders. Each request names its source by token
//! (`Authorization: Bearer`, or PagerDuty's `routing_key`); the payload is applied whole
//! or refused with a JSON reason.

use app::alerts::SourceKind;
use app::alerts::service::{authenticate, ingest};
use app::error::AppError;
use app::state::AppState;
use app::web::ClientIp;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::json;

/// The largest payload accepted; Alertmanager groups of hundreds of alerts fit easily.
pub const MAX_BODY: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/hooks/alerts", post(alerts))
        .route("/hooks/pagerduty/v2/enqueue", post(pagerduty))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, Response> {
    to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| AppError::PayloadTooLarge(MAX_BODY / 1024).into_response())
}

/// Alertmanager and Grafana webhooks (and PagerDuty events with a bearer token).
async fn alerts(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let source = match authenticate(&state.db, bearer(&headers).as_deref(), Some(ip)).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    match ingest(&state.db, &source, &body).await {
        Ok(outcomes) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "alerts": outcomes })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// PagerDuty Events API v2: the token may be the event's `routing_key`; answers 202
/// with the dedup key, as PagerDuty does.
async fn pagerduty(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let routing_key = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("routing_key")?.as_str().map(str::to_owned));
    let token = bearer(&headers).or(routing_key);
    let source = match authenticate(&state.db, token.as_deref(), Some(ip)).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if source.kind != SourceKind::PagerDuty {
        return (AppError::invalid(
            "routing_key",
            "This token belongs to an Alertmanager or Grafana source; send those to /hooks/alerts.",
        ))
        .into_response();
    }
    match ingest(&state.db, &source, &body).await {
        Ok(outcomes) => {
            let dedup_key = outcomes
                .first()
                .map(|o| o.fingerprint.clone())
                .unwrap_or_default();
            (
                StatusCode::ACCEPTED,
                Json(json!({
                    "status": "success",
                    "message": "Event processed",
                    "dedup_key": dedup_key,
                    "incident": outcomes.first().and_then(|o| o.incident.clone()),
                })),
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}
