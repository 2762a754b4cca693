//! Changes that cross domains, each in one write transaction the domains' steps share,
//! so a change and what follows from it commit together or not at all.
//!
//! The domains import each other in one direction only: postmortems, notifications,
//! alerts, playbooks and metrics are about incidents and import them; incidents import the
//! catalog's services; nothing imports back. A change whose rule or consequence lives in
//! a domain above the one it changes is composed here: a declaration and a change of
//! status, severity or commander queue their notices; closing needs a published postmortem where
//! the severity or type says so; resolving needs the roles and fields the type asks for;
//! a declaration checks and writes its custom fields; a declaration, and services added
//! to an incident, attach those services' playbooks; every change a rule can be set off
//! by runs the rules (last, so they see the change whole); a service is deleted only if
//! no incident affected it. Server
//! functions, API handlers, alert ingestion and the seed call these, never the steps.
//!
//! Like the domains' services, these trust their caller's role (see `crate::web`).

use sea_orm::ConnectionTrait;

use crate::accounts::CurrentUser;
use crate::audit::service::Actor;
use crate::db::Writer;
use crate::error::AppError;
use crate::fields::Stage;
use crate::fields::service as fields;
use crate::incidents::service::declare::{self, Declaration};
use crate::incidents::service::edit::{self, Details};
use crate::incidents::service::lifecycle::{self, Changed};
use crate::incidents::types::FieldValues;
use crate::incidents::{IncidentRef, IncidentRole, Status};
use crate::notifications::NotifyEvent;
use crate::notifications::outbox::{Change, Subscribers, queue, subscribers};
use crate::rules::Trigger;
use crate::rules::service::{enabled_rules, run as rules};

/// Declares an incident in triage with its commander, services and first timeline
/// event, and queues the notices of subscribed channels.
pub async fn declare_incident(
    db: &impl Writer,
    actor: &CurrentUser,
    declaration: Declaration,
) -> Result<IncidentRef, AppError> {
    declare_linked(db, actor, declaration, None).await
}

/// The triggers a declaration fires: declared, then opened by an alert (software
/// declared it) and customer impact set, where they apply.
fn declared(declaration: &Declaration) -> Vec<Trigger> {
    let mut triggers = vec![Trigger::Declared];
    if declaration.unattended {
        triggers.push(Trigger::OpenedByAlert);
    }
    if declaration.customer_impact {
        triggers.push(Trigger::ImpactSet);
    }
    triggers
}

/// Declares an incident that `change_id` is suspected of causing (the declare form
/// opened from a change): the incident and the link are written together, or neither.
/// An unknown change is refused beside its field before anything is written.
pub async fn declare_incident_after_change(
    db: &impl Writer,
    actor: &CurrentUser,
    declaration: Declaration,
    change_id: i64,
) -> Result<IncidentRef, AppError> {
    if let Err(AppError::NotFound(message)) =
        crate::changes::service::get_change(db, change_id).await
    {
        return Err(AppError::invalid("suspected_change", message));
    }
    declare_linked(db, actor, declaration, Some(change_id)).await
}

/// A declaration and all it sets off, in one write transaction: the incident, its field
/// values, its playbooks, the link to the change suspected of causing it, the notices
/// and the rules. Checked, and the subscribers, playbooks and rules read, before the
/// writer's turn begins.
async fn declare_linked(
    db: &impl Writer,
    actor: &CurrentUser,
    declaration: Declaration,
    change_id: Option<i64>,
) -> Result<IncidentRef, AppError> {
    let mut triggers = declared(&declaration);
    if change_id.is_some() {
        triggers.push(Trigger::ChangeLinked);
    }
    let (checked, values) = check_declaration(db, actor, declaration).await?;
    let subscribers = subscribers(db, NotifyEvent::Declared).await?;
    let playbooks =
        crate::playbooks::service::for_declaration(db, checked.service_ids(), checked.type_id())
            .await?;
    let enabled = enabled_rules(db).await?;
    let txn = crate::db::begin_write(db).await?;
    let reference = declare::insert(&txn, actor, checked).await?;
    fields::write_values(&txn, actor, reference, values).await?;
    crate::playbooks::service::attach_declared(&txn, actor, reference, &playbooks).await?;
    if let Some(change_id) = change_id {
        crate::changes::service::link_cause(
            &txn,
            actor,
            reference,
            change_id,
            Some(crate::changes::Cause::Suspected),
        )
        .await?;
    }
    queue(&txn, subscribers, reference.0, None, actor).await?;
    rules::fire(&txn, actor, reference, &triggers, &enabled).await?;
    txn.commit().await?;
    Ok(reference)
}

