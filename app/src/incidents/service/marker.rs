//! The live view's change marker: one short read that tells whether anything on an
//! incident changed since the page was rendered.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::load;
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::timeline_event as event;

/// A token that changes whenever anything on the incident changes (a new timeline event,
/// a note edited or deleted, a new version): what the live view watches.
pub async fn change_marker(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<String, AppError> {
    let incident = load(db, reference).await?;
    marker_of(db, reference, incident.version).await
}

/// What the marker is made of.
pub(super) struct Marker {
    /// The newest event's id: a new event.
    pub latest: Option<i64>,
    /// The incident's version: any change to the incident itself.
    pub version: i32,
    /// The sum of its events' versions: an edit raises a note's version.
    pub edits: i64,
    /// Its deleted notes.
    pub deleted: i64,
}

impl Marker {
    /// The marker of an incident at `version` whose events (deleted ones too) are
    /// `events`: what [`marker_of`] reads in SQL, made from a read the caller already has.
    pub(super) fn of_events<'a>(
        events: impl IntoIterator<Item = &'a event::Model>,
        version: i32,
    ) -> Self {
        let mut marker = Marker {
            latest: None,
            version,
            edits: 0,
            deleted: 0,
        };
        for e in events {
            marker.latest = marker.latest.max(Some(e.id));
            marker.edits += i64::from(e.version);
            marker.deleted += i64::from(e.deleted_at.is_some());
        }
        marker
    }
}

impl std::fmt::Display for Marker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Marker {
            latest,
            version,
            edits,
            deleted,
        } = self;
        write!(f, "{}-{version}-{edits}-{deleted}", latest.unwrap_or(0))
    }
}

/// [`change_marker`] of an incident the caller has just read at `version`: one short
/// statement per live check. The same as [`Marker::of_events`] over its events.
pub async fn marker_of(
    db: &impl ConnectionTrait,
    incident: IncidentRef,
    version: i32,
) -> Result<String, AppError> {
    let (latest, edits, deleted): (Option<i64>, Option<i64>, i64) = event::Entity::find()
        .select_only()
        .column_as(event::Column::Id.max(), "latest")
        .column_as(event::Column::Version.sum(), "edits")
        .column_as(event::Column::DeletedAt.count(), "deleted")
        .filter(event::Column::IncidentId.eq(incident.0))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((None, None, 0));
    let marker = Marker {
        latest,
        version,
        edits: edits.unwrap_or(0),
        deleted,
    };
    Ok(marker.to_string())
}
