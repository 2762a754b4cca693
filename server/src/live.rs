//! Live incident pages: a server-sent event stream per incident that says "changed"
//! whenever its timeline or version moves. It polls the database, so it works the same
//! with several app replicas on one PostgreSQL; clients refetch the page data, so a
//! repeated or missed-then-caught-up event never duplicates anything.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use app::accounts::CurrentUser;
use app::incidents::IncidentRef;
use app::incidents::service::query::change_marker;
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use futures_util::stream;
use serde::Deserialize;
use serde_json::json;

/// How often each open stream looks for changes.
const POLL: Duration = Duration::from_secs(1);

/// Set when the server shuts down: open streams end (within one poll) so that graceful
/// shutdown does not wait forever on browsers that never hang up.
static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);

pub fn end_streams() {
    SHUTTING_DOWN.store(true, Ordering::Relaxed);
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/incidents/{reference}/events", get(incident_events))
}

#[derive(Debug, Deserialize)]
struct Since {
    since: Option<String>,
}

async fn incident_events(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Query(query): Query<Since>,
    user: Option<Extension<CurrentUser>>,
    headers: HeaderMap,
) -> Response {
    let error = |status: StatusCode, code: &str, message: String| {
        (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response()
    };
    if user.is_none() {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Please sign in to continue.".into(),
        );
    }
    let Some(reference) = IncidentRef::parse(&reference) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("There is no incident {reference}."),
        );
    };
    if let Err(err) = change_marker(&state.db, reference).await {
        return error(err.status(), err.code(), err.to_string());
    }
    // A reconnecting EventSource says where it was; a fresh one says what its page showed.
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(query.since);

    let events = stream::unfold(
        (state.db, last_seen, true),
        move |(db, last, first)| async move {
            let mut first = first;
            loop {
                if !first {
                    tokio::time::sleep(POLL).await;
                }
                first = false;
                if SHUTTING_DOWN.load(Ordering::Relaxed) {
                    return None;
                }
                // A vanished incident or an unreachable database ends the stream; the browser
                // reconnects and catches up.
                let marker = change_marker(&db, reference).await.ok()?;
                if last.as_deref() != Some(marker.as_str()) {
                    let event = Event::default()
                        .event("changed")
                        .id(marker.clone())
                        .data(marker.clone());
                    return Some((Ok::<_, Infallible>(event), (db, Some(marker), false)));
                }
            }
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
