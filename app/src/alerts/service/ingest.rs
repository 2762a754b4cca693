//! Ingestion: what a sender's payload does. A payload runs in one transaction: every
//! alert of it is applied, or none. Each alert takes the first step that fits it:
//! [`settle`] (resolved or acknowledged), [`repeat`] (still being handled),
//! [`join_group`] (its group has an open incident), [`open_or_record`] (by the rules).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::store::{
    OpenIncidents, Repeat, RepeatTexts, insert, labels_json, latest, latest_of, lock_keys,
    touch_source, write_repeats,
};
use crate::accounts::entities::user;
use crate::accounts::{CurrentUser, UserId};
use crate::alerts::entities::{alert, source};
use crate::alerts::payload::{self, IncomingAlert};
use crate::alerts::{AlertAction, AlertState, Rule, Rules, SourceKind, severity_word};
use crate::catalog::entities::service;
use crate::db::Writer;
use crate::error::{AppError, FieldError};
use crate::incidents::entities::incident;
use crate::incidents::service::declare::Declaration;
use crate::incidents::service::timeline::{AutoEvent, record_event};
use crate::incidents::{EventKind, IncidentRef, Status};
use crate::workflow::{change_status, declare_incident};

/// What ingestion did with one alert.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    pub fingerprint: String,
    /// `opened`, `attached`, `repeated`, `recorded`, `resolved` or `acknowledged`.
    pub action: &'static str,
    /// The incident, as `INC-12`, when the alert belongs to one.
    pub incident: Option<String>,
}

/// Reads `body` in the source's format and applies every alert of it, or none.
pub async fn ingest(
    db: &impl Writer,
    source: &source::Model,
    body: &[u8],
) -> Result<Vec<Outcome>, AppError> {
    let kind = source.kind;
    let alerts = match kind {
        SourceKind::PagerDuty => payload::parse_pagerduty(body).map(|a| vec![a]),
        SourceKind::Alertmanager | SourceKind::Grafana => payload::parse_alertmanager(body),
    }
    .map_err(|e| AppError::Invalid(vec![FieldError::new(e.field, e.message)]))?;
    let owner = OnceLock::new();
    // Rules that cannot be read must not quietly become "record only": alerts would
    // stop opening incidents without a word. Refused (and logged), the sender retries.
    let rules: Rules = serde_json::from_str(&source.rules).map_err(|e| {
        AppError::internal(format!(
            "alert source {} has unreadable rules: {e}",
            source.id
        ))
    })?;
    let now = Utc::now();
    // A payload is applied whole or not at all, so one that met another writer is
    // simply applied again.
    let outcomes = crate::db::retrying(|| async {
        let txn = crate::db::begin_write(db).await?;
        // Two senders of the same group (or the same alert) must not both find it without
        // an incident and open two. SQLite's write lock already orders every payload; on
        // PostgreSQL each payload locks its own groups and fingerprints, so payloads of
        // other groups apply at the same time.
        lock_keys(&txn, source.id, &alerts).await?;
        let mut known = latest_of(&txn, source.id, &alerts).await?;
        let mut incidents = OpenIncidents::default();
        let payload = Payload {
            source,
            owner: Owner {
                source,
                cell: &owner,
            },
            rules: &rules,
            now,
        };
        let mut repeats = Vec::new();
        let mut outcomes = Vec::with_capacity(alerts.len());
        for incoming in &alerts {
            let previous = match known.remove(&incoming.fingerprint) {
                Some(previous) => previous,
                // The same fingerprint again in this payload: read what the first wrote.
                None => {
                    write_repeats(&txn, &mut repeats, now).await?;
                    latest(&txn, source.id, &incoming.fingerprint).await?
                }
            };
            let state = (&mut incidents, &mut repeats);
            outcomes.push(apply(&txn, payload, incoming.clone(), previous, state).await?);
        }
        write_repeats(&txn, &mut repeats, now).await?;
        txn.commit().await?;
        Ok(outcomes)
    })
    .await?;
    touch_source(db, source, now).await?;
    Ok(outcomes)
}

/// The admin incidents are declared and notes written in the name of (the source's
/// owner), read once a payload and only by one that writes such (repeats do not).
#[derive(Clone, Copy)]
struct Owner<'a> {
    source: &'a source::Model,
    cell: &'a OnceLock<CurrentUser>,
}

impl<'a> Owner<'a> {
    async fn get(self, db: &impl ConnectionTrait) -> Result<&'a CurrentUser, AppError> {
        if let Some(owner) = self.cell.get() {
            return Ok(owner);
        }
        let owner = owner_of(db, self.source).await?;
        Ok(self.cell.get_or_init(|| owner))
    }
}

