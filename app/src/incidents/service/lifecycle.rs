//! Changing an incident: status, severity and roles. Each change names the version it
//! was based on and leaves a timeline event.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::timeline::{AutoEvent, record_event};
use super::{load, save_versioned};
use crate::accounts::CurrentUser;
use crate::accounts::entities::user;
use crate::error::AppError;
use crate::incidents::entities::{incident, incident_role, severity};
use crate::incidents::status::transition;
use crate::incidents::{EventKind, IncidentRef, IncidentRole, Status, Timestamps};

pub(crate) fn timestamps_of(m: &incident::Model) -> Timestamps {
    Timestamps {
        impact_started_at: m.impact_started_at,
        detected_at: m.detected_at,
        declared_at: m.declared_at,
        acknowledged_at: m.acknowledged_at,
        mitigated_at: m.mitigated_at,
        resolved_at: m.resolved_at,
        closed_at: m.closed_at,
    }
}

/// What a change of status or severity was, for whoever reacts to it (notices).
#[derive(Debug, Clone)]
pub struct Changed {
    /// The incident as it was before the change.
    pub incident: incident::Model,
    pub from: String,
    pub to: String,
}

/// Moves the incident to `to` inside the caller's write transaction, filling the
/// timestamps the move implies. Moving to `merged` names the incident this one
/// duplicates (`merged_into`); that incident's timeline records the merge too.
/// `crate::workflow::change_status` adds the close rule and the notices, and commits.
pub async fn set_status(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    to: Status,
    merged_into: Option<IncidentRef>,
    expected_version: i32,
) -> Result<Changed, AppError> {
    let current = load(txn, reference).await?;
    let from = current.status;
    let now = Utc::now();
    let times = transition(from, to, &timestamps_of(&current), now)
        .map_err(|refused| AppError::invalid("status", refused.message))?;
    let target = match to {
        Status::Merged => Some(merge_target(txn, reference, merged_into).await?),
        _ => None,
    };
    let changes = incident::ActiveModel {
        status: Set(to),
        acknowledged_at: Set(times.acknowledged_at),
        mitigated_at: Set(times.mitigated_at),
        resolved_at: Set(times.resolved_at),
        closed_at: Set(times.closed_at),
        merged_into_id: Set(target.as_ref().map(|t| t.id)),
        ..Default::default()
    };
    save_versioned(txn, &current, expected_version, changes, |m| {
        m.status.label().to_lowercase()
    })
    .await?;
    let body = match &target {
        Some(target) => {
            let body = format!(
                "{reference} was merged into this incident as a duplicate: {}",
                current.title
            );
            record_event(
                txn,
                target.id,
                actor,
                AutoEvent {
                    kind: EventKind::DuplicateMerged,
                    body,
                    at: now,
                },
            )
            .await?;
            format!(
                "Status changed from {} to {}: duplicate of {}",
                from.label(),
                to.label(),
                IncidentRef(target.id)
            )
        }
        None => format!("Status changed from {} to {}", from.label(), to.label()),
    };
    let kind = EventKind::StatusChanged;
    record_event(
        txn,
        current.id,
        actor,
        AutoEvent {
            kind,
            body,
            at: now,
        },
    )
    .await?;
    Ok(Changed {
        incident: current,
        from: from.label().to_owned(),
        to: to.label().to_owned(),
    })
}

/// The incident a duplicate is merged into: it must exist, be another incident and not
/// be merged itself (merge into the one it was merged into instead).
async fn merge_target(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
    merged_into: Option<IncidentRef>,
) -> Result<incident::Model, AppError> {
    let invalid = |message: String| AppError::invalid("merged_into", message);
    let Some(target_ref) = merged_into else {
        return Err(invalid(
            "Name the incident this one duplicates, like INC-12.".into(),
        ));
    };
    if target_ref == reference {
        return Err(invalid(
            "An incident cannot be a duplicate of itself.".into(),
        ));
    }
    let target = incident::Entity::find_by_id(target_ref.0)
        .one(db)
        .await?
        .ok_or_else(|| invalid(format!("There is no incident {target_ref}.")))?;
    if let Some(further) = target.merged_into_id {
        return Err(invalid(format!(
            "{target_ref} is itself a duplicate of {}; merge into that one.",
            IncidentRef(further)
        )));
    }
    Ok(target)
}

