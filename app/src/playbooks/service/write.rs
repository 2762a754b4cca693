//! Saving playbooks: every save is a new version, kept whole, so an incident's checklist
//! can always be shown as its responders saw it.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::{encode_steps, load};
use crate::audit::service::{self as audit, Actor};
use crate::catalog::entities::service;
use crate::db::Writer;
use crate::error::AppError;
use crate::playbooks::PlaybookId;
use crate::playbooks::entities::{playbook, playbook_service, revision};
use crate::playbooks::form::PlaybookSpec;

fn author(actor: &Actor) -> Result<i64, AppError> {
    actor.id.ok_or(AppError::Unauthorized)
}

/// The services named exist and are not archived (a playbook for a retired service would
/// never be used).
async fn check_services(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    let known = service::Entity::find()
        .filter(service::Column::Id.is_in(ids.iter().copied()))
        .filter(service::Column::ArchivedAt.is_null())
        .all(db)
        .await?
        .len();
    if known != ids.len() {
        return Err(AppError::invalid(
            "services",
            "One of the services does not exist or is archived.",
        ));
    }
    Ok(())
}

async fn write_revision(
    db: &impl ConnectionTrait,
    id: i64,
    version: i32,
    spec: &PlaybookSpec,
    author: i64,
) -> Result<(), AppError> {
    let now = Utc::now();
    revision::ActiveModel {
        playbook_id: Set(id),
        version: Set(version),
        title: Set(spec.title.clone()),
        body: Set(spec.body.clone()),
        steps: Set(encode_steps(&spec.steps)),
        author_id: Set(author),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn replace_services(
    db: &impl ConnectionTrait,
    id: i64,
    service_ids: &[i64],
) -> Result<(), AppError> {
    playbook_service::Entity::delete_many()
        .filter(playbook_service::Column::PlaybookId.eq(id))
        .exec(db)
        .await?;
    let mut ids = service_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for service_id in ids {
        playbook_service::ActiveModel {
            playbook_id: Set(id),
            service_id: Set(service_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Adds a playbook (version 1) attached to `service_ids`.
pub async fn create_playbook(
    db: &impl Writer,
    actor: &Actor,
    spec: &PlaybookSpec,
    service_ids: &[i64],
) -> Result<PlaybookId, AppError> {
    let author = author(actor)?;
    check_services(db, service_ids).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let saved = playbook::ActiveModel {
        title: Set(spec.title.clone()),
        body: Set(spec.body.clone()),
        steps: Set(encode_steps(&spec.steps)),
        version: Set(1),
        archived_at: Set(None),
        created_by: Set(author),
        created_at: Set(now),
        updated_by: Set(author),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    write_revision(&txn, saved.id, 1, spec, author).await?;
    replace_services(&txn, saved.id, service_ids).await?;
    audit::record(
        &txn,
        actor,
        "playbook.created",
        Some(&spec.title),
        json!({ "playbook_id": saved.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(PlaybookId(saved.id))
}

/// Saves a new version made from `expected_version`; refused with a conflict when someone
/// saved another version in the meantime. Incidents keep the version they attached.
pub async fn update_playbook(
    db: &impl Writer,
    actor: &Actor,
    id: PlaybookId,
    spec: &PlaybookSpec,
    service_ids: &[i64],
    expected_version: i32,
) -> Result<i32, AppError> {
    let author = author(actor)?;
    check_services(db, service_ids).await?;
    let txn = crate::db::begin_write(db).await?;
    let current = load(&txn, id).await?;
    let conflict = |now: i32| AppError::Conflict {
        message: format!(
            "This playbook was saved by someone else in the meantime (it is now version {now}). Review the latest version and try again."
        ),
    };
    if current.version != expected_version {
        return Err(conflict(current.version));
    }
    let changes = playbook::ActiveModel {
        title: Set(spec.title.clone()),
        body: Set(spec.body.clone()),
        steps: Set(encode_steps(&spec.steps)),
        updated_by: Set(author),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    let saved = crate::db::update_versioned(
        &txn,
        changes,
        (playbook::Column::Id, current.id),
        (playbook::Column::Version, expected_version),
    )
    .await?;
    if !saved {
        return Err(conflict(expected_version + 1));
    }
    let version = expected_version + 1;
    write_revision(&txn, current.id, version, spec, author).await?;
    replace_services(&txn, current.id, service_ids).await?;
    audit::record(
        &txn,
        actor,
        "playbook.updated",
        Some(&spec.title),
        json!({ "playbook_id": current.id, "version": version }),
    )
    .await?;
    txn.commit().await?;
    Ok(version)
}

/// Archives a playbook (no longer attached to new incidents; kept for the incidents that
/// used it) or brings it back.
pub async fn set_archived(
    db: &impl Writer,
    actor: &Actor,
    id: PlaybookId,
    archived: bool,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let current = load(&txn, id).await?;
    playbook::ActiveModel {
        id: Set(current.id),
        archived_at: Set(archived.then(Utc::now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        if archived {
            "playbook.archived"
        } else {
            "playbook.restored"
        },
        Some(&current.title),
        json!({ "playbook_id": current.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
