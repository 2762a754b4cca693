//! An incident's timeline: reading it and adding notes.

use app::error::AppError;
use app::incidents::TimelineEventView;
use app::incidents::service::timeline::{NewNote, add_note, timeline};
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, IncidentPath, Responder, Viewer};
use super::{IncidentMissing, Refused, WriteRefused};

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
            marker: None,
            highlighted: false,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(event)))
}