async fn owner_of(
    db: &impl ConnectionTrait,
    source: &source::Model,
) -> Result<CurrentUser, AppError> {
    let owner = user::Entity::find_by_id(source.owner_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("alert source owner missing"))?;
    Ok(CurrentUser {
        id: UserId(owner.id),
        email: owner.email.clone(),
        display_name: owner.display_name.clone(),
        role: owner.role,
        password_change_required: false,
        time_zone: None,
        has_password: crate::accounts::service::users::has_password(&owner),
    })
}

async fn timeline(
    db: &impl ConnectionTrait,
    incident_id: i64,
    owner: &CurrentUser,
    body: String,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    record_event(
        db,
        incident_id,
        owner,
        AutoEvent {
            kind: EventKind::Alert,
            body,
            at,
        },
    )
    .await
}

fn describe(source: &source::Model, a: &IncomingAlert) -> String {
    let mut text = format!("“{}” from {}", a.title, source.name);
    if let Some(sev) = &a.severity {
        text.push_str(&format!(" ({sev})"));
    }
    text
}

/// What every alert of one payload is applied with.
#[derive(Clone, Copy)]
struct Payload<'a> {
    source: &'a source::Model,
    owner: Owner<'a>,
    rules: &'a Rules,
    now: DateTime<Utc>,
}

fn outcome(a: &IncomingAlert, action: &'static str, incident: Option<i64>) -> Outcome {
    Outcome {
        fingerprint: a.fingerprint.clone(),
        action,
        incident: incident.map(|i| IncidentRef(i).to_string()),
    }
}

/// Applies one alert, given the latest stored alert with its fingerprint: the first
/// step that takes it decides. Repeats are gathered and written with the payload's
/// others (`write_repeats`).
async fn apply(
    db: &impl Writer,
    payload: Payload<'_>,
    a: IncomingAlert,
    previous: Option<alert::Model>,
    (incidents, repeats): (&mut OpenIncidents, &mut Vec<Repeat>),
) -> Result<Outcome, AppError> {
    if a.state != AlertState::Firing {
        return settle(db, payload, &a, previous, incidents).await;
    }
    if let Some(prev) = previous
        && let Some(done) = repeat(db, &a, &prev, incidents, repeats).await?
    {
        return Ok(done);
    }
    if let Some(done) = join_group(db, payload, &a, incidents).await? {
        return Ok(done);
    }
    open_or_record(db, payload, &a).await
}