/// Marks `change_id` as a `cause` of the incident (or, `None`, unlinks it); a change
/// newly linked fires the rules of `change_linked`, in the same transaction.
pub async fn link_change(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    change_id: i64,
    cause: Option<crate::changes::Cause>,
) -> Result<crate::changes::ChangeView, AppError> {
    let enabled = enabled_rules(db).await?;
    let txn = crate::db::begin_write(db).await?;
    let was_linked = crate::changes::service::is_linked(&txn, reference, change_id).await?;
    let view =
        crate::changes::service::link_cause(&txn, actor, reference, change_id, cause).await?;
    if cause.is_some() && !was_linked {
        rules::fire(&txn, actor, reference, &[Trigger::ChangeLinked], &enabled).await?;
    }
    txn.commit().await?;
    Ok(view)
}

/// Checks a declaration and its custom field values (those its type needs when
/// declaring must be filled, unless software declares it), every error at once.
async fn check_declaration(
    db: &impl Writer,
    actor: &CurrentUser,
    mut declaration: Declaration,
) -> Result<(declare::Checked, fields::CheckedValues), AppError> {
    let entered = std::mem::take(&mut declaration.fields);
    let step = if declaration.unattended {
        Stage::Never
    } else {
        Stage::Declare
    };
    let type_id = declaration.type_id;
    match declare::check(db, actor, declaration).await {
        Ok(checked) => {
            let values =
                fields::check_values(db, actor, checked.type_id(), &entered, step, None).await?;
            Ok((checked, values))
        }
        Err(AppError::Invalid(mut errors)) => {
            let kind = crate::incidents::service::types::type_for_declaration(db, type_id).await;
            if let Ok(kind) = kind
                && let Err(AppError::Invalid(more)) =
                    fields::check_values(db, actor, kind.id, &entered, step, None).await
            {
                errors.extend(more);
            }
            Err(AppError::Invalid(errors))
        }
        Err(other) => Err(other),
    }
}

