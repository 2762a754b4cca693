use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, DynIden, Expr, IntoIden, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable,
    PaginatorTrait, QueryFilter, Set, Value,
};

use super::timeline::{AutoEvent, record_event};
use crate::accounts::CurrentUser;
use crate::accounts::entities::user;
use crate::catalog::entities::service::{self, Entity as Service};
use crate::db::Writer;
use crate::error::{AppError, FieldError};
use crate::incidents::entities::{
    incident, incident_role, incident_service, incident_type, severity,
};
use crate::incidents::types::FieldValues;
use crate::incidents::{EventKind, IncidentRef, IncidentRole, Status};

/// The short form a commander fills in during an outage; everything else comes later.
#[derive(Debug, Clone, Default)]
pub struct Declaration {
    pub title: String,
    /// `None`: the type's default severity.
    pub severity_id: Option<i64>,
    /// `None`: the default type.
    pub type_id: Option<i64>,
    pub service_ids: Vec<i64>,
    pub summary: String,
    pub customer_impact: bool,
    /// Defaults to the person declaring.
    pub commander_id: Option<i64>,
    /// When the problem was noticed, if before the declaration (an alert's start);
    /// ignored if in the future.
    pub detected_at: Option<DateTime<Utc>>,
    /// Custom field values, checked and written by `crate::workflow` (not here).
    pub fields: FieldValues,
    /// Declared by software (an alert): fields needed when declaring wait for a person,
    /// until the incident is resolved.
    pub unattended: bool,
}

/// A declaration that passed [`check`]: what [`insert`] writes.
#[derive(Debug)]
pub struct Checked {
    title: String,
    summary: String,
    severity: severity::Model,
    kind: incident_type::Model,
    service_ids: Vec<i64>,
    commander: user::Model,
    customer_impact: bool,
    detected_at: Option<DateTime<Utc>>,
}

impl Checked {
    /// The incident type the declaration gets.
    pub fn type_id(&self) -> i64 {
        self.kind.id
    }

    /// The services it affects, each once.
    pub fn service_ids(&self) -> &[i64] {
        &self.service_ids
    }
}

