//! Telling subscribers about a public change, inside the change's transaction: what
//! they get is read back as the public page shows it, so it holds nothing internal.

use chrono::Utc;
use sea_orm::EntityTrait;

use super::components::public_names;
use super::maintenance::public_maintenance;
use super::setup::settings;
use super::told::public_incidents;
use crate::error::AppError;
use crate::status::entities::status_incident;
use crate::status::outbox::{Announcement, AnnouncementEvent, announce};

/// Announces the published incident `id` as it now reads (a new one, or its latest
/// update).
pub(super) async fn incident(
    db: &impl crate::db::Writer,
    id: i64,
    first: bool,
) -> Result<(), AppError> {
    let settings = settings(db).await?;
    if !settings.enabled {
        return Ok(());
    }
    let Some(row) = status_incident::Entity::find_by_id(id).one(db).await? else {
        return Ok(());
    };
    let names = public_names(db).await?;
    let Some(incident) = public_incidents(db, vec![row], &settings, &names)
        .await?
        .pop()
    else {
        return Ok(());
    };
    let event = if first {
        AnnouncementEvent::IncidentCreated
    } else {
        AnnouncementEvent::IncidentUpdated
    };
    announce(
        db,
        &Announcement {
            event,
            page: settings.name,
            occurred_at: Utc::now(),
            incident: Some(incident),
            maintenance: None,
        },
    )
    .await
}

/// Announces maintenance window `id` as it now reads.
pub(super) async fn maintenance(
    db: &impl crate::db::Writer,
    id: i64,
    event: AnnouncementEvent,
) -> Result<(), AppError> {
    let settings = settings(db).await?;
    if !settings.enabled {
        return Ok(());
    }
    let now = Utc::now();
    let Some(window) = public_maintenance(db, id, now).await? else {
        return Ok(());
    };
    announce(
        db,
        &Announcement {
            event,
            page: settings.name,
            occurred_at: now,
            incident: None,
            maintenance: Some(window),
        },
    )
    .await
}
