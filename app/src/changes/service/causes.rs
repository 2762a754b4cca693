//! Changes as causes: marking a rollback, linking and unlinking a change to an incident.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::read::{get_change, not_found, views};
use crate::accounts::CurrentUser;
use crate::changes::entities::{change, incident_change};
use crate::changes::{Cause, ChangeOutcome, ChangeView};
use crate::error::AppError;
use crate::incidents::service::timeline::{AutoEvent, record_event};
use crate::incidents::{EventKind, IncidentRef};

/// How a timeline names a change: its kind, title and version. They come from other
/// systems, so they are shown as text, never as Markdown.
fn timeline_name(change: &change::Model) -> String {
    let literal = crate::markdown::literal;
    match &change.version {
        Some(version) => format!(
            "{} \u{201c}{}\u{201d} ({})",
            change.kind.label(),
            literal(&change.title),
            literal(version)
        ),
        None => format!(
            "{} \u{201c}{}\u{201d}",
            change.kind.label(),
            literal(&change.title)
        ),
    }
}

/// Marks `change_id` rolled back by hand (when its sender never reports it), on the
/// timeline of every incident it is linked to. Marking it again changes nothing.
pub async fn mark_rolled_back(
    db: &impl crate::db::Writer,
    actor: &CurrentUser,
    change_id: i64,
) -> Result<ChangeView, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let found = change::Entity::find_by_id(change_id)
        .one(&*txn)
        .await?
        .ok_or_else(|| not_found(change_id))?;
    if found.outcome == ChangeOutcome::RolledBack {
        drop(txn);
        return get_change(db, change_id).await;
    }
    let now = Utc::now();
    let saved = change::ActiveModel {
        id: Set(found.id),
        outcome: Set(ChangeOutcome::RolledBack),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&*txn)
    .await?;
    let body = format!("{} was rolled back", timeline_name(&saved));
    for link in incident_change::Entity::find()
        .filter(incident_change::Column::ChangeId.eq(change_id))
        .all(&*txn)
        .await?
    {
        record_event(
            &*txn,
            link.incident_id,
            actor,
            AutoEvent {
                kind: EventKind::Change,
                body: body.clone(),
                at: now,
            },
        )
        .await?;
    }
    let view = views(&*txn, vec![saved]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// Whether `change_id` is linked to the incident as a cause of any kind.
pub async fn is_linked(
    db: &impl sea_orm::ConnectionTrait,
    reference: IncidentRef,
    change_id: i64,
) -> Result<bool, AppError> {
    Ok(
        incident_change::Entity::find_by_id((reference.0, change_id))
            .one(db)
            .await?
            .is_some(),
    )
}

/// Marks `change_id` as a `cause` of `reference`, or (`None`) unlinks it; recorded on the
/// incident's timeline. Marking it again with the same cause changes nothing.
pub async fn link_cause(
    db: &impl crate::db::Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    change_id: i64,
    cause: Option<Cause>,
) -> Result<ChangeView, AppError> {
    let txn = crate::db::begin_write(db).await?;
    crate::incidents::service::load(&*txn, reference).await?;
    let change = change::Entity::find_by_id(change_id)
        .one(&*txn)
        .await?
        .ok_or_else(|| not_found(change_id))?;
    let current = incident_change::Entity::find_by_id((reference.0, change_id))
        .one(&*txn)
        .await?;
    if current.as_ref().map(|c| c.cause) == cause {
        drop(txn);
        return get_change(db, change_id).await;
    }
    let named = timeline_name(&change);
    let body = match cause {
        Some(cause) => {
            let row = incident_change::ActiveModel {
                incident_id: Set(reference.0),
                change_id: Set(change_id),
                cause: Set(cause),
                linked_by: Set(actor.id.0),
                linked_at: Set(Utc::now()),
            };
            if current.is_some() {
                row.update(&*txn).await?;
            } else {
                row.insert(&*txn).await?;
            }
            format!("{named} marked as the {}", cause.label().to_lowercase())
        }
        None => {
            incident_change::Entity::delete_by_id((reference.0, change_id))
                .exec(&*txn)
                .await?;
            format!("{named} is no longer linked as a cause")
        }
    };
    record_event(
        &*txn,
        reference.0,
        actor,
        AutoEvent {
            kind: EventKind::Change,
            body,
            at: Utc::now(),
        },
    )
    .await?;
    let view = views(&*txn, vec![change]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}
