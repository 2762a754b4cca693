//! An incident's timeline: reading it, adding notes, correcting and deleting them.

use app::error::AppError;
use app::incidents::service::timeline::{
    NewNote, add_note, delete_note, edit_note, event_of, timeline,
};
use app::incidents::{Marker, TimelineEventView};
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, IncidentPath, NotePath, Responder, Viewer};
use super::{ApiError, IncidentMissing, Refused, WriteRefused};

/// An incident's timeline, oldest first.
#[derive(Serialize, ToSchema)]
pub(super) struct Timeline {
    events: Vec<TimelineEventView>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/timeline", tag = "timeline",
    params(IncidentPath),
    responses(
        (status = 200, description = "The events, oldest first", body = Timeline),
        IncidentMissing,
        Refused,
    ))]
pub(super) async fn events(
    State(state): State<AppState>,
    Viewer(user): Viewer,
    IncidentPath(reference): IncidentPath,
) -> Result<Json<Timeline>, AppError> {
    let events = timeline(&state.db, reference, user.role).await?;
    Ok(Json(Timeline { events }))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewNoteBody {
    /// Markdown.
    #[schema(min_length = 1)]
    body: String,
    /// When it happened, if not now.
    occurred_at: Option<DateTime<Utc>>,
    /// Pulls the note into the postmortem's story.
    marker: Option<Marker>,
    /// Shown emphasised on the timeline.
    #[serde(default)]
    highlighted: bool,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/timeline", tag = "timeline",
    params(IncidentPath),
    request_body = NewNoteBody,
    responses(
        (status = 201, description = "The note as stored", body = TimelineEventView),
        IncidentMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn note(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(new): ApiJson<NewNoteBody>,
) -> Result<(StatusCode, Json<TimelineEventView>), AppError> {
    let event = add_note(
        &state.db,
        &user,
        reference,
        NewNote {
            body: new.body,
            occurred_at: new.occurred_at,
            marker: new.marker,
            highlighted: new.highlighted,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(event)))
}

/// A note's corrected text.
#[derive(Deserialize, ToSchema)]
pub(super) struct NoteEdit {
    /// Markdown; the earlier text is kept as a revision (shown to responders and admins).
    #[schema(min_length = 1, max_length = 20_000)]
    body: String,
    /// The note's `version` the edit started from: if someone else edited it since, the
    /// edit is refused (409) and nothing is saved.
    version: i32,
}

/// Corrects a note's text (any responder's note, as on the page).
#[utoipa::path(patch, path = "/api/v1/incidents/{reference}/timeline/{event_id}", tag = "timeline",
    params(NotePath),
    request_body = NoteEdit,
    responses(
        (status = 200, description = "The note as now stored", body = TimelineEventView),
        (status = 404, description = "No such incident, or no such note on it (or deleted)", body = ApiError),
        Refused, WriteRefused,
    ))]
pub(super) async fn edit(
    State(state): State<AppState>,
    Responder(user): Responder,
    NotePath(reference, id): NotePath,
    ApiJson(change): ApiJson<NoteEdit>,
) -> Result<Json<TimelineEventView>, AppError> {
    edit_note(
        &state.db,
        &user,
        reference,
        id,
        &change.body,
        change.version,
    )
    .await?;
    Ok(Json(event_of(&state.db, reference, id, user.role).await?))
}

/// Deletes a note: hidden from the timeline (admins still see it, marked deleted).
#[utoipa::path(delete, path = "/api/v1/incidents/{reference}/timeline/{event_id}", tag = "timeline",
    params(NotePath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such incident, or no such note on it (or deleted already)", body = ApiError),
        Refused,
    ))]
pub(super) async fn delete(
    State(state): State<AppState>,
    Responder(user): Responder,
    NotePath(reference, id): NotePath,
) -> Result<StatusCode, AppError> {
    delete_note(&state.db, &user, reference, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
