//! Subscribing from the public page: the form, and a subscription's own page whose
//! buttons confirm or end it. The form and the confirm button refuse other sites'
//! posts; unsubscribing does not, because mail clients post it from elsewhere
//! (RFC 8058 one-click) and the link's token is what authorises it.

use app::error::AppError;
use app::state::AppState;
use app::status::public::Header;
use app::status::public_subscribe::{Done, SubscribeForm, subscribe_page, subscription_page};
use app::status::service;
use app::status::subscribers::SubscriberKind;
use app::web::ClientIp;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::{CSP, HTML, not_found, served, unavailable};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/status/subscribe", get(form).post(subscribe))
        .route("/status/subscriptions/{token}", get(subscription))
        .route("/status/subscriptions/{token}/confirm", post(confirm))
        .route(
            "/status/subscriptions/{token}/unsubscribe",
            post(unsubscribe),
        )
        // A form of two short fields.
        .layer(DefaultBodyLimit::max(16 * 1024))
}

/// A page about one visitor's request: never kept by a cache, never sent on as a
/// referrer (a subscription's address holds its token).
fn personal(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(HTML)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (
                header::HeaderName::from_static("x-robots-tag"),
                HeaderValue::from_static("noindex"),
            ),
        ],
        body,
    )
        .into_response()
}

/// The page's header while it is published; `None` (answer 404) while it is off.
async fn page_header(state: &AppState) -> Result<Option<Header>, Response> {
    Ok(served(state)
        .await?
        .as_ref()
        .as_ref()
        .map(|s| s.header.clone()))
}

fn cross_site() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CACHE_CONTROL, "no-store")],
        "Cross-site requests are not allowed.",
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct FormQuery {
    sent: Option<String>,
}

async fn form(State(state): State<AppState>, Query(query): Query<FormQuery>) -> Response {
    let header = match page_header(&state).await {
        Ok(Some(header)) => header,
        Ok(None) => return not_found(),
        Err(response) => return response,
    };
    let form = SubscribeForm {
        sent: query.sent.as_deref().and_then(SubscriberKind::parse),
        ..Default::default()
    };
    personal(
        StatusCode::OK,
        subscribe_page(&header, &form, state.reach.mail),
    )
}

#[derive(Debug, Default, Deserialize)]
struct SubscribeBody {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    address: String,
}

async fn subscribe(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    request: HeaderMap,
    body: Bytes,
) -> Response {
    if crate::security::is_cross_site(&Method::POST, &request) {
        return cross_site();
    }
    let header = match page_header(&state).await {
        Ok(Some(header)) => header,
        Ok(None) => return not_found(),
        Err(response) => return response,
    };
    let sent: SubscribeBody = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let answer = service::subscribe(&state.db, &sent.kind, &sent.address, Some(&ip), state.reach);
    let (status, errors) = match answer.await {
        Ok(kind) => {
            return Redirect::to(&format!("/status/subscribe?sent={}", kind.as_str()))
                .into_response();
        }
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(AppError::TooManyRequests(message)) => (
            StatusCode::TOO_MANY_REQUESTS,
            vec![app::error::FieldError::new("address", message)],
        ),
        Err(AppError::NotFound(_)) => return not_found(),
        Err(err) => return unavailable(err),
    };
    let form = SubscribeForm {
        kind: sent.kind,
        address: sent.address.chars().take(2000).collect(),
        errors,
        sent: None,
    };
    personal(status, subscribe_page(&header, &form, state.reach.mail))
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// A subscription's page: what it is, and the button that confirms or ends it.
async fn subscription(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let header = match page_header(&state).await {
        Ok(Some(header)) => header,
        Ok(None) => fallback_header(),
        Err(response) => return response,
    };
    let done = query.done.as_deref().and_then(Done::parse);
    match service::by_token(&state.db, &token).await {
        Ok(found) => {
            let status = if found.is_none() && done != Some(Done::Unsubscribed) {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            personal(status, subscription_page(&header, found.as_ref(), done))
        }
        Err(err) => unavailable(err),
    }
}

/// While the page is off, its subscribers can still leave.
fn fallback_header() -> Header {
    Header {
        name: "Status".into(),
        logo_url: None,
        links: Vec::new(),
    }
}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    request: HeaderMap,
) -> Response {
    if crate::security::is_cross_site(&Method::POST, &request) {
        return cross_site();
    }
    match page_header(&state).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(),
        Err(response) => return response,
    }
    match service::confirm(&state.db, &token).await {
        Ok(Some(_)) => {
            Redirect::to(&format!("/status/subscriptions/{token}?done=confirmed")).into_response()
        }
        Ok(None) => personal(
            StatusCode::NOT_FOUND,
            subscription_page(&fallback_header(), None, None),
        ),
        Err(err) => unavailable(err),
    }
}

/// Ends a subscription: from its page's button (then back to the page), or from a mail
/// client's one-click post (`List-Unsubscribe=One-Click`), which gets a plain answer.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    // Only a well-formed token goes back into a redirect.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return personal(
            StatusCode::NOT_FOUND,
            subscription_page(&fallback_header(), None, None),
        );
    }
    if let Err(err) = service::unsubscribe(&state.db, &token).await {
        return unavailable(err);
    }
    let one_click = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .iter()
        .any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click");
    if one_click {
        return (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            "Unsubscribed.",
        )
            .into_response();
    }
    Redirect::to(&format!("/status/subscriptions/{token}?done=unsubscribed")).into_response()
}
