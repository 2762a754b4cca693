//! Reading changes back: one, a page of them, those before an incident, and an
//! incident's causes.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{BEFORE_SHOWN, ChangeFilter, MAX_PAGE, MAX_WINDOW_HOURS, Position, secs, time};
use crate::catalog::ServiceRef;
use crate::catalog::entities::service;
use crate::changes::entities::{change, change_service, incident_change};
use crate::changes::{CausedIncident, ChangeView, ChangesBefore};
use crate::error::AppError;
use crate::incidents::IncidentRef;

/// The views of `rows`, in their order: one statement for their services, one for their
/// links to incidents.
pub(super) async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<change::Model>,
) -> Result<Vec<ChangeView>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut services: HashMap<i64, Vec<ServiceRef>> = HashMap::new();
    let mut incidents: HashMap<i64, Vec<CausedIncident>> = HashMap::new();
    if !ids.is_empty() {
        // Each link with its service, in one statement.
        let service_of_link = change_service::Entity::belongs_to(service::Entity)
            .from(change_service::Column::ServiceId)
            .to(service::Column::Id);
        for (link, named) in change_service::Entity::find()
            .filter(change_service::Column::ChangeId.is_in(ids.iter().copied()))
            .join(JoinType::InnerJoin, service_of_link.into())
            .select_also(service::Entity)
            .all(db)
            .await?
        {
            if let Some(s) = named {
                services
                    .entry(link.change_id)
                    .or_default()
                    .push(ServiceRef {
                        id: s.id,
                        slug: s.slug,
                        name: s.name,
                        owner_team: s.owner_team,
                    });
            }
        }
        for link in incident_change::Entity::find()
            .filter(incident_change::Column::ChangeId.is_in(ids.iter().copied()))
            .order_by_asc(incident_change::Column::IncidentId)
            .all(db)
            .await?
        {
            incidents
                .entry(link.change_id)
                .or_default()
                .push(CausedIncident {
                    incident: IncidentRef(link.incident_id),
                    cause: link.cause,
                });
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let (services, incidents) = (
                services.remove(&r.id).unwrap_or_default(),
                incidents.remove(&r.id).unwrap_or_default(),
            );
            view_of(r, services, incidents)
        })
        .collect())
}

/// A change's view from its row, services and links.
pub(super) fn view_of(
    r: change::Model,
    mut services: Vec<ServiceRef>,
    incidents: Vec<CausedIncident>,
) -> ChangeView {
    services.sort_by(|a, b| a.name.cmp(&b.name));
    ChangeView {
        id: r.id,
        kind: r.kind,
        title: r.title,
        version: r.version,
        author: r.author,
        link: r.link,
        started_at: time(r.started_secs),
        finished_at: r.finished_secs.map(time),
        committed_at: r.committed_secs.map(time),
        outcome: r.outcome,
        source: r.source,
        external_id: r.external_id,
        reverts: r.reverts_id,
        services,
        incidents,
    }
}

pub(super) fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("There is no change {id}."))
}

/// One change.
pub async fn get_change(db: &impl ConnectionTrait, id: i64) -> Result<ChangeView, AppError> {
    let row = change::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(views(db, vec![row]).await?.remove(0))
}

/// One page of changes, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeList {
    pub changes: Vec<ChangeView>,
    /// Where the next (older) page starts; `None` on the last.
    pub next: Option<Position>,
}

