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

fn json<T: serde::Serialize>(value: &T) -> Response {
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
            // Widgets on customers' own sites read it from the browser.
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        axum::Json(value),
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

/// Statuspage's `summary.json`: the page, its components, the open incidents and the
/// overall indicator.
async fn summary(State(state): State<AppState>) -> Response {
    use app::status::statuspage;
    match service::public_status(&state.db, chrono::Utc::now()).await {
        Ok(Some(status)) => {
            let names: Vec<(i64, String)> = status
                .components
                .iter()
                .map(|c| (c.id, c.name.clone()))
                .collect();
            let incidents = status
                .open
                .iter()
                .map(|i| {
                    statuspage::incident(i, &named(&names, &i.component_ids), &state.public_url)
                })
                .collect();
            let updated_at = status
                .open
                .iter()
                .chain(&status.recent)
                .map(|i| i.updated_at)
                .max()
                .unwrap_or(status.generated_at);
            json(&statuspage::Summary {
                page: statuspage::page(&status.name, &state.public_url, updated_at),
                components: statuspage::components(&status.components),
                incidents,
                scheduled_maintenances: Vec::new(),
                status: statuspage::indicator(status.overall),
            })
        }
        Ok(None) => json_not_found(),
        Err(err) => unavailable(err),
    }
}

/// Statuspage's `incidents.json`: the latest published incidents with their updates.
async fn incidents(State(state): State<AppState>) -> Response {
    use app::status::statuspage;
    match service::public_history(&state.db).await {
        Ok(Some((settings, names, list))) => {
            let names: Vec<(i64, String)> = names.into_iter().collect();
            let updated_at = list
                .iter()
                .map(|i| i.updated_at)
                .max()
                .unwrap_or_else(chrono::Utc::now);
            json(&statuspage::Incidents {
                page: statuspage::page(&settings.name, &state.public_url, updated_at),
                incidents: list
                    .iter()
                    .map(|i| {
                        statuspage::incident(i, &named(&names, &i.component_ids), &state.public_url)
                    })
                    .collect(),
            })
        }
        Ok(None) => json_not_found(),
        Err(err) => unavailable(err),
    }
}

/// The ids and names of `ids`, in that order.
fn named(names: &[(i64, String)], ids: &[i64]) -> Vec<(i64, String)> {
    ids.iter()
        .filter_map(|id| names.iter().find(|(n, _)| n == id).cloned())
        .collect()
}
