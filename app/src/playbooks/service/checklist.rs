//! Playbooks on incidents: attached at the version current then (by the incident's
//! services, or by hand), ticked step by step; every change is on the timeline.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, SqlErr,
};

use super::{decode_steps, load};
use crate::accounts::CurrentUser;
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::entities::incident_service;
use crate::incidents::service::timeline::{AutoEvent, record_event};
use crate::incidents::{EventKind, IncidentRef};
use crate::playbooks::entities::{
    incident_playbook, playbook, playbook_service, revision, step_tick, type_playbook,
};
use crate::playbooks::{PlaybookId, PlaybookStep};

async fn attach(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    incident_id: i64,
    playbook: &playbook::Model,
) -> Result<(), AppError> {
    let now = Utc::now();
    incident_playbook::ActiveModel {
        incident_id: Set(incident_id),
        playbook_id: Set(playbook.id),
        version: Set(playbook.version),
        attached_at: Set(now),
        attached_by: Set(actor.id.0),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let steps = decode_steps(&playbook.steps).len();
    record_event(
        txn,
        incident_id,
        actor,
        AutoEvent {
            kind: EventKind::Playbook,
            body: format!(
                "Playbook attached: {} (version {}, {} step{})",
                playbook.title,
                playbook.version,
                steps,
                if steps == 1 { "" } else { "s" }
            ),
            at: now,
        },
    )
    .await
}

/// Attaches the playbooks of the incident's services and of its type that it does not
/// have yet, inside the caller's write transaction (an alert opening it, services added).
pub async fn attach_for_incident(
    txn: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
) -> Result<(), AppError> {
    let service_ids: Vec<i64> = incident_service::Entity::find()
        .filter(incident_service::Column::IncidentId.eq(reference.0))
        .all(txn)
        .await?
        .into_iter()
        .map(|s| s.service_id)
        .collect();
    let incident = crate::incidents::service::load(txn, reference).await?;
    // A row written before types is of the default type; read it only then.
    let type_id = match incident.type_id {
        Some(id) => Some(id),
        None => crate::incidents::service::types::type_of(txn, &incident)
            .await?
            .map(|kind| kind.id),
    };
    for playbook in linked(txn, &service_ids, type_id, Some(reference)).await? {
        attach(txn, actor, reference.0, &playbook).await?;
    }
    Ok(())
}

/// The playbooks a new incident of these services and this type gets (those in use linked
/// to either), read before its declaration's write begins so that on SQLite the one
/// writer's turn is not spent on them; [`attach_declared`] attaches them.
pub async fn for_declaration(
    db: &impl ConnectionTrait,
    service_ids: &[i64],
    type_id: i64,
) -> Result<Vec<playbook::Model>, AppError> {
    linked(db, service_ids, Some(type_id), None).await
}

/// Attaches a new incident's playbooks, read by [`for_declaration`], inside the
/// declaration's transaction: what [`attach_for_incident`] does, without its reads.
pub async fn attach_declared(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    playbooks: &[playbook::Model],
) -> Result<(), AppError> {
    for playbook in playbooks {
        attach(txn, actor, reference.0, playbook).await?;
    }
    Ok(())
}

/// The playbooks in use linked to any of `service_ids` or to `type_id` and not yet
/// attached to `incident`, by title.
async fn linked(
    db: &impl ConnectionTrait,
    service_ids: &[i64],
    type_id: Option<i64>,
    incident: Option<IncidentRef>,
) -> Result<Vec<playbook::Model>, AppError> {
    let mut links = Condition::any().add(
        playbook::Column::Id.in_subquery(
            Query::select()
                .column(playbook_service::Column::PlaybookId)
                .from(playbook_service::Entity)
                .and_where(playbook_service::Column::ServiceId.is_in(service_ids.iter().copied()))
                .to_owned(),
        ),
    );
    if let Some(type_id) = type_id {
        links = links.add(
            playbook::Column::Id.in_subquery(
                Query::select()
                    .column(type_playbook::Column::PlaybookId)
                    .from(type_playbook::Entity)
                    .and_where(type_playbook::Column::TypeId.eq(type_id))
                    .to_owned(),
            ),
        );
    }
    let mut query = playbook::Entity::find()
        .filter(playbook::Column::ArchivedAt.is_null())
        .filter(links);
    if let Some(incident) = incident {
        query = query.filter(
            playbook::Column::Id.not_in_subquery(
                Query::select()
                    .column(incident_playbook::Column::PlaybookId)
                    .from(incident_playbook::Entity)
                    .and_where(incident_playbook::Column::IncidentId.eq(incident.0))
                    .to_owned(),
            ),
        );
    }
    Ok(query.order_by_asc(playbook::Column::Title).all(db).await?)
}

/// The playbooks every incident of type `type_id` gets, replaced by `ids` (unknown ids
/// refused beside the `playbook_ids` field).
pub async fn set_type_playbooks(
    txn: &impl ConnectionTrait,
    type_id: i64,
    ids: &[i64],
) -> Result<(), AppError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let known = playbook::Entity::find()
        .filter(playbook::Column::Id.is_in(ids.clone()))
        .all(txn)
        .await?;
    if known.len() != ids.len() {
        return Err(AppError::invalid(
            "playbook_ids",
            "One of the chosen playbooks does not exist.",
        ));
    }
    type_playbook::Entity::delete_many()
        .filter(type_playbook::Column::TypeId.eq(type_id))
        .exec(txn)
        .await?;
    for playbook_id in ids {
        type_playbook::ActiveModel {
            type_id: Set(type_id),
            playbook_id: Set(playbook_id),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Every type's playbooks: (type id, playbook id, title), by title.
pub async fn type_playbooks(
    db: &impl ConnectionTrait,
) -> Result<Vec<(i64, i64, String)>, AppError> {
    let links = type_playbook::Entity::find().all(db).await?;
    let titles: HashMap<i64, String> = playbook::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.title))
        .collect();
    let mut rows: Vec<_> = links
        .into_iter()
        .filter_map(|l| {
            Some((
                l.type_id,
                l.playbook_id,
                titles.get(&l.playbook_id)?.clone(),
            ))
        })
        .collect();
    rows.sort_by(|a, b| a.2.cmp(&b.2));
    Ok(rows)
}

/// Drops a service being deleted from every playbook's services.
pub async fn forget_service(txn: &impl ConnectionTrait, service_id: i64) -> Result<(), AppError> {
    playbook_service::Entity::delete_many()
        .filter(playbook_service::Column::ServiceId.eq(service_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Attaches playbook `id` for a rule, inside the caller's transaction; answers what
/// happened, in words (attached, or why not).
pub async fn attach_for_rule(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    incident_id: i64,
    id: i64,
) -> Result<String, AppError> {
    let Some(playbook) = playbook::Entity::find_by_id(id).one(txn).await? else {
        return Ok("could not attach a playbook: it was deleted".to_owned());
    };
    let title = crate::markdown::literal(&playbook.title);
    if playbook.archived_at.is_some() {
        return Ok(format!(
            "did not attach the playbook {title}: it is archived"
        ));
    }
    let already = incident_playbook::Entity::find()
        .filter(incident_playbook::Column::IncidentId.eq(incident_id))
        .filter(incident_playbook::Column::PlaybookId.eq(id))
        .one(txn)
        .await?;
    if already.is_some() {
        return Ok(format!("found the playbook {title} attached already"));
    }
    attach(txn, actor, incident_id, &playbook).await?;
    Ok(format!("attached the playbook {title}"))
}

/// Attaches a playbook by hand.
pub async fn attach_playbook(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    id: PlaybookId,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let incident = crate::incidents::service::load(&txn, reference).await?;
    let playbook = load(&txn, id)
        .await
        .map_err(|_| AppError::invalid("playbook_id", "Choose a playbook."))?;
    if playbook.archived_at.is_some() {
        return Err(AppError::invalid(
            "playbook_id",
            "That playbook is archived; restore it first.",
        ));
    }
    let already = incident_playbook::Entity::find()
        .filter(incident_playbook::Column::IncidentId.eq(incident.id))
        .filter(incident_playbook::Column::PlaybookId.eq(playbook.id))
        .one(&txn)
        .await?;
    if already.is_some() {
        return Err(AppError::invalid(
            "playbook_id",
            "That playbook is already on this incident.",
        ));
    }
    attach(&txn, actor, incident.id, &playbook).await?;
    txn.commit().await?;
    Ok(())
}

/// The attachment of `id` to the incident, or a 404.
async fn attachment(
    db: &impl ConnectionTrait,
    incident_id: i64,
    id: PlaybookId,
) -> Result<incident_playbook::Model, AppError> {
    incident_playbook::Entity::find()
        .filter(incident_playbook::Column::IncidentId.eq(incident_id))
        .filter(incident_playbook::Column::PlaybookId.eq(id.0))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That playbook is not on this incident.".into()))
}

/// The steps of the version an incident attached.
pub(super) async fn steps_at(
    db: &impl ConnectionTrait,
    playbook_id: i64,
    version: i32,
) -> Result<Vec<PlaybookStep>, AppError> {
    Ok(revision::Entity::find()
        .filter(revision::Column::PlaybookId.eq(playbook_id))
        .filter(revision::Column::Version.eq(version))
        .one(db)
        .await?
        .map(|r| decode_steps(&r.steps))
        .unwrap_or_default())
}

/// Takes a playbook off an incident (attached by mistake), its ticks with it.
pub async fn detach_playbook(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    id: PlaybookId,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let incident = crate::incidents::service::load(&txn, reference).await?;
    let attached = attachment(&txn, incident.id, id).await?;
    let playbook = load(&txn, id).await?;
    let ticks = step_tick::Entity::delete_many()
        .filter(step_tick::Column::IncidentPlaybookId.eq(attached.id))
        .exec(&txn)
        .await?
        .rows_affected;
    incident_playbook::Entity::delete_by_id(attached.id)
        .exec(&txn)
        .await?;
    record_event(
        &txn,
        incident.id,
        actor,
        AutoEvent {
            kind: EventKind::Playbook,
            body: format!(
                "Playbook removed: {} ({ticks} step{} had been done)",
                playbook.title,
                if ticks == 1 { "" } else { "s" }
            ),
            at: Utc::now(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Marks step `index` (from 0) of the incident's checklist done, or undoes that. Asking for
/// what is already so changes nothing and writes no event (two responders ticking the same
/// step at once leave one tick).
pub async fn tick_step(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    id: PlaybookId,
    index: usize,
    done: bool,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let incident = crate::incidents::service::load(&txn, reference).await?;
    let attached = attachment(&txn, incident.id, id).await?;
    let steps = steps_at(&txn, attached.playbook_id, attached.version).await?;
    let step = steps.get(index).ok_or_else(|| {
        AppError::invalid("step", format!("This checklist has {} steps.", steps.len()))
    })?;
    let title = load(&txn, id).await?.title;
    let position = i32::try_from(index).unwrap_or(i32::MAX);
    let existing = step_tick::Entity::find()
        .filter(step_tick::Column::IncidentPlaybookId.eq(attached.id))
        .filter(step_tick::Column::Step.eq(position))
        .one(&txn)
        .await?;
    let now = Utc::now();
    match (done, existing) {
        (true, Some(_)) | (false, None) => return Ok(()),
        (true, None) => {
            let inserted = step_tick::ActiveModel {
                incident_playbook_id: Set(attached.id),
                step: Set(position),
                done_at: Set(now),
                done_by: Set(actor.id.0),
                ..Default::default()
            }
            .insert(&txn)
            .await;
            if let Err(err) = inserted {
                // PostgreSQL: another responder's tick came first.
                if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
                    txn.rollback().await?;
                    return Ok(());
                }
                return Err(err.into());
            }
        }
        (false, Some(tick)) => {
            step_tick::Entity::delete_by_id(tick.id).exec(&txn).await?;
        }
    }
    record_event(
        &txn,
        incident.id,
        actor,
        AutoEvent {
            kind: EventKind::Playbook,
            body: format!(
                "{title}, step {} {}: {}",
                index + 1,
                if done { "done" } else { "undone" },
                step.text
            ),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
