//! Action item services: plain async functions over a connection. Callers check the
//! role; these check the rules (a reason for "won't do", a real owner, a safe link).

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::action_item::{self, Entity as ActionItem};
use super::model::{ItemKind, ItemStatus, Priority, is_overdue};
use super::{ActionItemFilter, ActionItemPage, ActionItemView, ItemCursor};
use crate::accounts::entities::user;
use crate::accounts::{CurrentUser, PersonRef};
use crate::db::Writer;
use crate::error::{AppError, FieldError};
use crate::incidents::entities::{incident, incident_service};
use crate::incidents::service::timeline::{AutoEvent, record_event};
use crate::incidents::{EventKind, IncidentRef};
use crate::text::is_web_link;

const PAGE_SIZE: u64 = 25;
/// One incident's items fit on one page.
const INCIDENT_ITEMS: u64 = 500;

/// An item with its owner's name and email and its incident's title, in one row.
#[derive(FromQueryResult)]
struct ItemRow {
    #[sea_orm(nested)]
    item: action_item::Model,
    owner_name: Option<String>,
    owner_email: Option<String>,
    incident_title: String,
}

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

/// One item, as lists show it.
pub async fn get_action_item(
    db: &impl ConnectionTrait,
    id: i64,
    today: NaiveDate,
) -> Result<ActionItemView, AppError> {
    let filter = ActionItemFilter {
        id: Some(id),
        page: 1,
        ..Default::default()
    };
    list_action_items(db, &filter, today)
        .await?
        .items
        .pop()
        .ok_or_else(|| AppError::NotFound("There is no such action item.".into()))
}

