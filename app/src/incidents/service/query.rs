//! Reading incidents: one with all its facts, or a filtered, paged list.

use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use std::sync::Arc;

use super::lifecycle::timestamps_of;
use super::not_found;
use crate::accounts::entities::user;
use crate::catalog::entities::service;
use crate::catalog::service::to_ref;
use crate::db::{Kept, Writer};
use crate::error::AppError;
use crate::incidents::entities::{incident, incident_role, incident_service, severity};
use crate::incidents::status::OPEN_SQL;
use crate::incidents::{
    IncidentFilter, IncidentPage, IncidentRef, IncidentRole, IncidentSummary, IncidentView,
    ListCursor, PageStart, RoleAssignment, SeverityView,
};

pub const PAGE_SIZE: u64 = 25;

pub fn severity_view(s: severity::Model) -> SeverityView {
    SeverityView {
        id: s.id,
        name: s.name,
        description: s.description,
        position: s.position,
        requires_postmortem: s.requires_postmortem,
        version: s.version,
    }
}

/// Every severity, most severe first.
pub async fn severities(db: &impl Writer) -> Result<Vec<SeverityView>, AppError> {
    Ok(severity_models(db)
        .await?
        .iter()
        .cloned()
        .map(severity_view)
        .collect())
}

/// Every severity, kept between requests: every page with a severity filter and every
/// declaration reads them. Whatever commits a write to severities calls
/// `SEVERITIES.wrote()`.
pub static SEVERITIES: Kept<Vec<severity::Model>> = Kept::new();

/// Every severity's row, most severe first.
pub async fn severity_models(db: &impl Writer) -> Result<Arc<Vec<severity::Model>>, AppError> {
    SEVERITIES
        .get(db, || async {
            Ok(severity::Entity::find()
                .order_by_asc(severity::Column::Position)
                .order_by_asc(severity::Column::Id)
                .all(db)
                .await?)
        })
        .await
}