/// Changes matching `filter`, newest first, at most `filter.limit` (1 to [`MAX_PAGE`]).
pub async fn list_changes(
    db: &impl ConnectionTrait,
    filter: &ChangeFilter,
) -> Result<ChangeList, AppError> {
    use sea_orm::sea_query::Query;
    let mut query = change::Entity::find();
    if let Some(service_id) = filter.service_id {
        query = query.filter(
            change::Column::Id.in_subquery(
                Query::select()
                    .column(change_service::Column::ChangeId)
                    .from(change_service::Entity)
                    .and_where(change_service::Column::ServiceId.eq(service_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(kind) = filter.kind {
        query = query.filter(change::Column::Kind.eq(kind.as_str()));
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(change::Column::Outcome.eq(outcome.as_str()));
    }
    if let Some(caused) = filter.caused_incident {
        let linked = Query::select()
            .column(incident_change::Column::ChangeId)
            .from(incident_change::Entity)
            .to_owned();
        query = query.filter(if caused {
            change::Column::Id.in_subquery(linked)
        } else {
            change::Column::Id.not_in_subquery(linked)
        });
    }
    if let Some(since) = filter.since {
        query = query.filter(change::Column::StartedSecs.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(change::Column::StartedSecs.lt(until));
    }
    if let Some(after) = filter.after {
        query = query.filter(
            Condition::any()
                .add(change::Column::StartedSecs.lt(after.started_secs))
                .add(
                    Condition::all()
                        .add(change::Column::StartedSecs.eq(after.started_secs))
                        .add(change::Column::Id.lt(after.id)),
                ),
        );
    }
    let limit = filter.limit.clamp(1, MAX_PAGE);
    // One more than asked: whether there is a next page.
    let mut rows = query
        .order_by_desc(change::Column::StartedSecs)
        .order_by_desc(change::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| Position {
            started_secs: r.started_secs,
            id: r.id,
        })
    } else {
        None
    };
    Ok(ChangeList {
        changes: views(db, rows).await?,
        next,
    })
}

/// The changes linked to incident `reference` as a cause, newest first (its
/// postmortem's facts).
pub async fn causes_of(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<Vec<ChangeView>, AppError> {
    use sea_orm::sea_query::Query;
    let rows = change::Entity::find()
        .filter(
            change::Column::Id.in_subquery(
                Query::select()
                    .column(incident_change::Column::ChangeId)
                    .from(incident_change::Entity)
                    .and_where(incident_change::Column::IncidentId.eq(reference.0))
                    .to_owned(),
            ),
        )
        .order_by_desc(change::Column::StartedSecs)
        .limit(BEFORE_SHOWN)
        .all(db)
        .await?;
    views(db, rows).await
}

/// The changes to `reference`'s services in the `window_hours` before its impact started
/// (or it was declared), and every change linked to it: newest first.
pub async fn changes_before(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
    window_hours: u32,
) -> Result<ChangesBefore, AppError> {
    let incident = crate::incidents::service::query::get_incident(db, reference).await?;
    changes_before_incident(db, &incident, window_hours).await
}

/// [`changes_before`] for an incident already read: one statement for the rows (a
/// range of the per-service index and the incident's links), two for their services
/// and links when there are any.
pub async fn changes_before_incident(
    db: &impl ConnectionTrait,
    incident: &crate::incidents::IncidentView,
    window_hours: u32,
) -> Result<ChangesBefore, AppError> {
    use sea_orm::sea_query::{Query, UnionType};
    let window_hours = window_hours.clamp(1, MAX_WINDOW_HOURS);
    let until = incident
        .times
        .impact_started_at
        .unwrap_or(incident.times.declared_at);
    let from = secs(until) - i64::from(window_hours) * 3600;
    let ids = Query::select()
        .column(incident_change::Column::ChangeId)
        .from(incident_change::Entity)
        .and_where(incident_change::Column::IncidentId.eq(incident.reference.0))
        .union(
            UnionType::Distinct,
            Query::select()
                .column(change_service::Column::ChangeId)
                .from(change_service::Entity)
                .and_where(
                    change_service::Column::ServiceId.is_in(incident.services.iter().map(|s| s.id)),
                )
                .and_where(change_service::Column::StartedSecs.between(from, secs(until)))
                .to_owned(),
        )
        .to_owned();
    let rows = change::Entity::find()
        .filter(change::Column::Id.in_subquery(ids))
        .order_by_desc(change::Column::StartedSecs)
        .order_by_desc(change::Column::Id)
        .limit(BEFORE_SHOWN)
        .all(db)
        .await?;
    Ok(ChangesBefore {
        window_hours,
        until,
        changes: views(db, rows).await?,
    })
}
