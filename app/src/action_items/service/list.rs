//! Reading action items: one, one incident's (whole) or a filtered page across
//! incidents (keyset `after` for the API, numbered pages for the list).

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::accounts::PersonRef;
use crate::accounts::entities::user;
use crate::action_items::entities::action_item::{self, Entity as ActionItem};
use crate::action_items::model::{ItemStatus, is_overdue};
use crate::action_items::{ActionItemFilter, ActionItemPage, ActionItemView, ItemCursor};
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::{incident, incident_service};

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
