//! The status page's subscribers, as the admin page shows them: who follows the page by
//! email or webhook, and removing one (a complaint, a dead address).

use app::error::AppError;
use app::state::AppState;
use app::status::service;
use app::status::subscribers::{SubscriberKind, SubscriberView};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::Refused;
use super::extract::Admin;

/// A confirmed subscriber.
#[derive(Serialize, ToSchema)]
pub(super) struct Subscriber {
    id: i64,
    kind: SubscriberKind,
    /// The email address or the webhook URL.
    address: String,
    created_at: DateTime<Utc>,
    confirmed_at: Option<DateTime<Utc>>,
}

impl From<SubscriberView> for Subscriber {
    fn from(s: SubscriberView) -> Self {
        Self {
            id: s.id,
            kind: s.kind,
            address: s.address,
            created_at: s.created_at,
            confirmed_at: s.confirmed_at,
        }
    }
}

/// Counts, and the latest confirmed subscribers.
#[derive(Serialize, ToSchema)]
pub(super) struct Subscribers {
    /// Confirmed email subscribers.
    email: u64,
    /// Confirmed webhook subscribers.
    webhook: u64,
    /// Asked and not confirmed yet (forgotten after 7 days).
    pending: u64,
    /// Messages given up after every retry, in the last 7 days.
    failed: u64,
    /// Whether this server sends mail (`--smtp-url`); without it only webhooks are offered.
    mail_enabled: bool,
    /// The latest 50 confirmed, newest first.
    #[schema(max_items = 50)]
    subscribers: Vec<Subscriber>,
}

#[utoipa::path(get, path = "/api/v1/status-page/subscribers", tag = "status page",
    responses(
        (status = 200, description = "Counts and the latest 50 confirmed subscribers", body = Subscribers),
        Refused,
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    Admin(user, _): Admin,
) -> Result<Json<Subscribers>, AppError> {
    let board = service::board(&state.db, &user, state.reach.mail).await?;
    Ok(Json(Subscribers {
        email: board.email,
        webhook: board.webhook,
        pending: board.pending,
        failed: board.failed,
        mail_enabled: board.mail_enabled,
        subscribers: board.latest.into_iter().map(Subscriber::from).collect(),
    }))
}

/// A subscriber (`.../subscribers/{id}`); a path naming no number is a 404.
#[derive(utoipa::IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub(super) struct SubscriberPath(
    /// The subscriber's `id`.
    i64,
);

impl<S: Send + Sync> FromRequestParts<S> for SubscriberPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let missing = || AppError::NotFound("There is no such subscriber.".into());
        super::extract::path_number(parts, state, missing)
            .await
            .map(SubscriberPath)
    }
}

#[utoipa::path(delete, path = "/api/v1/status-page/subscribers/{id}", tag = "status page",
    params(SubscriberPath),
    responses(
        (status = 204, description = "Removed, with anything still queued for it"),
        (status = 404, description = "No such subscriber", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn remove(
    State(state): State<AppState>,
    Admin(user, actor): Admin,
    SubscriberPath(id): SubscriberPath,
) -> Result<StatusCode, AppError> {
    service::remove_subscriber(&state.db, &user, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
