//! Webhook endpoints for change senders: GitHub (signed with HMAC), GitLab (its token
//! header), Argo CD and any script (a bearer secret). A delivery is recorded whole, or
//! refused with a JSON reason and nothing stored.

use app::changes::ChangeSourceKind;
use app::changes::hooks::{self, Reported};
use app::changes::sources::{Received, authenticate, authenticate_github, receive};
use app::error::AppError;
use app::state::AppState;
use app::web::ClientIp;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::json;

use crate::alerts::{bearer, read_body};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/hooks/changes", post(generic))
        .route("/hooks/changes/github", post(github))
        .route("/hooks/changes/gitlab", post(gitlab))
        .route("/hooks/changes/argocd", post(argocd))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

/// 201 with the change when it is new, 200 when a re-sent delivery updated it, 202
/// when there was nothing to record (and why).
fn answer(received: Received) -> Response {
    match received {
        Received::Recorded(recorded) => (
            if recorded.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            Json(json!({ "status": "recorded", "change": recorded.change })),
        )
            .into_response(),
        Received::Ignored(why) => (
            StatusCode::ACCEPTED,
            Json(json!({ "status": "ignored", "reason": why })),
        )
            .into_response(),
    }
}

async fn github(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let body = read_body(body).await?;
    let signature = header(&headers, "x-hub-signature-256");
    let source = authenticate_github(&state.db, &body, signature, Some(ip)).await?;
    let event = header(&headers, "x-github-event").unwrap_or_default();
    let reported = hooks::github(event, &body)?;
    Ok(answer(receive(&state.db, &source, reported).await?))
}

async fn gitlab(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let token = header(&headers, "x-gitlab-token").map(str::to_owned);
    deliver(
        state,
        ip,
        token,
        body,
        ChangeSourceKind::GitLab,
        hooks::gitlab,
    )
    .await
}

async fn argocd(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    deliver(
        state,
        ip,
        bearer(&headers),
        body,
        ChangeSourceKind::ArgoCd,
        hooks::argocd,
    )
    .await
}

async fn generic(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    deliver(
        state,
        ip,
        bearer(&headers),
        body,
        ChangeSourceKind::Generic,
        hooks::generic,
    )
    .await
}

/// A delivery that names its source by a secret: found, read by `parse`, recorded.
async fn deliver(
    state: AppState,
    ip: String,
    secret: Option<String>,
    body: Body,
    kind: ChangeSourceKind,
    parse: fn(&[u8]) -> Result<Reported, AppError>,
) -> Result<Response, AppError> {
    let body = read_body(body).await?;
    let source = authenticate(&state.db, kind, secret.as_deref(), Some(ip)).await?;
    let reported = parse(&body)?;
    Ok(answer(receive(&state.db, &source, reported).await?))
}