pub async fn get_incident(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<IncidentView, AppError> {
    // Three statements: the incident with its severity, its services, its roles with
    // their people (each page view and each live refresh runs these).
    let (m, severity) = incident::Entity::find_by_id(reference.0)
        .select_also(severity::Entity)
        .join(
            JoinType::InnerJoin,
            incident::Entity::belongs_to(severity::Entity)
                .from(incident::Column::SeverityId)
                .to(severity::Column::Id)
                .into(),
        )
        .one(db)
        .await?
        .ok_or_else(|| not_found(reference))?;
    let severity = severity
        .map(severity_view)
        .ok_or_else(|| AppError::internal(format!("incident {} has no severity", m.id)))?;
    let services = service::Entity::find()
        .join_rev(
            JoinType::InnerJoin,
            incident_service::Entity::belongs_to(service::Entity)
                .from(incident_service::Column::ServiceId)
                .to(service::Column::Id)
                .into(),
        )
        .filter(incident_service::Column::IncidentId.eq(m.id))
        .order_by_asc(service::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(to_ref)
        .collect();
    let role_rows = incident_role::Entity::find()
        .select_also(user::Entity)
        .join(
            JoinType::InnerJoin,
            incident_role::Entity::belongs_to(user::Entity)
                .from(incident_role::Column::UserId)
                .to(user::Column::Id)
                .into(),
        )
        .filter(incident_role::Column::IncidentId.eq(m.id))
        .all(db)
        .await?;
    let mut roles: Vec<RoleAssignment> = role_rows
        .into_iter()
        .filter_map(|(r, person)| {
            Some(RoleAssignment {
                role: r.role,
                user_id: r.user_id,
                user_name: person?.display_name,
            })
        })
        .collect();
    roles.sort_by_key(|r| IncidentRole::ALL.iter().position(|x| *x == r.role));
    Ok(IncidentView {
        reference,
        title: m.title.clone(),
        summary: m.summary.clone(),
        summary_html: crate::markdown::render(&m.summary),
        severity,
        status: m.status,
        customer_impact: m.customer_impact,
        times: timestamps_of(&m),
        services,
        roles,
        merged_into: m.merged_into_id.map(IncidentRef),
        type_id: m.type_id,
        postmortem_required_by: m.postmortem_required_by.clone(),
        version: m.version,
    })
}

/// Open incidents first, then the most recently declared; `PAGE_SIZE` to a page, read
/// from a position in that order (keyset paging: each part of the order is read through
/// an index in that order, so no page sorts or skips the whole table).
pub async fn list_incidents(
    db: &impl Writer,
    filter: &IncidentFilter,
) -> Result<IncidentPage, AppError> {
    let limit = PAGE_SIZE + 1;
    let (rows, newer, older) = match filter.start {
        start @ (PageStart::First | PageStart::After(_)) => {
            let from = match start {
                PageStart::After(at) => Some(at),
                _ => None,
            };
            let mut rows = read_run(db, filter, from, true, limit).await?;
            let more = rows.len() as u64 > PAGE_SIZE;
            rows.truncate(PAGE_SIZE as usize);
            let older = more.then(|| rows.last().map(ListRow::cursor)).flatten();
            let newer = from.and(rows.first().map(ListRow::cursor));
            (rows, newer, older)
        }
        PageStart::Before(until) => {
            let mut rows = read_run(db, filter, Some(until), false, limit).await?;
            let more = rows.len() as u64 > PAGE_SIZE;
            rows.truncate(PAGE_SIZE as usize);
            rows.reverse();
            if rows.is_empty() {
                // Nothing is newer any more: the first page is what the reader wants.
                let first = IncidentFilter {
                    start: PageStart::First,
                    ..filter.clone()
                };
                return Box::pin(list_incidents(db, &first)).await;
            }
            let newer = more.then(|| rows.first().map(ListRow::cursor)).flatten();
            let older = rows.last().map(ListRow::cursor);
            (rows, newer, older)
        }
    };
    let total = capped_count(db, filter).await?;
    let severities = severities(db).await?;
    let name_of = |id: i64| {
        severities
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    Ok(IncidentPage {
        incidents: rows
            .into_iter()
            .map(|m| IncidentSummary {
                reference: IncidentRef(m.id),
                severity: name_of(m.severity_id),
                status: m.status,
                title: m.title,
                declared_at: m.declared_at,
                impact_started_at: m.impact_started_at,
                resolved_at: m.resolved_at,
            })
            .collect(),
        total,
        newer,
        older,
        now: chrono::Utc::now(),
        severities,
        types: super::types::list_types(db, true)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
        fields: Vec::new(),
        invalid: Vec::new(),
    })
}

/// How many incidents match `filter`, counted up to [`IncidentPage::COUNT_CAP`] + 1 in
/// the database (one row back, not a thousand ids).
async fn capped_count(db: &impl ConnectionTrait, filter: &IncidentFilter) -> Result<u64, AppError> {
    let capped = filtered(filter)
        .select_only()
        .column(incident::Column::Id)
        .limit(IncidentPage::COUNT_CAP + 1)
        .into_query();
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(capped, "capped")
        .to_owned();
    let n = match db.query_one(&count).await? {
        Some(row) => row.try_get::<i64>("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// "Open" (or "not open") as a condition the index `idx_incidents_open_declared` serves
/// on `backend`: SQLite matches it for `= TRUE`/`= FALSE`, while PostgreSQL rewrites
/// `= FALSE` into `status <> ALL (..)`, which no index serves, and keeps `IS FALSE`.
pub fn open_mark(backend: DbBackend, open: bool) -> String {
    let test = match (backend, open) {
        (DbBackend::Postgres, true) => "IS TRUE",
        (DbBackend::Postgres, false) => "IS FALSE",
        (_, true) => "= TRUE",
        (_, false) => "= FALSE",
    };
    format!("{OPEN_SQL} {test}")
}

/// The query that reads one part of the list, open or not, under `filter`, in order
/// through `idx_incidents_open_declared` (open mark, declared_at, id); with a status
/// filter, through the (status, declared_at, id) index, and the other part is empty.
fn part(
    backend: DbBackend,
    filter: &IncidentFilter,
    open: bool,
) -> Option<Select<incident::Entity>> {
    match filter.status {
        Some(status) if status.is_open() != open => None,
        Some(_) => Some(filtered(filter)),
        None => Some(filtered(filter).filter(Expr::cust(open_mark(backend, open)))),
    }
}

/// What the list shows of an incident, and its place in the list's order: seven
/// columns, not the incident's twenty (no summary, no timestamps converted for nothing).
#[derive(Debug, FromQueryResult)]
pub(super) struct ListRow {
    pub(super) id: i64,
    pub(super) title: String,
    pub(super) severity_id: i64,
    pub(super) status: crate::incidents::Status,
    pub(super) declared_at: chrono::DateTime<chrono::Utc>,
    pub(super) impact_started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub(super) resolved_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ListRow {
    fn cursor(&self) -> ListCursor {
        ListCursor {
            open: self.status.is_open(),
            declared_at: self.declared_at,
            id: self.id,
        }
    }
}

/// `query`, reading only the list's columns.
pub(super) fn list_columns(query: Select<incident::Entity>) -> Select<incident::Entity> {
    use incident::Column as C;
    query.select_only().columns([
        C::Id,
        C::Title,
        C::SeverityId,
        C::Status,
        C::DeclaredAt,
        C::ImpactStartedAt,
        C::ResolvedAt,
    ])
}

/// Up to `limit` incidents in list order (open first, then newest) from `bound`: after
/// it going forward, nearest first; before it going back, nearest first.
///
/// Every statement is an ordered read of one index that stops after `limit` rows, with
/// no sorting in the database ([`list_read`]): the first page is one statement; a page
/// from a position reads the position's part (open or not) from the position on, then
/// the next part if the page is not full. (One statement merging both parts made SQLite
/// build and sort two temporary b-trees per page, which cost more than the second
/// statement a page spanning both parts needs.)
async fn read_run(
    db: &impl ConnectionTrait,
    filter: &IncidentFilter,
    bound: Option<ListCursor>,
    forward: bool,
    limit: u64,
) -> Result<Vec<ListRow>, AppError> {
    let backend = db.get_database_backend();
    if bound.is_none() && forward {
        return match list_read(backend, filter, None, None, true, limit) {
            Some(read) => Ok(read.into_model::<ListRow>().all(db).await?),
            None => Ok(Vec::new()),
        };
    }
    // The parts in reading order; the ones before the position's part are skipped.
    let parts = if forward {
        [true, false]
    } else {
        [false, true]
    };
    let mut reached = bound.is_none();
    let mut rows: Vec<ListRow> = Vec::new();
    for open in parts {
        let bound = bound.filter(|c| c.open == open);
        reached |= bound.is_some();
        let wanted = limit.saturating_sub(rows.len() as u64);
        if !reached || wanted == 0 {
            continue;
        }
        if let Some(read) = list_read(backend, filter, Some(open), bound, forward, wanted) {
            rows.extend(read.into_model::<ListRow>().all(db).await?);
        }
    }
    Ok(rows)
}

/// The read of up to `limit` rows of the list under `filter`: with `part` `None`, the
/// list from its start (open first, then newest) in one ordered read of
/// `idx_incidents_open_declared` (open mark, declared_at, id) from its end; with
/// `Some(open)`, that part only, from `bound` on (`forward`: older), through the same
/// index, or through (status, declared_at, id) under a status filter. `None` when the
/// status filter leaves nothing of the part.
pub fn list_read(
    backend: DbBackend,
    filter: &IncidentFilter,
    part: Option<bool>,
    bound: Option<ListCursor>,
    forward: bool,
    limit: u64,
) -> Option<Select<incident::Entity>> {
    let order = if forward { Order::Desc } else { Order::Asc };
    let mut query = match (part, filter.status) {
        (Some(open), _) => self::part(backend, filter, open)?,
        (None, Some(_)) => filtered(filter),
        (None, None) => filtered(filter).order_by(Expr::cust(OPEN_SQL), order.clone()),
    };
    if let Some(c) = bound {
        // A row-value comparison: both databases seek the index to the position with it
        // (an `a < x OR (a = x AND b < y)` only filters a scan from the part's start on
        // PostgreSQL).
        let at = Expr::tuple([
            Expr::col(incident::Column::DeclaredAt),
            Expr::col(incident::Column::Id),
        ]);
        let position = Expr::tuple([Expr::val(c.declared_at), Expr::val(c.id)]);
        query = query.filter(if forward {
            at.lt(position)
        } else {
            at.gt(position)
        });
    }
    Some(
        list_columns(query)
            .order_by(incident::Column::DeclaredAt, order.clone())
            .order_by(incident::Column::Id, order)
            .limit(limit),
    )
}

/// Every filter of the list but its position.
fn filtered(filter: &IncidentFilter) -> Select<incident::Entity> {
    let mut query = incident::Entity::find();
    if let Some(status) = filter.status {
        query = query.filter(incident::Column::Status.eq(status));
    }
    if let Some(severity_id) = filter.severity_id {
        query = query.filter(incident::Column::SeverityId.eq(severity_id));
    }
    if let Some(service_id) = filter.service_id {
        query = query.filter(
            incident::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(incident_service::Column::IncidentId)
                    .from(incident_service::Entity)
                    .and_where(incident_service::Column::ServiceId.eq(service_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(type_id) = filter.type_id {
        query = query.filter(incident::Column::TypeId.eq(type_id));
    }
    if let Some((field_id, value)) = &filter.field {
        // The values' table belongs to `crate::fields` (above this domain); its
        // (field_id, value, incident_id) index answers this without reading incidents.
        use sea_orm::sea_query::Alias;
        query = query.filter(
            incident::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(Alias::new("incident_id"))
                    .from(Alias::new("incident_field_values"))
                    .and_where(Expr::col(Alias::new("field_id")).eq(*field_id))
                    .and_where(Expr::col(Alias::new("value")).eq(value.clone()))
                    .to_owned(),
            ),
        );
    }
    if let Some(from) = filter.from {
        query = query.filter(incident::Column::DeclaredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(incident::Column::DeclaredAt.lt(to));
    }
    for word in filter
        .text
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .take(8)
    {
        let pattern = format!("%{}%", escape_like(&word.to_lowercase()));
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(incident::Column::Title)))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
                .or(
                    Expr::expr(Func::lower(Expr::col(incident::Column::Summary)))
                        .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    query
}

pub(crate) fn escape_like(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// How many incidents affected a service: what keeps it from being deleted.
pub async fn count_affecting(db: &impl ConnectionTrait, service_id: i64) -> Result<u64, AppError> {
    use sea_orm::PaginatorTrait;
    Ok(incident_service::Entity::find()
        .filter(incident_service::Column::ServiceId.eq(service_id))
        .count(db)
        .await?)
}

/// Up to `limit` incidents under `filter` (its position ignored), newest first: the
/// rows of a CSV download.
pub async fn export_rows(
    db: &impl ConnectionTrait,
    filter: &IncidentFilter,
    limit: u64,
) -> Result<Vec<incident::Model>, AppError> {
    use sea_orm::QuerySelect;
    Ok(filtered(filter)
        .order_by_desc(incident::Column::DeclaredAt)
        .order_by_desc(incident::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
