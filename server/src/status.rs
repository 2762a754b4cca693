//! The public status page: read-only, without sign-in, session or per-visitor state, so
//! a CDN (and the browser) may keep each answer for a short while.

use app::state::AppState;
use std::sync::Arc;

use app::status::public;
use app::status::served::Served;
use app::status::service;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// A shared cache (a CDN) may serve a page for 15 s before asking again: short, because
/// during an outage every update matters. Browsers ask every time, so a visitor who
/// follows a link back never sees an older page than the cache holds.
const CACHE: &str = "public, max-age=0, s-maxage=15";
/// Pages carry no script; styles come from the page's own sheet, the logo from https.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/status", get(page))
        .route("/status/incidents/{id}", get(incident))
        .route("/status/style.css", get(style))
        .route("/status/api/v2/summary.json", get(summary))
        .route("/status/api/v2/incidents.json", get(incidents))
}

fn html(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
        ],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    html(StatusCode::NOT_FOUND, public::not_found_page().into())
}

/// The database did not answer: say so plainly, and let caches try again soon.
fn unavailable(err: app::error::AppError) -> Response {
    tracing::error!(error = %err, "the status page could not be read");
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "5")],
        "The status page is briefly unavailable. Try again in a few seconds.",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The public side as of now, from memory when fresh.
async fn served(state: &AppState) -> Result<Arc<Option<Served>>, Response> {
    app::status::served::served(
        &state.db,
        &state.status_page,
        chrono::Utc::now(),
        &state.public_url,
    )
    .await
    .map_err(unavailable)
}

async fn page(State(state): State<AppState>) -> Response {
    match served(&state).await {
        Ok(served) => match served.as_ref() {
            Some(s) => html(StatusCode::OK, s.page.clone()),
            None => not_found(),
        },
        Err(response) => response,
    }
}

async fn incident(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let served = match served(&state).await {
        Ok(served) => served,
        Err(response) => return response,
    };
    let Some(s) = served.as_ref() else {
        return not_found();
    };
    if let Some(incident) = s.history.iter().find(|i| i.id == id) {
        return html(
            StatusCode::OK,
            public::incident_page(&s.header, incident).into(),
        );
    }
    // Older than the history kept in memory: read it.
    match service::public_incident(&state.db, id).await {
        Ok(Some((_, incident))) => html(
            StatusCode::OK,
            public::incident_page(&s.header, &incident).into(),
        ),
        Ok(None) => not_found(),
        Err(err) => unavailable(err),
    }
}

async fn style(State(state): State<AppState>) -> Response {
    let sheet = match served(&state).await {
        Ok(served) => match served.as_ref() {
            Some(s) => s.style.clone(),
            None => return not_found(),
        },
        Err(response) => return response,
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        sheet,
    )
        .into_response()
}

fn json(body: Bytes) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
            // Widgets on customers' own sites read it from the browser.
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        body,
    )
        .into_response()
}

fn json_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({ "error": "The status page is not published." })),
    )
        .into_response()
}

/// Statuspage's `summary.json` (`statuspage::summary`).
async fn summary(State(state): State<AppState>) -> Response {
    match served(&state).await {
        Ok(served) => match served.as_ref() {
            Some(s) => json(s.summary.clone()),
            None => json_not_found(),
        },
        Err(response) => response,
    }
}

/// Statuspage's `incidents.json` (`statuspage::incidents`).
async fn incidents(State(state): State<AppState>) -> Response {
    match served(&state).await {
        Ok(served) => match served.as_ref() {
            Some(s) => json(s.incidents.clone()),
            None => json_not_found(),
        },
        Err(response) => response,
    }
}
