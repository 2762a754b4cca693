//! The read behind the delivery metrics: a service's deploys in a window (one range of
//! the per-service index, each row carrying whether an incident names it as a cause)
//! and the incidents those deploys caused. Two statements, whatever the window.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::delivery::{CausedIncident, DeployBucket, DeployFact, delivery, lead_time};
use super::formulas::duration_stats;
use super::formulas::{Secs, Span};
use super::report::Bucket;
use super::scan::bucket_of;
use super::{ChangeStrip, DeliveryReport, StripDay, StripIncident};
use crate::changes::entities::{change, change_service, incident_change};
use crate::changes::{ChangeKind, ChangeOutcome};
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::{incident, incident_service};

/// A window's deploys: of `service`, or of every service.
fn deploys_query(service: Option<i64>, window: Span) -> SelectStatement {
    let caused = Query::select()
        .expr(Expr::val(1))
        .from(incident_change::Entity)
        .and_where(
            Expr::col((incident_change::Entity, incident_change::Column::ChangeId))
                .equals((change::Entity, change::Column::Id)),
        )
        .to_owned();
    let mut query = Query::select();
    query
        .column((change::Entity, change::Column::StartedSecs))
        .column((change::Entity, change::Column::FinishedSecs))
        .column((change::Entity, change::Column::CommittedSecs))
        .column((change::Entity, change::Column::Outcome))
        .expr_as(Expr::exists(caused), Alias::new("caused"))
        .from(change::Entity)
        .and_where(
            Expr::col((change::Entity, change::Column::Kind)).eq(ChangeKind::Deploy.as_str()),
        );
    match service {
        Some(id) => {
            query
                .inner_join(
                    change_service::Entity,
                    Expr::col((change_service::Entity, change_service::Column::ChangeId))
                        .equals((change::Entity, change::Column::Id)),
                )
                .and_where(
                    Expr::col((change_service::Entity, change_service::Column::ServiceId)).eq(id),
                )
                .and_where(
                    Expr::col((change_service::Entity, change_service::Column::StartedSecs))
                        .gte(window.start),
                )
                .and_where(
                    Expr::col((change_service::Entity, change_service::Column::StartedSecs))
                        .lt(window.end),
                );
        }
        None => {
            query
                .and_where(
                    Expr::col((change::Entity, change::Column::StartedSecs)).gte(window.start),
                )
                .and_where(Expr::col((change::Entity, change::Column::StartedSecs)).lt(window.end));
        }
    }
    query.to_owned()
}

/// The delivery metrics of `service` (or of all) over `window`, with deploys per
/// `bucket` for the chart.
pub async fn delivery_report(
    db: &impl ConnectionTrait,
    service: Option<i64>,
    window: Span,
    bucket: Bucket,
) -> Result<DeliveryReport, AppError> {
    let mut deploys = Vec::new();
    for row in db.query_all(&deploys_query(service, window)).await? {
        let started: i64 = row.try_get("", "started_secs")?;
        let finished: Option<i64> = row.try_get("", "finished_secs")?;
        let outcome: String = row.try_get("", "outcome")?;
        // SQLite answers EXISTS as an integer, PostgreSQL as a boolean.
        let caused = row
            .try_get::<bool>("", "caused")
            .or_else(|_| row.try_get::<i64>("", "caused").map(|n| n != 0))?;
        deploys.push(DeployFact {
            at: started,
            finished,
            committed: row.try_get("", "committed_secs")?,
            reached_production: matches!(
                ChangeOutcome::parse(&outcome),
                Some(ChangeOutcome::Succeeded | ChangeOutcome::RolledBack)
            ),
            caused_incident: caused,
        });
    }
    let caused = caused_incidents(db, service).await?;
    let mut buckets: BTreeMap<String, DeployBucket> = super::service::bucket_starts(bucket, window)
        .into_iter()
        .map(|b| {
            (
                b.clone(),
                DeployBucket {
                    bucket: b,
                    fine: 0,
                    failed: 0,
                    lead_time_median: None,
                },
            )
        })
        .collect();
    let mut leads: BTreeMap<String, Vec<Secs>> = BTreeMap::new();
    for d in deploys
        .iter()
        .filter(|d| d.reached_production || d.caused_incident)
    {
        let key = bucket_of(bucket, d.at);
        if let Some(b) = buckets.get_mut(&key) {
            if d.caused_incident {
                b.failed += 1;
            } else {
                b.fine += 1;
            }
            if let Some(lead) = lead_time(d) {
                leads.entry(key).or_default().push(lead);
            }
        }
    }
    for (key, values) in leads {
        if let Some(b) = buckets.get_mut(&key) {
            b.lead_time_median = duration_stats(values).median;
        }
    }
    Ok(DeliveryReport {
        window,
        delivery: delivery(window, &deploys, &caused),
        buckets: buckets.into_values().collect(),
    })
}

