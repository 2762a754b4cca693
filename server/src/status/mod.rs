//! The public status page: read-only, without sign-in, session or per-visitor state, so
//! a CDN (and the browser) may keep each answer for a short while.

use app::state::AppState;
use std::sync::Arc;

use app::status::public;
use app::status::served::{Encoded, Served};
use app::status::service;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::site::Encoding;

mod subscribe;

/// A shared cache (a CDN) may serve a page for 15 s before asking again: short, because
/// during an outage every update matters. Browsers ask every time, so a visitor who
/// follows a link back never sees an older page than the cache holds.
const CACHE: &str = "public, max-age=0, s-maxage=15";
/// Pages carry no script; styles come from the page's own sheet, the logo from https.
/// Forms (subscribing) post only to this site.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src https: data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const ATOM: &str = "application/atom+xml; charset=utf-8";
const RSS: &str = "application/rss+xml; charset=utf-8";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/status", get(page))
        .route("/status/incidents/{id}", get(incident))
        .route("/status/maintenance/{id}", get(maintenance))
        .route("/status/history", get(history))
        .route("/status/style.css", get(style))
        .route("/status/api/v2/summary.json", get(summary))
        .route("/status/api/v2/incidents.json", get(incidents))
        .route(
            "/status/api/v2/scheduled-maintenances.json",
            get(maintenances),
        )
        .route("/status/feed.atom", get(page_atom))
        .route("/status/feed.rss", get(page_rss))
        .route("/status/components/{id}/feed.atom", get(component_atom))
        .route("/status/components/{id}/feed.rss", get(component_rss))
        .merge(subscribe::routes())
}

fn html(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(HTML)),
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

/// A rendering kept in memory, in the encoding the request accepts (never compressed
/// again per request), or 304 when the client already holds it.
fn encoded(
    request: &HeaderMap,
    body: &Encoded,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let etag = HeaderValue::from_str(&body.etag).unwrap_or_else(|_| HeaderValue::from_static(""));
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == body.etag || t.trim() == "*")
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let accept = request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let (bytes, encoding) = match crate::site::pick_encoding(accept, true, true) {
            Encoding::Brotli => (body.br.clone(), Some("br")),
            Encoding::Gzip => (body.gzip.clone(), Some("gzip")),
            Encoding::Identity => (body.raw.clone(), None),
        };
        let mut response = Response::new(Body::from(bytes));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag);
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if content_type == HTML {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    } else if content_type == JSON {
        // Widgets on customers' own sites read it from the browser.
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    response
}

/// The status page's own host name, lower case, without a port.
#[derive(Debug, Clone)]
pub struct StatusHost(Arc<str>);

impl StatusHost {
    pub fn new(host: &str) -> Self {
        Self(bare_host(host).into())
    }
}

/// `Status.Example.com:8443` as `status.example.com`.
fn bare_host(host: &str) -> String {
    let host = host.trim();
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    host.to_ascii_lowercase()
}

/// On the status host only the public pages answer (and the probes a load balancer
/// polls): its root goes to the page, anything else is 404, so none of Vigil's own
/// pages, sign-in or API is reachable under the name customers are given.
pub async fn only_public_on_status_host(
    State(status_host): State<StatusHost>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let asked = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().host())
        .map(bare_host);
    if asked.as_deref() != Some(&*status_host.0) {
        return next.run(request).await;
    }
    let path = request.uri().path();
    if path == "/" {
        return axum::response::Redirect::permanent("/status").into_response();
    }
    if path == "/status" || path.starts_with("/status/") || path == "/livez" || path == "/readyz" {
        return next.run(request).await;
    }
    not_found()
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
        &state.status_url,
    )
    .await
    .map_err(unavailable)
}

/// Answers with one of the kept renderings (`pick`), or `missing` while the page is off.
async fn kept(
    state: &AppState,
    request: &HeaderMap,
    pick: fn(&Served) -> &Encoded,
    content_type: &'static str,
    cache: &'static str,
    missing: fn() -> Response,
) -> Response {
    match served(state).await {
        Ok(served) => match served.as_ref() {
            Some(s) => encoded(request, pick(s), content_type, cache),
            None => missing(),
        },
        Err(response) => response,
    }
}

