//! Live incident pages: a server-sent event stream per incident that says "changed"
//! whenever its timeline or version moves. It polls the database, so it works the same
//! with several app replicas on one PostgreSQL; clients refetch the page data, so a
//! repeated or missed-then-caught-up event never duplicates anything.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use app::accounts::CurrentUser;
use app::error::AppError;
use app::incidents::IncidentRef;
use app::incidents::service::query::change_marker;
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream;
use serde::Deserialize;

use crate::json_error;

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
    if user.is_none() {
        return json_error(AppError::Unauthorized);
    }
    let reference = match IncidentRef::parse_or_not_found(&reference) {
        Ok(reference) => reference,
        Err(err) => return json_error(err),
    };
    if let Err(err) = change_marker(&state.db, reference).await {
        return json_error(err);
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
