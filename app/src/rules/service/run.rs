//! Running rules inside a change's transaction: the enabled rules of each trigger, in
//! order, each whose conditions hold acting and leaving one timeline event. An action that
//! fires a trigger (a severity set) queues that trigger one level deeper; at
//! [`MAX_DEPTH`] matching rules are not run and the timeline says why.

use std::collections::VecDeque;

use chrono::{Days, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::parts;
use crate::accounts::CurrentUser;
use crate::db::Writer;
use crate::error::AppError;
use crate::fields::entities::field_value;
use crate::incidents::entities::{incident, incident_service, severity};
use crate::incidents::service::timeline::{AutoEvent, record_event};
use crate::incidents::types::FieldValues;
use crate::incidents::{EventKind, IncidentRef, IncidentRole};
use crate::markdown::literal;
use crate::notifications::NotifyEvent;
use crate::rules::engine::{Facts, MAX_DEPTH, misses};
use crate::rules::entities::rule;
use crate::rules::{Actions, Trigger};

/// Runs the `enabled` rules (read before the transaction by
/// [`enabled_rules`](super::enabled_rules)) of `triggers`, in that order, on the incident,
/// inside the caller's transaction. No statement when none is of those triggers.
pub async fn fire(
    txn: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    triggers: &[Trigger],
    enabled: &[rule::Model],
) -> Result<(), AppError> {
    let mut pending: VecDeque<(Trigger, u8)> = triggers.iter().map(|t| (*t, 0)).collect();
    let mut positions: Option<Vec<(i64, i32)>> = None;
    while let Some((trigger, depth)) = pending.pop_front() {
        let rules: Vec<&rule::Model> = enabled.iter().filter(|r| r.trigger == trigger).collect();
        if rules.is_empty() {
            continue;
        }
        if positions.is_none() {
            positions = Some(
                severity::Entity::find()
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(|s| (s.id, s.position))
                    .collect(),
            );
        }
        let levels = positions.as_deref().unwrap_or_default();
        let position_of = |id: i64| levels.iter().find(|l| l.0 == id).map(|l| l.1);
        let mut stopped = Vec::new();
        for rule in rules {
            // Each rule sees what the rules before it did.
            let current = crate::incidents::service::load(txn, reference).await?;
            let facts = facts(txn, &current, levels).await?;
            let (conditions, actions) = parts(rule);
            if !misses(&conditions, &facts, position_of).is_empty() {
                continue;
            }
            if depth >= MAX_DEPTH {
                stopped.push(literal(&rule.name));
                continue;
            }
            let (did, fired) = act(txn, actor, &current, &rule.name, &actions).await?;
            let body = format!(
                "Rule **{}** ran ({}): {}.",
                literal(&rule.name),
                trigger.label().to_lowercase(),
                did.join("; ")
            );
            event(txn, actor, reference, body).await?;
            // Rules of one round setting off the same trigger run it once, a round deeper.
            for next in fired {
                if !pending.contains(&(next, depth + 1)) {
                    pending.push_back((next, depth + 1));
                }
            }
        }
        if !stopped.is_empty() {
            let body = format!(
                "Rules stopped: {} matched again after {MAX_DEPTH} rounds of rules setting off rules, and did not run. Check them for a loop (two rules undoing each other).",
                stopped.join(", ")
            );
            event(txn, actor, reference, body).await?;
        }
    }
    Ok(())
}

async fn event(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    body: String,
) -> Result<(), AppError> {
    let auto = AutoEvent {
        kind: EventKind::RuleRan,
        body,
        at: Utc::now(),
    };
    record_event(txn, reference.0, actor, auto).await?;
    Ok(())
}

/// What the conditions are checked against: the incident as it is now.
pub(super) async fn facts(
    db: &impl Writer,
    current: &incident::Model,
    positions: &[(i64, i32)],
) -> Result<Facts, AppError> {
    let service_ids = incident_service::Entity::find()
        .filter(incident_service::Column::IncidentId.eq(current.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.service_id)
        .collect();
    let mut fields = FieldValues::new();
    for row in field_value::Entity::find()
        .filter(field_value::Column::IncidentId.eq(current.id))
        .order_by_asc(field_value::Column::Id)
        .all(db)
        .await?
    {
        fields.entry(row.field_id).or_default().push(row.value);
    }
    let type_id = match current.type_id {
        Some(id) => Some(id),
        None => crate::incidents::service::types::type_of(db, current)
            .await?
            .map(|t| t.id),
    };
    Ok(Facts {
        severity_position: positions
            .iter()
            .find(|p| p.0 == current.severity_id)
            .map(|p| p.1)
            .unwrap_or(i32::MAX),
        service_ids,
        type_id,
        fields,
    })
}

/// Does a rule's actions through the domains that own them; answers what each did, in
/// words, and the triggers they fired.
async fn act(
    txn: &impl Writer,
    actor: &CurrentUser,
    current: &incident::Model,
    rule: &str,
    a: &Actions,
) -> Result<(Vec<String>, Vec<Trigger>), AppError> {
    let reference = IncidentRef(current.id);
    let mut did = Vec::new();
    let mut fired = Vec::new();
    if let Some(id) = a.playbook_id {
        did.push(crate::playbooks::service::attach_for_rule(txn, actor, current.id, id).await?);
    }
    if let Some(assign) = &a.assign_role {
        let (said, handed) = crate::incidents::service::lifecycle::assign_role_for_rule(
            txn,
            actor,
            reference,
            assign.role,
            assign.user_id,
        )
        .await?;
        did.push(said);
        if let (Some(handed), IncidentRole::Commander) = (handed, assign.role) {
            crate::notifications::outbox::notify_incident(
                txn,
                NotifyEvent::CommanderChanged,
                current.id,
                Some(handed.into()),
                actor,
            )
            .await?;
        }
    }
    if let Some(item) = &a.action_item {
        let due = item.due_in_days.and_then(|d| {
            Utc::now()
                .date_naive()
                .checked_add_days(Days::new(d.into()))
        });
        did.push(
            crate::action_items::service::add_for_rule(
                txn,
                actor,
                current.id,
                &item.title,
                item.priority,
                due,
            )
            .await?,
        );
    }
    if let Some(field) = &a.set_field {
        did.push(
            crate::fields::service::set_for_rule(
                txn,
                actor,
                reference,
                field.field_id,
                &field.value,
            )
            .await?,
        );
    }
    if let Some(id) = a.channel_id {
        did.push(crate::notifications::outbox::tell_for_rule(txn, id, current, rule, actor).await?);
    }
    if a.require_postmortem {
        did.push(crate::incidents::service::require_postmortem_for_rule(txn, current, rule).await?);
    }
    if let Some(draft) = &a.status_draft {
        did.push(
            crate::status::service::draft_for_rule(txn, current.id, draft.state, &draft.body, rule)
                .await?,
        );
    }
    if let Some(id) = a.set_severity_id {
        let fresh = crate::incidents::service::load(txn, reference).await?;
        match crate::incidents::service::lifecycle::set_severity(
            txn,
            actor,
            reference,
            id,
            fresh.version,
        )
        .await
        {
            Ok(Some(changed)) => {
                did.push(format!("set the severity to {}", literal(&changed.to)));
                let change = crate::notifications::outbox::Change {
                    from: changed.from,
                    to: changed.to,
                };
                crate::notifications::outbox::notify_incident(
                    txn,
                    NotifyEvent::SeverityChanged,
                    current.id,
                    Some(change),
                    actor,
                )
                .await?;
                fired.push(Trigger::SeverityChanged);
            }
            Ok(None) => did.push("found the severity set already".to_owned()),
            Err(AppError::Invalid(_)) => {
                did.push("could not set the severity: it was deleted".to_owned())
            }
            Err(other) => return Err(other),
        }
    }
    Ok((did, fired))
}