/// Sets an incident's type (the default: keep it) and custom field values if the incident
/// is still at `expected_version`. A field its status needs cannot be emptied; a new type
/// brings its playbooks, in the same transaction.
pub async fn update_fields(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    type_id: Option<i64>,
    entered: &FieldValues,
    expected_version: i32,
) -> Result<(), AppError> {
    let current = crate::incidents::service::load(db, reference).await?;
    let type_id = match type_id {
        Some(id) => id,
        None => crate::incidents::service::types::type_of(db, &current)
            .await?
            .map(|t| t.id)
            .unwrap_or_default(),
    };
    // An open incident keeps what declaring needed; a resolved or closed one, what that
    // step needed.
    let step = match Stage::of_status(current.status) {
        Stage::Never => Stage::Declare,
        step => step,
    };
    let values = fields::check_values(db, actor, type_id, entered, step, Some(current.id)).await?;
    let enabled = enabled_rules(db).await?;
    let txn = crate::db::begin_write(db).await?;
    let retyped =
        crate::incidents::service::types::retype(&txn, actor, reference, type_id, expected_version)
            .await?;
    fields::write_values(&txn, actor, reference, values).await?;
    if retyped {
        crate::playbooks::service::attach_for_incident(&txn, actor, reference).await?;
        rules::fire(&txn, actor, reference, &[Trigger::TypeSet], &enabled).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Applies an edit of the incident's details if it is still at `expected_version`; services
/// added bring their playbooks, in the same transaction.
pub async fn update_details(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    details: Details,
    expected_version: i32,
) -> Result<(), AppError> {
    let impact = details.customer_impact;
    let checked = edit::check_details(db, details).await?;
    let enabled = enabled_rules(db).await?;
    let txn = crate::db::begin_write(db).await?;
    let had_impact = crate::incidents::service::load(&txn, reference)
        .await?
        .customer_impact;
    if edit::write_details(&txn, actor, reference, checked, expected_version).await? {
        crate::playbooks::service::attach_for_incident(&txn, actor, reference).await?;
    }
    if impact && !had_impact {
        rules::fire(&txn, actor, reference, &[Trigger::ImpactSet], &enabled).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Moves an incident to `to` (see [`lifecycle::set_status`]). Resolving or closing needs
/// the roles and the custom fields the incident's type asks for by then; closing needs a
/// published postmortem where the incident's severity or type asks for one.
pub async fn change_status(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    to: Status,
    merged_into: Option<IncidentRef>,
    expected_version: i32,
) -> Result<(), AppError> {
    let subscribers = subscribers(db, NotifyEvent::StatusChanged).await?;
    let enabled = enabled_rules(db).await?;
    let txn = crate::db::begin_write(db).await?;
    let changed =
        lifecycle::set_status(&txn, actor, reference, to, merged_into, expected_version).await?;
    if matches!(to, Status::Resolved | Status::Closed) {
        crate::incidents::service::types::require_roles(&txn, &changed.incident).await?;
        fields::require_stage(&txn, &changed.incident, Stage::of_status(to)).await?;
    }
    if to == Status::Closed {
        crate::postmortems::service::require_published_postmortem(&txn, &changed.incident).await?;
    }
    notify(&txn, subscribers, changed, actor).await?;
    rules::fire(&txn, actor, reference, &[Trigger::StatusChanged], &enabled).await?;
    txn.commit().await?;
    Ok(())
}

/// Changes an incident's severity; nothing happens if it already had that one.
pub async fn change_severity(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    severity_id: i64,
    expected_version: i32,
) -> Result<(), AppError> {
    let subscribers = subscribers(db, NotifyEvent::SeverityChanged).await?;
    let enabled = enabled_rules(db).await?;
    let txn = crate::db::begin_write(db).await?;
    let changed =
        lifecycle::set_severity(&txn, actor, reference, severity_id, expected_version).await?;
    if let Some(changed) = changed {
        notify(&txn, subscribers, changed, actor).await?;
        rules::fire(
            &txn,
            actor,
            reference,
            &[Trigger::SeverityChanged],
            &enabled,
        )
        .await?;
        txn.commit().await?;
    }
    Ok(())
}

/// Gives `role` to a user; a new commander is announced to the channels that asked.
pub async fn assign_role(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    role: IncidentRole,
    user_id: i64,
    expected_version: i32,
) -> Result<(), AppError> {
    let subscribers = subscribers(db, NotifyEvent::CommanderChanged).await?;
    let txn = crate::db::begin_write(db).await?;
    let handed =
        lifecycle::assign_role(&txn, actor, reference, role, user_id, expected_version).await?;
    if let (Some(handed), IncidentRole::Commander) = (handed, role) {
        queue(&txn, subscribers, reference.0, Some(handed.into()), actor).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn notify(
    txn: &impl ConnectionTrait,
    subscribers: Subscribers,
    changed: Changed,
    actor: &CurrentUser,
) -> Result<(), AppError> {
    let change = Change {
        from: changed.from,
        to: changed.to,
    };
    queue(txn, subscribers, changed.incident.id, Some(change), actor).await
}

/// Deletes a service no incident ever affected; one with incidents must be archived,
/// so its history and numbers stay intact.
pub async fn delete_service(db: &impl Writer, actor: &Actor, id: i64) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let current = crate::catalog::service::find(&txn, id).await?;
    let incidents = crate::incidents::service::query::count_affecting(&txn, id).await?;
    if incidents > 0 {
        return Err(AppError::Conflict {
            message: format!(
                "{} cannot be deleted: {incidents} incident(s) affected it, and deleting it would rewrite their history and the reliability numbers. Archive it instead.",
                current.name
            ),
        });
    }
    crate::playbooks::service::forget_service(&txn, id).await?;
    crate::catalog::service::remove(&txn, actor, current).await?;
    txn.commit().await?;
    crate::catalog::known::wrote();
    Ok(())
}
