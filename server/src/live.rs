//! Live incident pages: a server-sent event stream per incident that says "changed"
//! whenever its timeline or version moves. It polls the database, so it works the same
//! with several app replicas on one PostgreSQL; clients refetch the page data, so a
//! repeated or missed-then-caught-up event never duplicates anything.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use app::accounts::CurrentUser;
use app::error::AppError;
use app::incidents::IncidentRef;
use app::incidents::service::marker::change_marker;
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::stream;
use serde::Deserialize;
use tower_sessions::{Session, SessionStore};

/// Open streams one person may hold (tabs, devices) on this replica.
pub const MAX_STREAMS_PER_USER: usize = 10;
/// Open streams this replica holds in all; each costs a query a second.
pub const MAX_STREAMS: usize = 1000;

/// Open streams by user, on this replica.
static OPEN: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

/// One open stream's place in [`OPEN`] (by the user's id and email), given back when the
/// stream ends.
struct Slot(i64, String);

impl Slot {
    fn take(user: &CurrentUser) -> Result<Slot, AppError> {
        let mut open = OPEN.lock().map_err(AppError::internal)?;
        let open = open.get_or_insert_with(HashMap::new);
        let total: usize = open.values().sum();
        let mine = open.entry(user.email.clone()).or_insert(0);
        if *mine >= MAX_STREAMS_PER_USER || total >= MAX_STREAMS {
            return Err(AppError::TooManyRequests(
                "Too many live pages are open. Close some tabs and reload.".into(),
            ));
        }
        *mine += 1;
        Ok(Slot(user.id.0, user.email.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = OPEN.lock()
            && let Some(open) = open.as_mut()
            && let Some(n) = open.get_mut(&self.1)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// Whether the stream may go on: its session still exists and its user is still active.
async fn still_signed_in(
    db: &sea_orm::DatabaseConnection,
    session: &Option<Session>,
    user: i64,
) -> bool {
    let Some(id) = session.as_ref().and_then(Session::id) else {
        return false;
    };
    let store = app::accounts::service::sessions::DbSessionStore::new(db.clone());
    if !matches!(store.load(&id).await, Ok(Some(_))) {
        return false;
    }
    matches!(
        app::accounts::service::users::find(db, app::accounts::UserId(user)).await,
        Ok(Some(u)) if u.deactivated_at.is_none()
    )
}

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
    session: Option<Extension<Session>>,
    headers: HeaderMap,
) -> Response {
    let Some(Extension(user)) = user else {
        return AppError::Unauthorized.into_response();
    };
    let session = session.map(|Extension(s)| s);
    let reference = match IncidentRef::parse_or_not_found(&reference) {
        Ok(reference) => reference,
        Err(err) => return err.into_response(),
    };
    if let Err(err) = change_marker(&state.db, reference).await {
        return err.into_response();
    }
    // A reconnecting EventSource says where it was; a fresh one says what its page showed.
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(query.since);

    let slot = match Slot::take(&user) {
        Ok(slot) => slot,
        Err(err) => return err.into_response(),
    };

    let events = stream::unfold(
        (state.db, last_seen, true, slot),
        move |(db, last, first, slot)| {
            let session = session.clone();
            async move {
                let mut first = first;
                loop {
                    if !first {
                        tokio::time::sleep(POLL).await;
                    }
                    first = false;
                    if SHUTTING_DOWN.load(Ordering::Relaxed) {
                        return None;
                    }
                    // Signed out (here or everywhere), or deactivated: the stream ends with it.
                    if !still_signed_in(&db, &session, slot.0).await {
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
                        return Some((Ok::<_, Infallible>(event), (db, Some(marker), false, slot)));
                    }
                }
            }
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