/// Items matching `filter`: pending ones first, then by due date (undated last).
pub async fn list_action_items(
    db: &impl ConnectionTrait,
    filter: &ActionItemFilter,
    today: NaiveDate,
) -> Result<ActionItemPage, AppError> {
    let mut query = ActionItem::find();
    if let Some(owner) = filter.owner_id {
        query = query.filter(action_item::Column::OwnerId.eq(owner));
    }
    let pending = [ItemStatus::Open, ItemStatus::InProgress];
    if let Some(status) = filter.status {
        query = query.filter(action_item::Column::Status.eq(status));
    }
    if filter.pending || filter.overdue {
        query = query.filter(action_item::Column::Status.is_in(pending));
    }
    if filter.overdue {
        query = query.filter(action_item::Column::DueOn.lt(today));
    }
    if let Some(reference) = filter.incident {
        query = query.filter(action_item::Column::IncidentId.eq(reference.0));
    }
    if let Some(id) = filter.id {
        query = query.filter(action_item::Column::Id.eq(id));
    }
    if let Some(service) = filter.service_id {
        query = query.filter(
            action_item::Column::IncidentId.in_subquery(
                Query::select()
                    .column(incident_service::Column::IncidentId)
                    .from(incident_service::Entity)
                    .and_where(incident_service::Column::ServiceId.eq(service))
                    .to_owned(),
            ),
        );
    }
    let pending_first: Expr = Expr::case(action_item::Column::Status.is_in(pending), 0)
        .finally(1)
        .into();
    let undated_last: Expr = Expr::case(action_item::Column::DueOn.is_null(), 1)
        .finally(0)
        .into();
    let query = query
        .join(
            JoinType::LeftJoin,
            ActionItem::belongs_to(user::Entity)
                .from(action_item::Column::OwnerId)
                .to(user::Column::Id)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            ActionItem::belongs_to(incident::Entity)
                .from(action_item::Column::IncidentId)
                .to(incident::Column::Id)
                .into(),
        )
        .column_as(
            Expr::col((user::Entity, user::Column::DisplayName)),
            "owner_name",
        )
        .column_as(
            Expr::col((user::Entity, user::Column::Email)),
            "owner_email",
        )
        .column_as(
            Expr::col((incident::Entity, incident::Column::Title)),
            "incident_title",
        )
        .order_by_asc(pending_first)
        .order_by_asc(undated_last)
        .order_by_asc(action_item::Column::DueOn)
        .order_by_asc(action_item::Column::Id);
    let page = Ord::max(filter.page, 1);
    let size = if filter.incident.is_some() {
        INCIDENT_ITEMS
    } else {
        PAGE_SIZE
    };
    // One incident's items are shown whole (they are few) and need no count: one
    // statement on every incident page. Lists across incidents page.
    let whole = if filter.incident.is_some() && page == 1 && filter.after.is_none() {
        let rows = query
            .clone()
            .limit(INCIDENT_ITEMS + 1)
            .into_model::<ItemRow>()
            .all(db)
            .await?;
        (rows.len() as u64 <= INCIDENT_ITEMS).then_some(rows)
    } else {
        None
    };
    let (rows, page, pages, total, more) = match (whole, filter.after) {
        (Some(rows), _) => {
            let n = rows.len() as u64;
            (rows, 1, 1, n, false)
        }
        (None, Some(after)) => {
            let counts = query
                .clone()
                .into_model::<ItemRow>()
                .paginate(db, size)
                .num_items_and_pages()
                .await?;
            let mut rows = query
                .filter(after_item(after))
                .limit(size + 1)
                .into_model::<ItemRow>()
                .all(db)
                .await?;
            let more = rows.len() as u64 > size;
            rows.truncate(size as usize);
            (
                rows,
                0,
                counts.number_of_pages,
                counts.number_of_items,
                more,
            )
        }
        (None, None) => {
            let paginator = query.into_model::<ItemRow>().paginate(db, size);
            let counts = paginator.num_items_and_pages().await?;
            // A page past the end is empty; its offset is never computed (it could
            // overflow: `?page=` comes from the address bar).
            let rows = if page > counts.number_of_pages {
                Vec::new()
            } else {
                paginator.fetch_page(page - 1).await?
            };
            let more = page < counts.number_of_pages;
            (
                rows,
                page,
                counts.number_of_pages,
                counts.number_of_items,
                more,
            )
        }
    };
    let next = rows
        .last()
        .filter(|_| more)
        .map(|row| ItemCursor {
            pending: row.item.status.is_pending(),
            due_on: row.item.due_on,
            id: row.item.id,
        })
        .map(|c| c.encode());
    Ok(ActionItemPage {
        items: rows
            .into_iter()
            .map(|row| {
                let m = row.item;
                let status = m.status;
                let owner = m.owner_id.zip(row.owner_name).zip(row.owner_email);
                ActionItemView {
                    id: m.id,
                    incident: IncidentRef(m.incident_id),
                    incident_title: row.incident_title,
                    description_html: crate::markdown::render(&m.description),
                    kind: m.kind,
                    priority: m.priority,
                    owner_value: owner
                        .as_ref()
                        .map(|((_, name), email)| crate::choices::person_value(name, email)),
                    owner: owner.map(|((id, name), _)| PersonRef { id, name }),
                    overdue: is_overdue(status, m.due_on, today),
                    due_on: m.due_on,
                    status,
                    wont_do_reason: m.wont_do_reason,
                    tracker_url: m.tracker_url,
                    version: m.version,
                    completed_at: m.completed_at,
                    title: m.title,
                    description: m.description,
                }
            })
            .collect(),
        page,
        pages: Ord::max(pages, 1),
        total,
        next,
    })
}

/// The items that come after `at` in the list's order (pending first, undated last, then
/// due date and id): the keyset of the API's `after`.
fn after_item(at: ItemCursor) -> Condition {
    use action_item::Column::{DueOn, Id, Status};
    let pending = [ItemStatus::Open, ItemStatus::InProgress];
    let same_rank = if at.pending {
        Status.is_in(pending)
    } else {
        Status.is_not_in(pending)
    };
    // Within the rank: dated items by date then id, then the undated by id.
    let within = match at.due_on {
        Some(due) => Condition::any()
            .add(DueOn.gt(due))
            .add(Condition::all().add(DueOn.eq(due)).add(Id.gt(at.id)))
            .add(DueOn.is_null()),
        None => Condition::all().add(DueOn.is_null()).add(Id.gt(at.id)),
    };
    let later = Condition::all().add(same_rank).add(within);
    if at.pending {
        Condition::any().add(later).add(Status.is_not_in(pending))
    } else {
        later
    }
}
