//! Webhook endpoints for change senders: GitHub (signed with HMAC), GitLab (its token
//! header), Argo CD and any script (a bearer secret). A delivery is recorded whole, or
//! refused with a JSON reason and nothing stored.

use app::changes::ChangeSourceKind;
use app::changes::hooks::{self, Reported};
use app::changes::sources::{Received, authenticate, authenticate_github, receive};
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
        .route("/hooks/changes", post(generic))
        .route("/hooks/changes/github", post(github))
        .route("/hooks/changes/gitlab", post(gitlab))
        .route("/hooks/changes/argocd", post(argocd))
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

async fn github(hook: Delivery) -> Result<Response, AppError> {
    let signature = hook.header("x-hub-signature-256");
    let db = &hook.state.db;
    let source = authenticate_github(db, &hook.body, signature, Some(hook.ip.clone())).await?;
    let event = hook.header("x-github-event").unwrap_or_default();
    let reported = hooks::github(event, &hook.body)?;
    Ok(answer(receive(db, &source, reported).await?))
}

async fn gitlab(hook: Delivery) -> Result<Response, AppError> {
    let token = hook.header("x-gitlab-token").map(str::to_owned);
    deliver(hook, token, ChangeSourceKind::GitLab, hooks::gitlab).await
}

async fn argocd(hook: Delivery) -> Result<Response, AppError> {
    let token = hook.bearer();
    deliver(hook, token, ChangeSourceKind::ArgoCd, hooks::argocd).await
}

async fn generic(hook: Delivery) -> Result<Response, AppError> {
    let token = hook.bearer();
    deliver(hook, token, ChangeSourceKind::Generic, hooks::generic).await
}

/// A delivery that names its source by a secret: found, read by `parse`, recorded.
async fn deliver(
    hook: Delivery,
    secret: Option<String>,
    kind: ChangeSourceKind,
    parse: fn(&[u8]) -> Result<Reported, AppError>,
) -> Result<Response, AppError> {
    let db = &hook.state.db;
    let source = authenticate(db, kind, secret.as_deref(), Some(hook.ip)).await?;
    let reported = parse(&hook.body)?;
    Ok(answer(receive(db, &source, reported).await?))
}
