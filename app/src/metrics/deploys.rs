//! The read behind the delivery metrics: a service's deploys in a window (one range of
//! the per-service index, each row carrying whether an incident names it as a cause)
//! and the incidents those deploys caused. Two statements, whatever the window.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::DeliveryReport;
use super::delivery::{CausedIncident, DeployBucket, DeployFact, delivery};
use super::formulas::{Secs, Span};
use super::report::Bucket;
use super::scan::bucket_of;
use crate::changes::entities::{change, change_service, incident_change};
use crate::changes::{ChangeKind, ChangeOutcome};
use crate::error::AppError;
use crate::incidents::entities::incident;

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
                },
            )
        })
        .collect();
    for d in deploys
        .iter()
        .filter(|d| d.reached_production || d.caused_incident)
    {
        if let Some(b) = buckets.get_mut(&bucket_of(bucket, d.at)) {
            if d.caused_incident {
                b.failed += 1;
            } else {
                b.fine += 1;
            }
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
