//! Who is asking: loads the session's user into the request, and sends anonymous
//! visitors of protected pages to sign in (and back afterwards).

use std::net::SocketAddr;

use app::accounts::service::sessions;
use app::api_tokens::service as api_tokens;
use app::state::AppState;
use app::time::AccountZone;
use app::web::ClientIp;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// Paths anyone may open: signing in (also through a provider), first-run set-up, probes, static files, and
/// server functions and `/metrics` (each checks its caller itself).
fn is_public(path: &str) -> bool {
    const EXACT: [&str; 7] = [
        "/login",
        "/logout",
        "/setup",
        "/livez",
        "/readyz",
        "/metrics",
        "/favicon.svg",
    ];
    const PREFIXES: [&str; 4] = ["/pkg/", "/rpc/", "/api/", "/auth/oidc/"];
    EXACT.contains(&path) || PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Whether the client address comes from `X-Forwarded-For` (behind a trusted proxy).
#[derive(Debug, Clone, Copy)]
pub struct TrustForwardedFor(pub bool);

/// Notes the client's address for handlers that throttle by it (the public status
/// routes, which load no user).
pub async fn remember_client_ip(
    axum::Extension(trust): axum::Extension<TrustForwardedFor>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&request, trust.0);
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

pub async fn load_user(
    State(state): State<AppState>,
    axum::Extension(trust): axum::Extension<TrustForwardedFor>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&request, trust.0);
    request.extensions_mut().insert(ClientIp(ip));

    // A session that cannot be read (the database is away) is an error to try again, not
    // a signed-out visitor: sending a responder to the sign-in page mid-incident would
    // lose the form they posted.
    let user = match request.extensions().get::<Session>().cloned() {
        Some(session) => match sessions::current_user(&state.db, &session, state.sessions).await {
            Ok(user) => user,
            Err(err) => {
                tracing::error!(error = %err, "could not load the session's user");
                return err.into_response();
            }
        },
        None => None,
    };
    // Scripts call the JSON API with a personal token instead of a session.
    let user = match (user, bearer(request.headers())) {
        (None, Some(token)) if request.uri().path().starts_with("/api/") => {
            let ip = request.extensions().get::<ClientIp>().map(|c| c.0.clone());
            match api_tokens::authenticate_request(&state.db, &token, ip).await {
                Ok(user) => user,
                Err(err) => return err.into_response(),
            }
        }
        (user, _) => user,
    };
    let signed_in = user.is_some();
    let must_change_password = user.as_ref().is_some_and(|u| u.password_change_required);
    if let Some(user) = user {
        if let Some(zone) = user.time_zone.clone() {
            request.extensions_mut().insert(AccountZone(zone));
        }
        request.extensions_mut().insert(user);
    }

    let path = request.uri().path();
    if must_change_password && !allowed_before_password_change(path) {
        return if request.method() == Method::GET
            && !path.starts_with("/rpc/")
            && !path.starts_with("/api/")
        {
            Redirect::to("/account").into_response()
        } else {
            password_change_required()
        };
    }
    if signed_in && request.method() == Method::GET && path == "/login" {
        return Redirect::to("/").into_response();
    }
    if !signed_in && request.method() == Method::GET && !is_public(path) {
        let wanted = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let target = if wanted == "/" {
            "/login".to_owned()
        } else {
            format!("/login?next={}", urlencode(wanted))
        };
        return Redirect::to(&target).into_response();
    }
    // What a signed-in page or any server function answers is personal (and may carry a
    // new secret): no cache, shared or private, keeps it.
    let personal = path.starts_with("/rpc/") || (signed_in && !path.starts_with("/pkg/"));
    let mut response = next.run(request).await;
    if personal {
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
    response
}

/// What someone signed in with a temporary password may reach: the account page to
/// choose their own, signing out, and what those pages load.
fn allowed_before_password_change(path: &str) -> bool {
    const EXACT: [&str; 7] = [
        "/account",
        "/rpc/change_password",
        "/rpc/current_user",
        "/rpc/time_zones",
        "/rpc/list_api_tokens",
        "/rpc/take_api_token",
        "/rpc/sign_out",
    ];
    EXACT.contains(&path)
        || (is_public(path) && !path.starts_with("/rpc/") && !path.starts_with("/api/"))
}

/// 403 for every other call until the temporary password is replaced; the server decides,
/// not the banner.
fn password_change_required() -> Response {
    let err = app::error::AppError::Forbidden;
    let mut response = err.into_response();
    if let Ok(body) = serde_json::to_string(&serde_json::json!({ "error": {
        "code": "password_change_required",
        "message": "You signed in with a temporary password. Choose your own on your account page first.",
        "field": null,
    }})) {
        *response.body_mut() = axum::body::Body::from(body);
    }
    response
}

/// The token of an `Authorization: Bearer` header (API tokens, alert and change senders).
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn client_ip(request: &Request, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(last) = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
    {
        return last.trim().to_owned();
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_and_probes_are_public_and_pages_are_not() {
        for path in [
            "/login",
            "/setup",
            "/livez",
            "/readyz",
            "/pkg/vigil.wasm",
            "/rpc/sign_in",
        ] {
            assert!(is_public(path), "{path}");
        }
        for path in [
            "/",
            "/account",
            "/admin/users",
            "/incidents",
            "/loginx",
            "/no/such/page",
        ] {
            assert!(!is_public(path), "{path}");
        }
    }

    #[test]
    fn return_paths_are_encoded() {
        assert_eq!(
            urlencode("/incidents?status=open&q=a b"),
            "/incidents%3Fstatus%3Dopen%26q%3Da%20b"
        );
    }
}
