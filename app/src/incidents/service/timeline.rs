//! The timeline: automatic events for every change, and responders' notes (Markdown,
//! backdatable, taggable). Append-only: edits keep revisions, deletes are soft.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, JoinType,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::load;
use crate::accounts::entities::user;
use crate::accounts::{CurrentUser, Role};
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::entities::{timeline_event as event, timeline_event_revision as revision};
use crate::incidents::{EventKind, IncidentRef, Marker, TimelineEventView};

/// An event the system writes on a change.
pub struct AutoEvent {
    pub kind: EventKind,
    pub body: String,
    pub at: DateTime<Utc>,
}

pub(crate) async fn record_event(
    db: &impl ConnectionTrait,
    incident_id: i64,
    actor: &CurrentUser,
    auto: AutoEvent,
) -> Result<(), AppError> {
    event::ActiveModel {
        incident_id: Set(incident_id),
        kind: Set(auto.kind),
        body: Set(auto.body),
        occurred_at: Set(auto.at),
        recorded_at: Set(auto.at),
        author_id: Set(Some(actor.id.0)),
        marker: Set(None),
        highlighted: Set(false),
        deleted_at: Set(None),
        deleted_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A responder's note.
#[derive(Debug, Clone, Default)]
pub struct NewNote {
    /// Markdown; sanitised when rendered.
    pub body: String,
    /// When it happened, if earlier than now (backdating).
    pub occurred_at: Option<DateTime<Utc>>,
    pub marker: Option<Marker>,
    pub highlighted: bool,
}

const MAX_NOTE_CHARS: usize = 20_000;

/// Adds a note to the timeline of `reference`.
pub async fn add_note(
    db: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    note: NewNote,
) -> Result<TimelineEventView, AppError> {
    let incident = load(db, reference).await?;
    let body = note_body(&note.body, "Write something before adding the note.")?;
    let now = Utc::now();
    let occurred_at = note.occurred_at.unwrap_or(now);
    if occurred_at > now + Duration::minutes(5) {
        return Err(AppError::invalid(
            "occurred_at",
            "A note cannot be about the future.",
        ));
    }
    let earliest = incident.impact_started_at.unwrap_or(incident.declared_at) - Duration::days(30);
    if occurred_at < earliest {
        return Err(AppError::invalid(
            "occurred_at",
            "That is more than 30 days before the incident began.",
        ));
    }
    let saved = event::ActiveModel {
        incident_id: Set(incident.id),
        kind: Set(EventKind::Note),
        body: Set(body),
        occurred_at: Set(occurred_at),
        recorded_at: Set(now),
        author_id: Set(Some(actor.id.0)),
        marker: Set(note.marker),
        highlighted: Set(note.highlighted),
        deleted_at: Set(None),
        deleted_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(view(saved, Some(actor.display_name.clone()), Vec::new()))
}

/// A note's text, trimmed: not empty (`empty` says what to do instead) and within
/// [`MAX_NOTE_CHARS`], whether added or edited.
fn note_body(body: &str, empty: &str) -> Result<String, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("body", empty));
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::invalid(
            "body",
            "Notes are limited to 20,000 characters.",
        ));
    }
    Ok(body.to_owned())
}

/// The answer for a note that is not on the incident named (or was deleted).
pub fn note_missing() -> AppError {
    AppError::NotFound("That note does not exist (or was deleted).".into())
}

/// A note of `reference` that is still there; another incident's note is not found.
async fn load_note(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
    event_id: i64,
) -> Result<event::Model, AppError> {
    event::Entity::find_by_id(event_id)
        .filter(event::Column::DeletedAt.is_null())
        .filter(event::Column::IncidentId.eq(reference.0))
        .one(db)
        .await?
        .filter(|e| e.kind == EventKind::Note)
        .ok_or_else(note_missing)
}