/// Changes the severity inside the caller's write transaction; `None` when it already
/// was that severity. `crate::workflow::change_severity` adds the notices and commits.
pub async fn set_severity(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    severity_id: i64,
    expected_version: i32,
) -> Result<Option<Changed>, AppError> {
    let current = load(txn, reference).await?;
    let to = severity::Entity::find_by_id(severity_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::invalid("severity_id", "Choose a severity."))?;
    if to.id == current.severity_id {
        return Ok(None);
    }
    let from = severity::Entity::find_by_id(current.severity_id)
        .one(txn)
        .await?;
    let from_name = from.map(|s| s.name).unwrap_or_default();
    let changes = incident::ActiveModel {
        severity_id: Set(to.id),
        ..Default::default()
    };
    let name = from_name.clone();
    save_versioned(txn, &current, expected_version, changes, move |_| {
        format!("at severity {name}")
    })
    .await?;
    let auto = AutoEvent {
        kind: EventKind::SeverityChanged,
        body: format!("Severity changed from {from_name} to {}", to.name),
        at: Utc::now(),
    };
    record_event(txn, current.id, actor, auto).await?;
    Ok(Some(Changed {
        incident: current,
        from: from_name,
        to: to.name,
    }))
}

/// A role that changed hands: who held it (if anyone) and who holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    pub from: Option<String>,
    pub to: String,
}

/// Gives `role` to a user inside the caller's write transaction; a change of hands is
/// recorded as a handover. Answers it, or `None` when the user held the role already.
pub async fn assign_role(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    role: IncidentRole,
    user_id: i64,
    expected_version: i32,
) -> Result<Option<Handover>, AppError> {
    let current = load(txn, reference).await?;
    let assignee = active_responder(txn, user_id)
        .await?
        .ok_or_else(|| AppError::invalid("user_id", "Choose an active responder or admin."))?;
    hand_role(txn, actor, &current, role, &assignee, expected_version).await
}

/// [`assign_role`] for a rule, inside the caller's transaction; answers what happened,
/// in words, and the handover if the role changed hands.
pub async fn assign_role_for_rule(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    role: IncidentRole,
    user_id: i64,
) -> Result<(String, Option<Handover>), AppError> {
    let current = load(txn, reference).await?;
    let role_name = role.label().to_lowercase();
    let Some(assignee) = active_responder(txn, user_id).await? else {
        return Ok((
            format!("did not assign the {role_name}: that person is no longer an active responder"),
            None,
        ));
    };
    let name = crate::markdown::literal(&assignee.display_name);
    let handed = hand_role(txn, actor, &current, role, &assignee, current.version).await?;
    let said = if handed.is_some() {
        format!("made {name} {role_name}")
    } else {
        format!("found {name} {role_name} already")
    };
    Ok((said, handed))
}

async fn active_responder(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<user::Model>, AppError> {
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.is_active_responder()))
}

/// Writes the role (bumping the incident from `expected_version`) and its timeline
/// event; answers `None` when `assignee` held it already.
async fn hand_role(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    current: &incident::Model,
    role: IncidentRole,
    assignee: &user::Model,
    expected_version: i32,
) -> Result<Option<Handover>, AppError> {
    let user_id = assignee.id;
    let previous = incident_role::Entity::find_by_id((current.id, role))
        .one(txn)
        .await?;
    if previous.as_ref().is_some_and(|p| p.user_id == user_id) {
        return Ok(None);
    }
    let previous_name = match &previous {
        Some(p) => user::Entity::find_by_id(p.user_id)
            .one(txn)
            .await?
            .map(|u| u.display_name),
        None => None,
    };
    save_versioned(
        txn,
        current,
        expected_version,
        incident::ActiveModel::default(),
        |_| "different".to_owned(),
    )
    .await?;
    let now = Utc::now();
    incident_role::Entity::insert(incident_role::ActiveModel {
        incident_id: Set(current.id),
        role: Set(role),
        user_id: Set(user_id),
        assigned_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            incident_role::Column::IncidentId,
            incident_role::Column::Role,
        ])
        .update_columns([
            incident_role::Column::UserId,
            incident_role::Column::AssignedAt,
        ])
        .to_owned(),
    )
    .exec(txn)
    .await?;
    let body = match &previous_name {
        Some(from) => format!(
            "{} handed over from {from} to {}",
            role.label(),
            assignee.display_name
        ),
        None => format!(
            "{} is now {}",
            assignee.display_name,
            role.label().to_lowercase()
        ),
    };
    let auto = AutoEvent {
        kind: EventKind::RoleAssigned,
        body,
        at: now,
    };
    record_event(txn, current.id, actor, auto).await?;
    Ok(Some(Handover {
        from: previous_name,
        to: assignee.display_name.clone(),
    }))
}
