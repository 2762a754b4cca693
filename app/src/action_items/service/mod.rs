//! Action item services: plain async functions over a connection. Callers check the
//! role; these check the rules (a reason for "won't do", a real owner, a safe link).

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::entities::action_item::{self, Entity as ActionItem};
use super::model::{ItemKind, ItemStatus, Priority};
use crate::accounts::CurrentUser;
use crate::accounts::entities::user;
use crate::db::Writer;
use crate::error::{AppError, FieldError};
use crate::incidents::service::timeline::{AutoEvent, record_event};
use crate::incidents::{EventKind, IncidentRef};
use crate::text::is_web_link;

mod list;

pub use list::{get_action_item, list_action_items};

/// Everything a person sets on an item (creating or editing).
#[derive(Debug, Clone)]
pub struct ItemFields {
    pub title: String,
    pub description: String,
    pub kind: Option<ItemKind>,
    pub priority: Option<Priority>,
    pub owner_id: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub status: ItemStatus,
    pub wont_do_reason: String,
    pub tracker_url: String,
}

impl Default for ItemFields {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            kind: Some(ItemKind::Prevent),
            priority: Some(Priority::Medium),
            owner_id: None,
            due_on: None,
            status: ItemStatus::Open,
            wont_do_reason: String::new(),
            tracker_url: String::new(),
        }
    }
}

struct Checked {
    title: String,
    description: String,
    kind: ItemKind,
    priority: Priority,
    reason: Option<String>,
    tracker_url: Option<String>,
}