/// Checks a declaration before any write begins (every field at once), so the writer's
/// lock is held only for the inserts. `crate::workflow::declare_incident` runs both steps.
pub async fn check(
    db: &impl Writer,
    actor: &CurrentUser,
    declaration: Declaration,
) -> Result<Checked, AppError> {
    let mut errors = Vec::new();
    let title = declaration.title.trim().to_owned();
    if title.is_empty() {
        errors.push(FieldError::new("title", "Give the incident a short title."));
    } else if title.chars().count() > 200 {
        errors.push(FieldError::new(
            "title",
            "Keep the title under 200 characters.",
        ));
    } else if crate::text::has_control_characters(&title) {
        errors.push(FieldError::new("title", crate::text::ONE_LINE));
    }
    let kind = match super::types::type_for_declaration(db, declaration.type_id).await {
        Ok(kind) => Some(kind),
        Err(AppError::Invalid(refused)) => {
            errors.extend(refused);
            None
        }
        Err(other) => return Err(other),
    };
    let severity_id = declaration
        .severity_id
        .or_else(|| kind.as_ref().and_then(|k| k.default_severity_id));
    let severity = match severity_id {
        Some(id) => super::query::severity_models(db)
            .await?
            .iter()
            .find(|s| s.id == id)
            .cloned(),
        None => None,
    };
    if severity.is_none() {
        errors.push(FieldError::new("severity_id", "Choose a severity."));
    }
    let mut service_ids = declaration.service_ids.clone();
    service_ids.sort_unstable();
    service_ids.dedup();
    let known = if service_ids.is_empty() {
        0
    } else {
        Service::find()
            .filter(service::Column::Id.is_in(service_ids.clone()))
            .filter(service::Column::ArchivedAt.is_null())
            .count(db)
            .await?
    };
    if service_ids.is_empty() {
        errors.push(FieldError::new(
            "service_ids",
            "Choose at least one affected service.",
        ));
    } else if known != service_ids.len() as u64 {
        errors.push(FieldError::new(
            "service_ids",
            "One of the chosen services does not exist or is archived.",
        ));
    }
    let commander_id = declaration.commander_id.unwrap_or(actor.id.0);
    let commander = user::Entity::find_by_id(commander_id)
        .one(db)
        .await?
        .filter(|u| u.is_active_responder());
    if commander.is_none() {
        errors.push(FieldError::new(
            "commander_id",
            "Choose an active responder or admin as commander.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(Checked {
        title,
        summary: declaration.summary.trim().to_owned(),
        severity: severity.expect("checked above"),
        kind: kind.expect("checked above"),
        service_ids,
        commander: commander.expect("checked above"),
        customer_impact: declaration.customer_impact,
        detected_at: declaration.detected_at,
    })
}

/// Writes a checked declaration inside the caller's write transaction: the incident in
/// triage, its services, its commander and the first timeline event.
pub async fn insert(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    checked: Checked,
) -> Result<IncidentRef, AppError> {
    let Checked {
        title,
        summary,
        severity,
        kind,
        service_ids,
        commander,
        customer_impact,
        detected_at,
    } = checked;
    let now = Utc::now();
    let detected_at = detected_at.filter(|t| *t < now);
    let row = incident::ActiveModel {
        title: Set(title.clone()),
        summary: Set(summary),
        severity_id: Set(severity.id),
        status: Set(Status::Triage),
        customer_impact: Set(customer_impact),
        impact_started_at: Set(None),
        detected_at: Set(detected_at),
        declared_at: Set(now),
        acknowledged_at: Set(None),
        mitigated_at: Set(None),
        resolved_at: Set(None),
        closed_at: Set(None),
        merged_into_id: Set(None),
        type_id: Set(Some(kind.id)),
        created_by: Set(actor.id.0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let id = insert_row(txn, row, now, detected_at).await?;
    incident_service::Entity::insert_many(service_ids.iter().map(|service_id| {
        incident_service::ActiveModel {
            incident_id: Set(id),
            service_id: Set(*service_id),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    incident_role::ActiveModel {
        incident_id: Set(id),
        role: Set(IncidentRole::Commander),
        user_id: Set(commander.id),
        assigned_at: Set(now),
    }
    .insert(txn)
    .await?;
    record_event(
        txn,
        id,
        actor,
        AutoEvent {
            kind: EventKind::Declared,
            body: format!(
                "Declared as {} ({}{}): {}. Incident commander: {}",
                severity.name,
                Status::Triage.label(),
                if kind.is_default {
                    String::new()
                } else {
                    format!(", {}", crate::markdown::literal(&kind.name))
                },
                title,
                commander.display_name
            ),
            at: now,
        },
    )
    .await?;
    Ok(IncidentRef(id))
}

/// Writes the incident's row with its epoch seconds (the reports' columns of migrations
/// 19 and 20, not in the entity), so that SQLite's triggers, which correct only a value
/// that differs (migration 38), leave the row written once inside the writer's turn.
async fn insert_row(
    txn: &impl ConnectionTrait,
    row: incident::ActiveModel,
    declared_at: DateTime<Utc>,
    detected_at: Option<DateTime<Utc>>,
) -> Result<i64, AppError> {
    let mut columns: Vec<DynIden> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for column in incident::Column::iter() {
        if let ActiveValue::Set(value) = row.get(column) {
            columns.push(column.into_iden());
            values.push(value);
        }
    }
    // Nothing else is set at declaration: no impact start, acknowledgement or later.
    let declared = epoch_seconds(declared_at);
    let detected = detected_at.map_or(declared, epoch_seconds);
    for (column, secs) in [
        ("start_secs", declared),
        ("detect_secs", detected),
        ("declare_secs", declared),
    ] {
        columns.push(Alias::new(column).into_iden());
        values.push(secs.into());
    }
    let mut insert = Query::insert();
    insert
        .into_table(incident::Entity)
        .columns(columns)
        .values_panic(values.into_iter().map(Expr::val))
        .returning_col(incident::Column::Id);
    let inserted = txn
        .query_one(&insert)
        .await?
        .ok_or(DbErr::RecordNotInserted)?;
    Ok(inserted.try_get("", "id")?)
}

/// A moment as the reports read it: epoch seconds, rounded to the nearest.
fn epoch_seconds(at: DateTime<Utc>) -> i64 {
    (at.timestamp_millis() as f64 / 1000.0).round() as i64
}
