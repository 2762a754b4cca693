//! The public status page: read-only, without sign-in, session or per-visitor state, so
//! a CDN (and the browser) may keep each answer for a short while.

use app::state::AppState;
use app::status::public;
use app::status::service;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// How long a shared cache may serve a page before asking again: short, because during
/// an outage every update matters.
const CACHE: &str = "public, max-age=15";
/// Pages carry no script; styles come from the page's own sheet, the logo from https.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/status", get(page))
        .route("/status/incidents/{id}", get(incident))
        .route("/status/style.css", get(style))
}

fn html(status: StatusCode, body: String) -> Response {
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
    html(StatusCode::NOT_FOUND, public::not_found_page())
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

async fn page(State(state): State<AppState>) -> Response {
    match service::public_status(&state.db, chrono::Utc::now()).await {
        Ok(Some(status)) => html(StatusCode::OK, public::status_page(&status)),
        Ok(None) => not_found(),
        Err(err) => unavailable(err),
    }
}

async fn incident(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    match service::public_incident(&state.db, id).await {
        Ok(Some((settings, incident))) => {
            let header = public::Header {
                name: settings.name,
                logo_url: settings.logo_url,
                links: settings.links,
            };
            html(StatusCode::OK, public::incident_page(&header, &incident))
        }
        Ok(None) => not_found(),
        Err(err) => unavailable(err),
    }
}

async fn style(State(state): State<AppState>) -> Response {
    match service::settings(&state.db).await {
        Ok(settings) => (
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
            public::style_sheet(&settings.brand_colour),
        )
            .into_response(),
        Err(err) => unavailable(err),
    }
}