async fn check(db: &impl ConnectionTrait, f: &ItemFields) -> Result<Checked, AppError> {
    let mut errors = Vec::new();
    let mut error = |field: &str, message: &str| errors.push(FieldError::new(field, message));
    let title = f.title.trim().to_owned();
    if title.is_empty() {
        error("title", "Say what will be done.");
    } else if title.chars().count() > 200 {
        error("title", "Keep the title under 200 characters.");
    } else if crate::text::has_control_characters(&title) {
        error("title", crate::text::ONE_LINE);
    }
    if f.description.chars().count() > 10_000 {
        error(
            "description",
            "Keep the description under 10,000 characters.",
        );
    }
    if f.kind.is_none() {
        error("kind", "Choose a type.");
    }
    if f.priority.is_none() {
        error("priority", "Choose a priority.");
    }
    if let Some(owner) = f.owner_id {
        let active = user::Entity::find_by_id(owner)
            .one(db)
            .await?
            .is_some_and(|u| u.deactivated_at.is_none());
        if !active {
            error("owner_id", "Choose an active person as owner.");
        }
    }
    let reason = Some(f.wont_do_reason.trim().to_owned()).filter(|r| !r.is_empty());
    if f.status == ItemStatus::WontDo && reason.is_none() {
        error("wont_do_reason", "Say why this will not be done.");
    }
    let tracker = Some(f.tracker_url.trim().to_owned()).filter(|u| !u.is_empty());
    if tracker
        .as_deref()
        .is_some_and(|u| !is_web_link(u) || u.len() > 500)
    {
        error("tracker_url", "Use a full link starting with https://.");
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(Checked {
        title,
        description: f.description.trim().to_owned(),
        kind: f.kind.unwrap_or(ItemKind::Other),
        priority: f.priority.unwrap_or(Priority::Medium),
        reason: reason.filter(|_| f.status == ItemStatus::WontDo),
        tracker_url: tracker,
    })
}

/// Adds an item to the incident (and its timeline).
pub async fn create_action_item(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    fields: ItemFields,
) -> Result<i64, AppError> {
    let checked = check(db, &fields).await?;
    let txn = crate::db::begin_write(db).await?;
    let incident = crate::incidents::service::load(&txn, reference).await?;
    let now = Utc::now();
    let done = fields.status == ItemStatus::Done;
    let created = action_item::ActiveModel {
        incident_id: Set(incident.id),
        title: Set(checked.title.clone()),
        description: Set(checked.description),
        kind: Set(checked.kind),
        priority: Set(checked.priority),
        owner_id: Set(fields.owner_id),
        due_on: Set(fields.due_on),
        status: Set(fields.status),
        wont_do_reason: Set(checked.reason),
        tracker_url: Set(checked.tracker_url),
        version: Set(1),
        created_by: Set(actor.id.0),
        created_at: Set(now),
        updated_at: Set(now),
        completed_at: Set(done.then_some(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record_event(
        &txn,
        incident.id,
        actor,
        AutoEvent {
            kind: EventKind::ActionItem,
            body: format!("Action item added: {}", checked.title),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

/// An action item a rule adds, inside the caller's transaction: the title and priority
/// of the rule's template, owned by the incident's commander, due `due_on`.
pub async fn add_for_rule(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    incident_id: i64,
    title: &str,
    priority: Priority,
    due_on: Option<NaiveDate>,
) -> Result<String, AppError> {
    let commander = crate::incidents::entities::incident_role::Entity::find_by_id((
        incident_id,
        crate::incidents::IncidentRole::Commander,
    ))
    .one(txn)
    .await?
    .map(|r| r.user_id);
    let now = Utc::now();
    action_item::ActiveModel {
        incident_id: Set(incident_id),
        title: Set(title.to_owned()),
        description: Set(String::new()),
        kind: Set(ItemKind::Process),
        priority: Set(priority),
        owner_id: Set(commander),
        due_on: Set(due_on),
        status: Set(ItemStatus::Open),
        wont_do_reason: Set(None),
        tracker_url: Set(None),
        version: Set(1),
        created_by: Set(actor.id.0),
        created_at: Set(now),
        updated_at: Set(now),
        completed_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    record_event(
        txn,
        incident_id,
        actor,
        AutoEvent {
            kind: EventKind::ActionItem,
            body: format!("Action item added: {title}"),
            at: now,
        },
    )
    .await?;
    Ok(format!(
        "added the action item {}",
        crate::markdown::literal(title)
    ))
}

/// Saves an edit made from `expected_version`; finishing or dropping the item (and
/// reopening it) is recorded on the incident's timeline.
pub async fn update_action_item(
    db: &impl Writer,
    actor: &CurrentUser,
    id: i64,
    fields: ItemFields,
    expected_version: i32,
) -> Result<(), AppError> {
    let checked = check(db, &fields).await?;
    let txn = crate::db::begin_write(db).await?;
    let current = ActionItem::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such action item.".into()))?;
    let before = current.status;
    let now = Utc::now();
    let completed_at = match (before, fields.status) {
        (_, ItemStatus::Done) if before != ItemStatus::Done => Some(now),
        (_, ItemStatus::Done) => current.completed_at,
        _ => None,
    };
    let saved = crate::db::update_versioned(
        &txn,
        action_item::ActiveModel {
            title: Set(checked.title.clone()),
            description: Set(checked.description),
            kind: Set(checked.kind),
            priority: Set(checked.priority),
            owner_id: Set(fields.owner_id),
            due_on: Set(fields.due_on),
            status: Set(fields.status),
            wont_do_reason: Set(checked.reason.clone()),
            tracker_url: Set(checked.tracker_url),
            updated_at: Set(now),
            completed_at: Set(completed_at),
            ..Default::default()
        },
        (action_item::Column::Id, id),
        (action_item::Column::Version, expected_version),
    )
    .await?;
    if !saved {
        return Err(AppError::Conflict {
            message: format!(
                "\u{201c}{}\u{201d} was changed by someone else in the meantime (it is now {}). Review it and try again.",
                current.title,
                before.label().to_lowercase()
            ),
        });
    }
    let note = match (before, fields.status) {
        (b, ItemStatus::Done) if b != ItemStatus::Done => {
            Some(format!("Action item completed: {}", checked.title))
        }
        (b, ItemStatus::WontDo) if b != ItemStatus::WontDo => Some(format!(
            "Action item will not be done: {} ({})",
            checked.title,
            checked.reason.unwrap_or_default()
        )),
        (ItemStatus::Done | ItemStatus::WontDo, s) if s.is_pending() => {
            Some(format!("Action item reopened: {}", checked.title))
        }
        _ => None,
    };
    if let Some(body) = note {
        record_event(
            &txn,
            current.incident_id,
            actor,
            AutoEvent {
                kind: EventKind::ActionItem,
                body,
                at: now,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
