//! What the on-call home page reads of incidents: the open ones, with who leads each and
//! the reader's part in it, and the ones resolved lately. A handful of indexed reads,
//! whatever the size of the history.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
};

use super::query::{ListRow, list_columns, open_mark};
use crate::accounts::entities::user;
use crate::error::AppError;
use crate::incidents::entities::{incident, incident_role};
use crate::incidents::status::Status;
use crate::incidents::{ActiveIncident, IncidentRef, IncidentRole, IncidentSummary, SeverityView};

/// The list's seven columns.
fn rows() -> sea_orm::Select<incident::Entity> {
    list_columns(incident::Entity::find())
}

/// Up to `limit` open incidents, newest declared first (read through the list's open
/// index), with every open incident counted; `me`'s roles and each commander filled in,
/// severities named from `levels`.
pub async fn active(
    db: &impl ConnectionTrait,
    me: i64,
    limit: u64,
    levels: &[SeverityView],
) -> Result<(Vec<ActiveIncident>, u64), AppError> {
    let open = Expr::cust(open_mark(db.get_database_backend(), true));
    let found: Vec<ListRow> = rows()
        .filter(open.clone())
        .order_by_desc(incident::Column::DeclaredAt)
        .order_by_desc(incident::Column::Id)
        .limit(limit)
        .into_model()
        .all(db)
        .await?;
    let total = if (found.len() as u64) < limit {
        found.len() as u64
    } else {
        use sea_orm::PaginatorTrait;
        incident::Entity::find().filter(open).count(db).await?
    };
    let ids: Vec<i64> = found.iter().map(|r| r.id).collect();
    // Every role in these incidents with its holder's name: a few rows per incident.
    let roles: Vec<(incident_role::Model, Option<user::Model>)> = incident_role::Entity::find()
        .select_also(user::Entity)
        .join(
            JoinType::LeftJoin,
            incident_role::Entity::belongs_to(user::Entity)
                .from(incident_role::Column::UserId)
                .to(user::Column::Id)
                .into(),
        )
        .filter(incident_role::Column::IncidentId.is_in(ids))
        .all(db)
        .await?;
    let incidents = found
        .into_iter()
        .map(|r| {
            let level = levels.iter().find(|s| s.id == r.severity_id);
            let mine =
                |role: &&(incident_role::Model, Option<user::Model>)| role.0.incident_id == r.id;
            let commander = roles
                .iter()
                .filter(mine)
                .find(|(role, _)| role.role == IncidentRole::Commander)
                .and_then(|(_, person)| person.as_ref().map(|p| p.display_name.clone()));
            let mut my_roles: Vec<IncidentRole> = roles
                .iter()
                .filter(mine)
                .filter(|(role, _)| role.user_id == me)
                .map(|(role, _)| role.role)
                .collect();
            my_roles.sort_by_key(|role| IncidentRole::ALL.iter().position(|x| x == role));
            ActiveIncident {
                reference: IncidentRef(r.id),
                title: r.title,
                severity: level.map(|s| s.name.clone()).unwrap_or_default(),
                severity_position: level.map_or(i32::MAX, |s| s.position),
                status: r.status,
                declared_at: r.declared_at,
                impact_started_at: r.impact_started_at,
                commander,
                my_roles,
            }
        })
        .collect();
    Ok((incidents, total))
}

/// Up to `limit` incidents resolved (or since closed) at or after `since`, the most
/// recently resolved first, through the resolution-time index.
pub async fn recently_resolved(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
    limit: u64,
    levels: &[SeverityView],
) -> Result<Vec<IncidentSummary>, AppError> {
    let secs = || Expr::col(sea_orm::sea_query::Alias::new("resolve_secs"));
    let found: Vec<ListRow> = rows()
        .filter(secs().gte(since.timestamp()))
        .filter(incident::Column::Status.is_in([Status::Resolved, Status::Closed]))
        .order_by_desc(secs())
        .order_by_desc(incident::Column::Id)
        .limit(limit)
        .into_model()
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .map(|r| IncidentSummary {
            reference: IncidentRef(r.id),
            severity: levels
                .iter()
                .find(|s| s.id == r.severity_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            title: r.title,
            status: r.status,
            declared_at: r.declared_at,
            impact_started_at: r.impact_started_at,
            resolved_at: r.resolved_at,
        })
        .collect())
}