/// Changes a note's text, keeping the previous text as a revision. `expected_version`
/// is the version the editor started from: when someone else's edit came first, this one
/// is refused (409) and saves nothing, so neither text is lost without anyone knowing.
pub async fn edit_note(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    event_id: i64,
    body: &str,
    expected_version: i32,
) -> Result<(), AppError> {
    let body = note_body(body, "A note cannot be empty; delete it instead.")?;
    let txn = crate::db::begin_write(db).await?;
    let note = load_note(&txn, reference, event_id).await?;
    if note.version != expected_version {
        return Err(note_edited_meanwhile());
    }
    if body == note.body {
        return Ok(());
    }
    revision::ActiveModel {
        event_id: Set(note.id),
        body: Set(note.body.clone()),
        edited_at: Set(Utc::now()),
        editor_id: Set(actor.id.0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let changes = event::ActiveModel {
        body: Set(body),
        ..Default::default()
    };
    let id = (event::Column::Id, note.id);
    let version = (event::Column::Version, expected_version);
    if !crate::db::update_versioned(&txn, changes, id, version).await? {
        return Err(note_edited_meanwhile());
    }
    txn.commit().await?;
    Ok(())
}

fn note_edited_meanwhile() -> AppError {
    AppError::Conflict {
        message: "Someone else edited this note a moment ago, so your text was not saved. Reload to see theirs, then edit again.".into(),
    }
}

/// Hides a note from the timeline; admins still see it, marked as deleted.
pub async fn delete_note(
    db: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    event_id: i64,
) -> Result<(), AppError> {
    let mut note = load_note(db, reference, event_id)
        .await?
        .into_active_model();
    note.deleted_at = Set(Some(Utc::now()));
    note.deleted_by = Set(Some(actor.id.0));
    note.update(db).await?;
    Ok(())
}

/// The timeline in the order things happened, as `reader` may see it: deleted notes only
/// for admins, and the earlier text of edited notes only for the people who can write
/// (someone may have pasted a secret and edited it out).
pub async fn timeline(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
    reader: Role,
) -> Result<Vec<TimelineEventView>, AppError> {
    let incident = load(db, reference).await?;
    timeline_of(db, IncidentRef(incident.id), reader).await
}

/// [`timeline`] of an incident the caller has just read (no check that it exists).
pub async fn timeline_of(
    db: &impl ConnectionTrait,
    incident: IncidentRef,
    reader: Role,
) -> Result<Vec<TimelineEventView>, AppError> {
    let events = read_events(db, incident, None).await?;
    views(db, events, reader).await
}

/// [`timeline_of`] and the incident's change marker at `version` (see
/// [`marker_of`](super::marker::marker_of)), both from one read of its events: what the
/// incident page and the live timeline show.
pub async fn timeline_and_marker(
    db: &impl ConnectionTrait,
    incident: IncidentRef,
    reader: Role,
    version: i32,
) -> Result<(Vec<TimelineEventView>, String), AppError> {
    let events = read_events(db, incident, None).await?;
    let marker = super::marker::Marker::of_events(events.iter().map(|row| &row.event), version);
    Ok((views(db, events, reader).await?, marker.to_string()))
}

/// One event of the incident's timeline as `reader` may see it (after an edit).
pub async fn event_of(
    db: &impl ConnectionTrait,
    incident: IncidentRef,
    event_id: i64,
    reader: Role,
) -> Result<TimelineEventView, AppError> {
    let events = read_events(db, incident, Some(event_id)).await?;
    views(db, events, reader)
        .await?
        .pop()
        .ok_or_else(note_missing)
}

/// The incident's events (or only `only`), deleted ones too, each with its author, in the
/// order they happened: one statement.
async fn read_events(
    db: &impl ConnectionTrait,
    incident: IncidentRef,
    only: Option<i64>,
) -> Result<Vec<EventRow>, AppError> {
    let mut query = event::Entity::find().filter(event::Column::IncidentId.eq(incident.0));
    if let Some(id) = only {
        query = query.filter(event::Column::Id.eq(id));
    }
    Ok(query
        .column_as(user::Column::DisplayName, "author")
        .join(
            JoinType::LeftJoin,
            event::Entity::belongs_to(user::Entity)
                .from(event::Column::AuthorId)
                .to(user::Column::Id)
                .into(),
        )
        .order_by_asc(event::Column::OccurredAt)
        .order_by_asc(event::Column::Id)
        .into_model::<EventRow>()
        .all(db)
        .await?)
}

/// An event with its author's name: only the name is read of the author's account.
#[derive(sea_orm::FromQueryResult)]
struct EventRow {
    #[sea_orm(nested)]
    event: event::Model,
    author: Option<String>,
}

/// The views of `events` as `reader` may see them: deleted notes only for admins, earlier
/// texts only for those who can write.
async fn views(
    db: &impl ConnectionTrait,
    mut events: Vec<EventRow>,
    reader: Role,
) -> Result<Vec<TimelineEventView>, AppError> {
    if !reader.is_admin() {
        events.retain(|row| row.event.deleted_at.is_none());
    }
    // Only an edited note (its version above 1, migration 39) has earlier texts: a
    // timeline nobody corrected costs no second statement.
    let edited: Vec<i64> = events
        .iter()
        .filter(|row| row.event.version > 1)
        .map(|row| row.event.id)
        .collect();
    let revisions = if reader.can_write() && !edited.is_empty() {
        revision::Entity::find()
            .filter(revision::Column::EventId.is_in(edited))
            .order_by_asc(revision::Column::Id)
            .all(db)
            .await?
    } else {
        Vec::new()
    };
    Ok(events
        .into_iter()
        .map(|EventRow { event: e, author }| {
            let history = revisions
                .iter()
                .filter(|r| r.event_id == e.id)
                .map(|r| r.body.clone())
                .collect();
            view(e, author, history)
        })
        .collect())
}

fn view(e: event::Model, author: Option<String>, revisions: Vec<String>) -> TimelineEventView {
    TimelineEventView {
        id: e.id,
        kind: e.kind,
        body_html: crate::markdown::render(&e.body),
        body: e.body,
        occurred_at: e.occurred_at,
        recorded_at: e.recorded_at,
        author,
        marker: e.marker,
        highlighted: e.highlighted,
        deleted: e.deleted_at.is_some(),
        revisions,
        version: e.version,
    }
}