/// The incidents deploys (of `service`, or any) are linked to as a cause.
async fn caused_incidents(
    db: &impl ConnectionTrait,
    service: Option<i64>,
) -> Result<Vec<CausedIncident>, AppError> {
    let mut linked = Query::select();
    linked
        .column((incident_change::Entity, incident_change::Column::IncidentId))
        .from(incident_change::Entity)
        .inner_join(
            change::Entity,
            Expr::col((change::Entity, change::Column::Id))
                .equals((incident_change::Entity, incident_change::Column::ChangeId)),
        )
        .and_where(
            Expr::col((change::Entity, change::Column::Kind)).eq(ChangeKind::Deploy.as_str()),
        );
    if let Some(id) = service {
        linked
            .inner_join(
                change_service::Entity,
                Expr::col((change_service::Entity, change_service::Column::ChangeId))
                    .equals((incident_change::Entity, incident_change::Column::ChangeId)),
            )
            .and_where(
                Expr::col((change_service::Entity, change_service::Column::ServiceId)).eq(id),
            );
    }
    let secs = |t: chrono::DateTime<chrono::Utc>| -> Secs { t.timestamp() };
    Ok(incident::Entity::find()
        .select_only()
        .column(incident::Column::ImpactStartedAt)
        .column(incident::Column::DeclaredAt)
        .column(incident::Column::MitigatedAt)
        .filter(incident::Column::Id.in_subquery(linked.to_owned()))
        .into_tuple::<(
            Option<chrono::DateTime<chrono::Utc>>,
            chrono::DateTime<chrono::Utc>,
            Option<chrono::DateTime<chrono::Utc>>,
        )>()
        .all(db)
        .await?
        .into_iter()
        .map(|(impact, declared, mitigated)| CausedIncident {
            start: secs(impact.unwrap_or(declared)),
            mitigated: mitigated.map(secs),
        })
        .collect())
}

/// How many incidents the strip draws at most (the newest).
const STRIP_INCIDENTS: u64 = 200;

/// `service`'s changes per day and its incidents over `window`: two statements.
pub async fn change_strip(
    db: &impl ConnectionTrait,
    service: i64,
    window: Span,
) -> Result<ChangeStrip, AppError> {
    // Every kind of change, not only deploys.
    let query = Query::select()
        .column((change_service::Entity, change_service::Column::StartedSecs))
        .expr_as(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(incident_change::Entity)
                    .and_where(
                        Expr::col((incident_change::Entity, incident_change::Column::ChangeId))
                            .equals((change_service::Entity, change_service::Column::ChangeId)),
                    )
                    .to_owned(),
            ),
            Alias::new("caused"),
        )
        .from(change_service::Entity)
        .and_where(
            Expr::col((change_service::Entity, change_service::Column::ServiceId)).eq(service),
        )
        .and_where(
            Expr::col((change_service::Entity, change_service::Column::StartedSecs))
                .gte(window.start),
        )
        .and_where(
            Expr::col((change_service::Entity, change_service::Column::StartedSecs)).lt(window.end),
        )
        .to_owned();
    let mut days: BTreeMap<Secs, StripDay> = BTreeMap::new();
    for row in db.query_all(&query).await? {
        let started: i64 = row.try_get("", "started_secs")?;
        let caused = row
            .try_get::<bool>("", "caused")
            .or_else(|_| row.try_get::<i64>("", "caused").map(|n| n != 0))?;
        let day = started.div_euclid(86_400) * 86_400;
        let entry = days.entry(day).or_insert(StripDay {
            day,
            changes: 0,
            caused: 0,
        });
        entry.changes += 1;
        entry.caused += i64::from(caused);
    }
    let at = |secs: Secs| chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    let mut incidents: Vec<StripIncident> = incident::Entity::find()
        .filter(
            incident::Column::Id.in_subquery(
                Query::select()
                    .column(incident_service::Column::IncidentId)
                    .from(incident_service::Entity)
                    .and_where(Expr::col(incident_service::Column::ServiceId).eq(service))
                    .to_owned(),
            ),
        )
        .filter(incident::Column::DeclaredAt.lt(at(window.end)))
        .filter(
            sea_orm::Condition::any()
                .add(incident::Column::MitigatedAt.is_null())
                .add(incident::Column::MitigatedAt.gte(at(window.start))),
        )
        .order_by_desc(incident::Column::DeclaredAt)
        .limit(STRIP_INCIDENTS)
        .all(db)
        .await?
        .into_iter()
        .map(|i| StripIncident {
            reference: IncidentRef(i.id).to_string(),
            start: i.impact_started_at.unwrap_or(i.declared_at).timestamp(),
            end: i.mitigated_at.map(|t| t.timestamp()),
            title: i.title,
        })
        .collect();
    incidents.reverse();
    Ok(ChangeStrip {
        window,
        days: days.into_values().collect(),
        incidents,
    })
}
