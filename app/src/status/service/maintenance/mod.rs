//! Scheduled maintenance: responders announce a planned window with the components it
//! touches, edit it until it is over, end it early or call it off. While one is in
//! progress its components show "under maintenance"; when it counts against the SLOs its
//! time is downtime on the page's uptime and on the reliability pages alike.

mod read;

pub(in crate::status::service) use read::since;
pub use read::{maintenances, public_maintenance};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde_json::json;

use super::publishing::MAX_UPDATE;
use crate::accounts::CurrentUser;
use crate::audit::service::{self as audit, Actor};
use crate::error::{AppError, FieldError};
use crate::status::entities::{component, maintenance, maintenance_component};
use crate::status::outbox::AnnouncementEvent;
use crate::status::{MaintenanceEdit, MaintenancePhase};
use crate::text::has_control_characters;

/// The longest window, in days: longer work is several windows customers can follow.
pub const MAX_DAYS: i64 = 30;

fn refuse_viewers(user: &CurrentUser) -> Result<(), AppError> {
    if user.role.can_write() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn missing(id: i64) -> AppError {
    AppError::NotFound(format!("There is no maintenance {id}."))
}

/// A window that passed the checks.
struct Checked {
    title: String,
    body: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    /// Component id and its service's id.
    components: Vec<(i64, i64)>,
}

/// Checks a window as written; `now` for "it must not be over already".
async fn checked(
    db: &impl ConnectionTrait,
    edit: &MaintenanceEdit,
    now: DateTime<Utc>,
) -> Result<Checked, AppError> {
    let mut errors = Vec::new();
    let title = edit.title.trim();
    if title.is_empty() {
        errors.push(FieldError::new(
            "title",
            "Give the work a title customers understand.",
        ));
    } else if title.chars().count() > 200 || has_control_characters(title) {
        errors.push(FieldError::new(
            "title",
            "Use one line of at most 200 characters.",
        ));
    }
    let body = edit.body.trim();
    if body.is_empty() {
        errors.push(FieldError::new(
            "body",
            "Say what will happen and what customers may notice.",
        ));
    } else if body.chars().count() > MAX_UPDATE {
        errors.push(FieldError::new(
            "body",
            format!("Use at most {MAX_UPDATE} characters."),
        ));
    }
    for (field, value) in [("starts_at", edit.starts_at), ("ends_at", edit.ends_at)] {
        if value.is_none() {
            errors.push(FieldError::new(field, "Give a date and time."));
        }
    }
    let (starts_at, ends_at) = (
        edit.starts_at.unwrap_or_default(),
        edit.ends_at.unwrap_or_default(),
    );
    if edit.starts_at.is_none() || edit.ends_at.is_none() {
        // Said above.
    } else if ends_at <= starts_at {
        errors.push(FieldError::new("ends_at", "End after the start."));
    } else if ends_at - starts_at > Duration::days(MAX_DAYS) {
        errors.push(FieldError::new(
            "ends_at",
            format!("Plan at most {MAX_DAYS} days in one window."),
        ));
    } else if ends_at <= now {
        errors.push(FieldError::new(
            "ends_at",
            "That end has passed: choose one in the future.",
        ));
    }
    let mut ids = edit.components.clone();
    ids.sort_unstable();
    ids.dedup();
    let mut components = Vec::new();
    if ids.is_empty() {
        errors.push(FieldError::new(
            "components",
            "Choose at least one component the work touches.",
        ));
    } else {
        components = component::Entity::find()
            .select_only()
            .column(component::Column::Id)
            .column(component::Column::ServiceId)
            .filter(component::Column::Id.is_in(ids.iter().copied()))
            .into_tuple::<(i64, i64)>()
            .all(db)
            .await?;
        if components.len() != ids.len() {
            errors.push(FieldError::new(
                "components",
                "Choose components from the list.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(Checked {
            title: title.to_owned(),
            body: body.to_owned(),
            starts_at,
            ends_at,
            components,
        })
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Links window `id` to `components` (component id, service id) in place of its links.
async fn link_components(
    db: &impl ConnectionTrait,
    id: i64,
    components: &[(i64, i64)],
) -> Result<(), AppError> {
    maintenance_component::Entity::delete_many()
        .filter(maintenance_component::Column::MaintenanceId.eq(id))
        .exec(db)
        .await?;
    maintenance_component::Entity::insert_many(components.iter().map(|(c, s)| {
        maintenance_component::ActiveModel {
            maintenance_id: Set(id),
            component_id: Set(*c),
            service_id: Set(*s),
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Announces a maintenance window; its id.
pub async fn schedule(
    db: &impl crate::db::Writer,
    user: &CurrentUser,
    actor: &Actor,
    edit: &MaintenanceEdit,
) -> Result<i64, AppError> {
    refuse_viewers(user)?;
    let now = Utc::now();
    let window = checked(db, edit, now).await?;
    let txn = crate::db::begin_write(db).await?;
    let saved = maintenance::ActiveModel {
        title: Set(window.title.clone()),
        body: Set(window.body),
        starts_at: Set(window.starts_at),
        ends_at: Set(window.ends_at),
        completed_at: Set(None),
        cancelled_at: Set(None),
        counts_against_slo: Set(edit.counts_against_slo),
        created_by: Set(user.id.0),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    link_components(&*txn, saved.id, &window.components).await?;
    audit::record(
        &*txn,
        actor,
        "status_maintenance.scheduled",
        Some(&saved.id.to_string()),
        json!({ "title": window.title, "starts_at": window.starts_at, "ends_at": window.ends_at }),
    )
    .await?;
    super::announce::maintenance(&*txn, saved.id, AnnouncementEvent::MaintenanceScheduled).await?;
    txn.commit().await?;
    super::changed();
    Ok(saved.id)
}

/// The window `id` if it can still change, checked against the `version` read.
async fn open_for_change(
    db: &impl ConnectionTrait,
    id: i64,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<maintenance::Model, AppError> {
    let current = maintenance::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| missing(id))?;
    let Some(version) = version else {
        return Err(AppError::invalid(
            "version",
            "Give the version of the maintenance you read.",
        ));
    };
    if version != current.version {
        return Err(AppError::Conflict {
            message:
                "Someone changed this maintenance since you opened it. Reload to see their change."
                    .into(),
        });
    }
    let phase = MaintenancePhase::at(
        now,
        current.starts_at,
        current.ends_at,
        current.completed_at,
        current.cancelled_at,
    );
    if matches!(
        phase,
        MaintenancePhase::Completed | MaintenancePhase::Cancelled
    ) {
        return Err(AppError::Conflict {
            message: format!(
                "This maintenance is {}: it can no longer change.",
                phase.label().to_lowercase()
            ),
        });
    }
    Ok(current)
}

/// Saves `changes` over `current` unless someone saved first.
async fn save(
    db: &impl ConnectionTrait,
    current: &maintenance::Model,
    changes: maintenance::ActiveModel,
) -> Result<(), AppError> {
    let saved = crate::db::update_versioned(
        db,
        changes,
        (maintenance::Column::Id, current.id),
        (maintenance::Column::Version, current.version),
    )
    .await?;
    if saved {
        Ok(())
    } else {
        Err(AppError::Conflict {
            message:
                "Someone changed this maintenance at the same moment. Reload to see their change."
                    .into(),
        })
    }
}

/// Changes a window that is not over yet.
pub async fn update_maintenance(
    db: &impl crate::db::Writer,
    user: &CurrentUser,
    actor: &Actor,
    id: i64,
    edit: &MaintenanceEdit,
) -> Result<(), AppError> {
    refuse_viewers(user)?;
    let now = Utc::now();
    let window = checked(db, edit, now).await?;
    let txn = crate::db::begin_write(db).await?;
    let current = open_for_change(&*txn, id, edit.version, now).await?;
    save(
        &*txn,
        &current,
        maintenance::ActiveModel {
            title: Set(window.title.clone()),
            body: Set(window.body),
            starts_at: Set(window.starts_at),
            ends_at: Set(window.ends_at),
            counts_against_slo: Set(edit.counts_against_slo),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    link_components(&*txn, id, &window.components).await?;
    audit::record(
        &*txn,
        actor,
        "status_maintenance.updated",
        Some(&id.to_string()),
        json!({ "title": window.title, "starts_at": window.starts_at, "ends_at": window.ends_at }),
    )
    .await?;
    super::announce::maintenance(&*txn, id, AnnouncementEvent::MaintenanceUpdated).await?;
    txn.commit().await?;
    super::changed();
    Ok(())
}

/// Ends a window in progress now, or calls off one that has not started.
pub async fn finish_maintenance(
    db: &impl crate::db::Writer,
    user: &CurrentUser,
    actor: &Actor,
    id: i64,
    version: Option<i32>,
) -> Result<MaintenancePhase, AppError> {
    refuse_viewers(user)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let current = open_for_change(&*txn, id, version, now).await?;
    let (phase, changes) = if now >= current.starts_at {
        (
            MaintenancePhase::Completed,
            maintenance::ActiveModel {
                completed_at: Set(Some(now)),
                updated_at: Set(now),
                ..Default::default()
            },
        )
    } else {
        (
            MaintenancePhase::Cancelled,
            maintenance::ActiveModel {
                cancelled_at: Set(Some(now)),
                updated_at: Set(now),
                ..Default::default()
            },
        )
    };
    save(&*txn, &current, changes).await?;
    audit::record(
        &*txn,
        actor,
        match phase {
            MaintenancePhase::Cancelled => "status_maintenance.cancelled",
            _ => "status_maintenance.completed",
        },
        Some(&id.to_string()),
        json!({ "title": current.title }),
    )
    .await?;
    let event = match phase {
        MaintenancePhase::Cancelled => AnnouncementEvent::MaintenanceCancelled,
        _ => AnnouncementEvent::MaintenanceCompleted,
    };
    super::announce::maintenance(&*txn, id, event).await?;
    txn.commit().await?;
    super::changed();
    Ok(phase)
}