/// A resolved or acknowledged alert: marks the one it ends (a resolution) and notes
/// it on its incident, which resolves with its last alert when the source says so.
/// One that ends nothing is kept as a record.
async fn settle(
    db: &impl Writer,
    Payload {
        source, owner, now, ..
    }: Payload<'_>,
    a: &IncomingAlert,
    previous: Option<alert::Model>,
    incidents: &mut OpenIncidents,
) -> Result<Outcome, AppError> {
    let Some(prev) = previous else {
        let stored = insert(db, source, a, None, AlertAction::Recorded, now).await?;
        return Ok(outcome(a, "recorded", stored.incident_id));
    };
    let resolved = a.state == AlertState::Resolved;
    if resolved {
        alert::ActiveModel {
            id: Set(prev.id),
            state: Set(a.state),
            ends_at: Set(a.ends_at.or(Some(now))),
            last_received_at: Set(now),
            raw: Set(a.raw.clone()),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    if let Some(incident) = incidents.get(db, prev.incident_id).await? {
        let what = if resolved {
            "resolved"
        } else {
            "acknowledged by the sender"
        };
        let note = format!("Alert {what}: “{}” from {}", prev.title, source.name);
        let owner = owner.get(db).await?;
        timeline(db, incident.id, owner, note, now).await?;
        if resolved && source.auto_resolve {
            auto_resolve(db, owner, &incident).await?;
            incidents.forget(incident.id);
        }
    }
    let action = if resolved { "resolved" } else { "acknowledged" };
    Ok(outcome(a, action, prev.incident_id))
}

/// A firing alert already stored and still being handled (its incident is open, or it
/// is a record still firing) is updated in place and counted.
async fn repeat(
    db: &impl ConnectionTrait,
    a: &IncomingAlert,
    prev: &alert::Model,
    incidents: &mut OpenIncidents,
    repeats: &mut Vec<Repeat>,
) -> Result<Option<Outcome>, AppError> {
    let open = incidents.get(db, prev.incident_id).await?;
    let still_recorded = prev.incident_id.is_none() && prev.state == AlertState::Firing;
    if open.is_none() && !still_recorded {
        return Ok(None);
    }
    let texts = (labels_json(&a.labels), labels_json(&a.annotations));
    let unchanged = texts.0 == prev.labels && texts.1 == prev.annotations && a.raw == prev.raw;
    repeats.push(Repeat {
        id: prev.id,
        texts: (!unchanged).then(|| RepeatTexts {
            labels: texts.0,
            annotations: texts.1,
            raw: a.raw.clone(),
        }),
    });
    Ok(Some(outcome(a, "repeated", prev.incident_id)))
}

/// A new alert of a group that already has an open incident joins that incident.
async fn join_group(
    db: &impl ConnectionTrait,
    Payload {
        source, owner, now, ..
    }: Payload<'_>,
    a: &IncomingAlert,
    incidents: &mut OpenIncidents,
) -> Result<Option<Outcome>, AppError> {
    let Some(group) = &a.group_key else {
        return Ok(None);
    };
    let siblings = alert::Entity::find()
        .filter(alert::Column::SourceId.eq(source.id))
        .filter(alert::Column::GroupKey.eq(group.clone()))
        .filter(alert::Column::IncidentId.is_not_null())
        .order_by_desc(alert::Column::Id)
        .limit(20)
        .all(db)
        .await?;
    for sibling in siblings {
        if let Some(incident) = incidents.get(db, sibling.incident_id).await? {
            insert(db, source, a, Some(incident.id), AlertAction::Attached, now).await?;
            let note = format!("Alert joined: {}", describe(source, a));
            timeline(db, incident.id, owner.get(db).await?, note, now).await?;
            return Ok(Some(outcome(a, "attached", Some(incident.id))));
        }
    }
    Ok(None)
}

/// A new alert the source's rules say opens an incident declares one (in the name of
/// the source's owner, detected when the alert started); any other is recorded.
async fn open_or_record(
    db: &impl Writer,
    Payload {
        source,
        owner,
        rules,
        now,
    }: Payload<'_>,
    a: &IncomingAlert,
) -> Result<Outcome, AppError> {
    let Some(Rule::Open { severity_id }) = rules.get(severity_word(a.severity.as_deref())) else {
        insert(db, source, a, None, AlertAction::Recorded, now).await?;
        return Ok(outcome(a, "recorded", None));
    };
    let service_id = labelled_service(db, a).await?.unwrap_or(source.service_id);
    let mut summary = a.description.clone();
    if let Some(url) = &a.generator_url {
        summary.push_str(&format!("\n\nSource: {url}"));
    }
    let owner = owner.get(db).await?;
    let reference = declare_incident(
        db,
        owner,
        Declaration {
            title: a.title.clone(),
            severity_id: Some(*severity_id),
            service_ids: vec![service_id],
            summary: summary.trim().to_owned(),
            detected_at: a.starts_at,
            unattended: true,
            ..Default::default()
        },
    )
    .await?;
    insert(db, source, a, Some(reference.0), AlertAction::Opened, now).await?;
    let note = format!("Opened by alert: {}", describe(source, a));
    timeline(db, reference.0, owner, note, now).await?;
    Ok(outcome(a, "opened", Some(reference.0)))
}

/// The service a `service` label names (by slug or name), when it exists and is active.
async fn labelled_service(
    db: &impl ConnectionTrait,
    a: &IncomingAlert,
) -> Result<Option<i64>, AppError> {
    let Some(label) = a
        .labels
        .get("service")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    Ok(service::Entity::find()
        .filter(service::Column::ArchivedAt.is_null())
        .filter(
            Condition::any()
                .add(service::Column::Slug.eq(label.to_ascii_lowercase()))
                .add(service::Column::Name.eq(label)),
        )
        .one(db)
        .await?
        .map(|s| s.id))
}

/// With auto-resolve on, an incident whose alerts have all resolved moves to resolved,
/// if its lifecycle allows that move now.
async fn auto_resolve(
    db: &impl Writer,
    owner: &CurrentUser,
    incident: &incident::Model,
) -> Result<(), AppError> {
    let firing = alert::Entity::find()
        .filter(alert::Column::IncidentId.eq(incident.id))
        .filter(alert::Column::State.eq(AlertState::Firing))
        .count(db)
        .await?;
    let status = incident.status;
    if firing == 0 && status.can_move_to(Status::Resolved) {
        change_status(
            db,
            owner,
            IncidentRef(incident.id),
            Status::Resolved,
            None,
            incident.version,
        )
        .await?;
    }
    Ok(())
}
