//! Correcting an incident after the fact: title, summary, impact, services and the
//! timestamps metrics use (often reconstructed later). Every change is checked, lands
//! on the timeline, and is refused if someone else changed the incident meanwhile.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::lifecycle::timestamps_of;
use super::timeline::{AutoEvent, record_event};
use super::{load, save_versioned};
use crate::accounts::CurrentUser;
use crate::catalog::entities::service;
use crate::error::{AppError, FieldError};
use crate::incidents::entities::{incident, incident_service};
use crate::incidents::timestamps::FIELDS;
use crate::incidents::{EventKind, IncidentRef, Timestamps};
use sea_orm::ConnectionTrait;

/// The editable facts of an incident, as the form sends them.
#[derive(Debug, Clone)]
pub struct Details {
    pub title: String,
    pub summary: String,
    pub customer_impact: bool,
    pub service_ids: Vec<i64>,
    pub times: Timestamps,
}

fn time_text(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "unset".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// Details that passed [`check_details`]: what [`write_details`] writes.
pub struct CheckedDetails {
    title: String,
    service_ids: Vec<i64>,
    details: Details,
}

/// Checks every field (all problems at once, each on its field) before anything is written.
pub async fn check_details(
    db: &impl ConnectionTrait,
    details: Details,
) -> Result<CheckedDetails, AppError> {
    let now = Utc::now();
    let mut errors: Vec<FieldError> = Vec::new();
    let title = details.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(FieldError::new(
            "title",
            "Give the incident a title of 1 to 200 characters.",
        ));
    } else if crate::text::has_control_characters(&title) {
        errors.push(FieldError::new("title", crate::text::ONE_LINE));
    }
    if let Err(mut rule_errors) = details.times.validate(now) {
        errors.append(&mut rule_errors);
    }
    let mut service_ids = details.service_ids.clone();
    service_ids.sort_unstable();
    service_ids.dedup();
    let known = if service_ids.is_empty() {
        0
    } else {
        service::Entity::find()
            .filter(service::Column::Id.is_in(service_ids.clone()))
            .count(db)
            .await?
    };
    if service_ids.is_empty() || known != service_ids.len() as u64 {
        errors.push(FieldError::new(
            "service_ids",
            "Choose at least one existing service.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(CheckedDetails {
        title,
        service_ids,
        details,
    })
}

/// Writes checked details inside the caller's write transaction; true when the
/// incident's services changed.
pub async fn write_details(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    checked: CheckedDetails,
    expected_version: i32,
) -> Result<bool, AppError> {
    let CheckedDetails {
        title,
        service_ids,
        details,
    } = checked;
    let now = Utc::now();
    let current = load(txn, reference).await?;
    let before = timestamps_of(&current);
    let mut events: Vec<(EventKind, String)> = Vec::new();
    if title != current.title {
        events.push((
            EventKind::TitleChanged,
            format!("Title changed from \"{}\" to \"{title}\"", current.title),
        ));
    }
    if details.summary.trim() != current.summary {
        events.push((EventKind::DetailsChanged, "Summary updated".to_owned()));
    }
    if details.customer_impact != current.customer_impact {
        let text = if details.customer_impact {
            "Marked as affecting customers"
        } else {
            "Marked as not affecting customers"
        };
        events.push((EventKind::DetailsChanged, text.to_owned()));
    }
    for (field, label) in FIELDS {
        let (old, new) = (before.get(field), details.times.get(field));
        if old != new {
            events.push((
                EventKind::TimestampChanged,
                format!(
                    "{label} changed from {} to {}",
                    time_text(old),
                    time_text(new)
                ),
            ));
        }
    }
    let old_services: Vec<i64> = incident_service::Entity::find()
        .filter(incident_service::Column::IncidentId.eq(current.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.service_id)
        .collect();
    let mut sorted_old = old_services.clone();
    sorted_old.sort_unstable();
    if sorted_old != service_ids {
        let names = service::Entity::find()
            .filter(service::Column::Id.is_in(service_ids.clone()))
            .all(txn)
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join(", ");
        events.push((
            EventKind::ServicesChanged,
            format!("Affected services: {names}"),
        ));
    }
    if events.is_empty() {
        return Ok(false);
    }

    let t = &details.times;
    let changes = incident::ActiveModel {
        title: Set(title),
        summary: Set(details.summary.trim().to_owned()),
        customer_impact: Set(details.customer_impact),
        impact_started_at: Set(t.impact_started_at),
        detected_at: Set(t.detected_at),
        declared_at: Set(t.declared_at),
        acknowledged_at: Set(t.acknowledged_at),
        mitigated_at: Set(t.mitigated_at),
        resolved_at: Set(t.resolved_at),
        closed_at: Set(t.closed_at),
        ..Default::default()
    };
    save_versioned(txn, &current, expected_version, changes, |m| {
        format!("titled \"{}\"", m.title)
    })
    .await?;
    if sorted_old != service_ids {
        incident_service::Entity::delete_many()
            .filter(incident_service::Column::IncidentId.eq(current.id))
            .exec(txn)
            .await?;
        for service_id in &service_ids {
            incident_service::ActiveModel {
                incident_id: Set(current.id),
                service_id: Set(*service_id),
            }
            .insert(txn)
            .await?;
        }
    }
    for (kind, body) in events {
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
    }
    Ok(sorted_old != service_ids)
}
