//! What a server function knows about its request, shared by every domain: who is
//! asking (the user and address the server's middleware put into the request), the role
//! check each one starts with, the HTTP status of a refusal, and what a plain form post
//! (JavaScript off) needs: a redirect back and a one-time flash in the session.
//!
//! Where authorisation is checked: every server function calls [`require`] before it
//! reads or writes, and every API handler takes the `Viewer`, `Responder` or `Admin`
//! extractor; services trust their caller's role, except admin-only services, which
//! check it again ([`CurrentUser::require_admin`]).

use leptos::prelude::*;
use tower_sessions::Session;

use crate::accounts::{CurrentUser, Role};
use crate::audit::service::Actor;
use crate::error::AppError;
use crate::state::AppState;

/// The client's address as the server determined it (peer or trusted proxy header).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The signed-in user of the current request, if any.
pub fn current_user() -> Option<CurrentUser> {
    parts().and_then(|p| p.extensions.get::<CurrentUser>().cloned())
}

pub fn client_ip() -> Option<String> {
    parts().and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0.clone()))
}

/// The state and user for a server function that needs at least `role`: 401 when
/// nobody is signed in, 403 when the role is too low (as the response's status too).
pub fn require(role: Role) -> Result<(AppState, CurrentUser), AppError> {
    let checked = match current_user() {
        None => Err(AppError::Unauthorized),
        Some(user) if !user.role.includes(role) => Err(AppError::Forbidden),
        Some(user) => AppState::from_context().map(|state| (state, user)),
    };
    with_status(checked)
}

/// The audit actor for `user` on this request.
pub fn actor(user: &CurrentUser) -> Actor {
    user.actor(client_ip())
}

/// Sets the HTTP status of the current server-function response from the error, so that
/// a 4xx is a 4xx on the wire too (server functions answer 500 for every error otherwise).
/// A plain form post (JavaScript off) keeps its redirect back to the form, which carries
/// the error in the URL for the page to show.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result
        && !is_form_post()
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(err.status());
        if let Some(secs) = err.retry_after() {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
    }
    result
}

/// True for a plain HTML form post (JavaScript off), which expects a redirect back.
pub fn is_form_post() -> bool {
    parts()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)?
                .to_str()
                .ok()
                .map(|a| a.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Sends a plain (JavaScript-off) form post on to `path`; the hydrated client navigates
/// by itself.
pub fn redirect_form_post(path: &str) {
    if is_form_post()
        && let (Some(response), Ok(location)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(path),
        )
    {
        response.insert_header(http::header::LOCATION, location);
        response.set_status(http::StatusCode::SEE_OTHER);
    }
}

/// The request's session.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(AppError::internal)
}

/// A secret just issued by a plain form post (JavaScript off) is kept in the session
/// for the page the post redirects to, which [`take_flash`]es it: shown once.
pub async fn flash<T: serde::Serialize + Send + Sync>(
    key: &str,
    value: &T,
) -> Result<(), AppError> {
    session()
        .await?
        .insert(key, value)
        .await
        .map_err(AppError::internal)
}

/// Takes (and forgets) what [`flash`] kept under `key`.
pub async fn take_flash<T: serde::de::DeserializeOwned>(key: &str) -> Result<Option<T>, AppError> {
    session()
        .await?
        .remove::<T>(key)
        .await
        .map_err(AppError::internal)
}
