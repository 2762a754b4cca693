//! The live view's change marker: one short read that tells whether anything on an
//! incident changed since the page was rendered.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::load;
use crate::error::AppError;
use crate::incidents::IncidentRef;

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
/// statement per live check.
pub async fn marker_of(
    db: &impl ConnectionTrait,
    incident: IncidentRef,
    version: i32,
) -> Result<String, AppError> {
    use crate::incidents::entities::timeline_event as event;
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