async fn page(State(state): State<AppState>, request: HeaderMap) -> Response {
    kept(&state, &request, |s| &s.page, HTML, CACHE, not_found).await
}

async fn history(State(state): State<AppState>, request: HeaderMap) -> Response {
    kept(
        &state,
        &request,
        |s| &s.history_page,
        HTML,
        CACHE,
        not_found,
    )
    .await
}

/// The id a detail page names and the kept rendering; a bad id is the 404 page.
async fn detail(state: &AppState, id: &str) -> Result<(i64, Arc<Option<Served>>), Response> {
    let id = id.parse::<i64>().map_err(|_| not_found())?;
    Ok((id, served(state).await?))
}

async fn incident(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let (id, served) = match detail(&state, &id).await {
        Ok(found) => found,
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

/// One maintenance window: those announced or in progress from the kept rendering,
/// finished ones read.
async fn maintenance(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let (id, served) = match detail(&state, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(s) = served.as_ref() else {
        return not_found();
    };
    let page = |m: &app::status::Maintenance| {
        html(
            StatusCode::OK,
            app::status::public_maintenance::maintenance_page(&s.header, m).into(),
        )
    };
    if let Some(m) = s.status.maintenance.iter().find(|m| m.id == id) {
        return page(m);
    }
    match service::public_maintenance(&state.db, id, chrono::Utc::now()).await {
        Ok(Some(m)) => page(&m),
        Ok(None) => not_found(),
        Err(err) => unavailable(err),
    }
}

async fn style(State(state): State<AppState>, request: HeaderMap) -> Response {
    let css = "text/css; charset=utf-8";
    kept(
        &state,
        &request,
        |s| &s.style,
        css,
        "public, max-age=300",
        not_found,
    )
    .await
}

fn json_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({ "error": "The status page is not published." })),
    )
        .into_response()
}

/// One of Statuspage's JSON documents, kept rendered in `Served`.
async fn kept_json(
    state: &AppState,
    request: &HeaderMap,
    pick: fn(&Served) -> &Encoded,
) -> Response {
    kept(state, request, pick, JSON, CACHE, json_not_found).await
}

/// Statuspage's `summary.json` (`statuspage::summary`).
async fn summary(State(state): State<AppState>, request: HeaderMap) -> Response {
    kept_json(&state, &request, |s| &s.summary).await
}

/// Statuspage's `incidents.json` (`statuspage::incidents`).
async fn incidents(State(state): State<AppState>, request: HeaderMap) -> Response {
    kept_json(&state, &request, |s| &s.incidents).await
}

/// Statuspage's `scheduled-maintenances.json` (`statuspage::scheduled_maintenances`).
async fn maintenances(State(state): State<AppState>, request: HeaderMap) -> Response {
    kept_json(&state, &request, |s| &s.maintenances).await
}

/// The whole page's Atom feed, kept with the rendering.
async fn page_atom(State(state): State<AppState>, request: HeaderMap) -> Response {
    kept(&state, &request, |s| &s.atom, ATOM, CACHE, not_found).await
}

/// The whole page's RSS feed, kept with the rendering.
async fn page_rss(State(state): State<AppState>, request: HeaderMap) -> Response {
    kept(&state, &request, |s| &s.rss, RSS, CACHE, not_found).await
}

async fn component_atom(state: State<AppState>, id: Path<String>) -> Response {
    component_feed(state, id, ATOM).await
}

async fn component_rss(state: State<AppState>, id: Path<String>) -> Response {
    component_feed(state, id, RSS).await
}

/// One component's feed, written from the rendering kept in memory (feed readers poll
/// every few minutes: it is not kept itself).
async fn component_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    content_type: &'static str,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let served = match served(&state).await {
        Ok(served) => served,
        Err(response) => return response,
    };
    let Some(feed) = served
        .as_ref()
        .as_ref()
        .and_then(|s| s.component_feed(id, &state.status_url))
    else {
        return not_found();
    };
    let body = if content_type == ATOM {
        app::status::feeds::atom(&feed)
    } else {
        app::status::feeds::rss(&feed)
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
        ],
        body,
    )
        .into_response()
}
