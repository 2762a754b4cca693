//! The read behind the delivery metrics: a service's deploys in a window (one range of
//! the per-service index, each row carrying whether an incident names it as a cause)
//! and the incidents those deploys caused. Two statements, whatever the window.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use super::delivery::{CausedIncident, DeployBucket, DeployFact, delivery, lead_time};
use super::formulas::duration_stats;
use super::formulas::{Secs, Span};
use super::report::Bucket;
use super::scan::bucket_of;
use super::{ChangeStrip, DeliveryReport, StripDay, StripIncident};
use crate::changes::ChangeKind;
use crate::changes::entities::{change, change_service, incident_change};
use crate::db::pack;
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::{incident, incident_service};

/// The five integers read of each deploy: start, finish, commit, whether it reached
/// production, whether an incident names it as a cause.
const DEPLOY_FIELDS: [&str; 5] = [
    "c.started_secs",
    "c.finished_secs",
    "c.committed_secs",
    "CASE WHEN c.outcome IN ('succeeded', 'rolled_back') THEN 1 ELSE 0 END",
    "CASE WHEN EXISTS (SELECT 1 FROM incident_changes ic WHERE ic.change_id = c.id) THEN 1 ELSE 0 END",
];

/// A window's deploys (of `service`, or of every service) packed into one value, as the
/// incident scan reads its rows: one range of the start index, no row handed over one
/// at a time. Every value in the text is an integer of ours.
fn deploys_statement(backend: DatabaseBackend, service: Option<i64>, window: Span) -> Statement {
    let aggregate = match backend {
        DatabaseBackend::Postgres => format!(
            "string_agg({}, ''::bytea)",
            DEPLOY_FIELDS.map(pack::postgres_field).join(" || ")
        ),
        _ => format!("{}({})", pack::FUNCTION, DEPLOY_FIELDS.join(", ")),
    };
    let (start, end) = (window.start, window.end);
    let source = match service {
        Some(id) => format!(
            "change_services cs JOIN changes c ON c.id = cs.change_id \
             WHERE cs.service_id = {id} AND cs.started_secs >= {start} AND cs.started_secs < {end}"
        ),
        None => format!("changes c WHERE c.started_secs >= {start} AND c.started_secs < {end}"),
    };
    Statement::from_string(
        backend,
        format!("SELECT {aggregate} AS packed FROM {source} AND c.kind = 'deploy'"),
    )
}

#[derive(FromQueryResult)]
struct Packed {
    packed: Option<Vec<u8>>,
}

/// The delivery metrics of `service` (or of all) over `window`, with deploys per
/// `bucket` for the chart.
pub async fn delivery_report(
    db: &impl ConnectionTrait,
    service: Option<i64>,
    window: Span,
    bucket: Bucket,
) -> Result<DeliveryReport, AppError> {
    let packed = Packed::find_by_statement(deploys_statement(
        db.get_database_backend(),
        service,
        window,
    ))
    .one(db)
    .await?
    .and_then(|p| p.packed)
    .unwrap_or_default();
    let mut deploys = Vec::new();
    for [started, finished, committed, reached, caused] in pack::rows::<5>(&packed)? {
        let started = started.ok_or_else(|| AppError::internal("a deploy without a start"))?;
        deploys.push(DeployFact {
            at: started,
            finished,
            committed,
            reached_production: reached == Some(1),
            caused_incident: caused == Some(1),
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
