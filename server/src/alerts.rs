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

pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

pub(crate) async fn read_body(body: Body) -> Result<axum::body::Bytes, AppError> {
    to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| AppError::PayloadTooLarge(MAX_BODY / 1024))
}

/// Alertmanager and Grafana webhooks (and PagerDuty events with a bearer token).
async fn alerts(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let body = read_body(body).await?;
    let source = authenticate(&state.db, bearer(&headers).as_deref(), Some(ip)).await?;
    let outcomes = ingest(&state.db, &source, &body).await?;
    Ok((
        StatusCode::OK,
        Json(json!({ "status": "ok", "alerts": outcomes })),
    )
        .into_response())
}

/// PagerDuty Events API v2: the token may be the event's `routing_key`; answers 202
/// with the dedup key, as PagerDuty does.
async fn pagerduty(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let body = read_body(body).await?;
    let routing_key = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("routing_key")?.as_str().map(str::to_owned));
    let token = bearer(&headers).or(routing_key);
    let source = authenticate(&state.db, token.as_deref(), Some(ip)).await?;
    if source.kind != SourceKind::PagerDuty {
        return Err(AppError::invalid(
            "routing_key",
            "This token belongs to an Alertmanager or Grafana source; send those to /hooks/alerts.",
        ));
    }
    let outcomes = ingest(&state.db, &source, &body).await?;
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
