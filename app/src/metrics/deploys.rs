//! The read behind the delivery metrics: a service's (or every service's) deploys in a
//! window, one range of an index; which of them an incident names as a cause; and the
//! incidents those deploys caused.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, StreamTrait,
};

use super::delivery::{CausedIncident, DeployBucket, DeployFact, delivery, lead_time};
use super::formulas::duration_stats;
use super::formulas::{Secs, Span};
use super::report::Bucket;
use super::{ChangeStrip, DeliveryReport, StripDay, StripIncident};
use crate::changes::entities::{change_service, incident_change};
use crate::db::pack;
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::{incident, incident_service};

/// The integers read of each deploy: its start, finish, commit, whether it reached
/// production, and whether an incident names it as a cause.
const DEPLOY_FIELDS: [&str; 4] = [
    "c.started_secs",
    "c.finished_secs",
    "c.committed_secs",
    "CASE WHEN c.outcome IN ('succeeded', 'rolled_back') THEN 1 ELSE 0 END",
];

/// Whether a deploy of one service is a cause, asked per row: a service has a few
/// hundred deploys a year, and a statement fewer is worth more than the lookups.
const CAUSE_OF_ROW: &str = "CASE WHEN EXISTS (SELECT 1 FROM incident_changes ic WHERE ic.change_id = c.id) THEN 1 ELSE 0 END";

/// The `FROM … WHERE …` of the deploys (of `service`, or of every service) that started
/// in `window`: one range of an index. Every value in the text is an integer of ours.
fn deploys_source(service: Option<i64>, window: Span) -> String {
    let (start, end) = (window.start, window.end);
    match service {
        Some(id) => format!(
            "FROM change_services cs JOIN changes c ON c.id = cs.change_id \
             WHERE cs.service_id = {id} AND cs.started_secs >= {start} \
             AND cs.started_secs < {end} AND c.kind = 'deploy'"
        ),
        None => format!(
            "FROM changes c WHERE c.started_secs >= {start} AND c.started_secs < {end} \
             AND c.kind = 'deploy'"
        ),
    }
}

/// A window's deploys packed into one value (a value a day on PostgreSQL:
/// [`pack::pieces_by_day`]), as the incident scan reads its rows: no row handed over one
/// at a time. Each row ends with whether it is a cause (one service's)
/// or with its id, to look up in [`causes_statement`]'s answer (every service's: all
/// the row needs is in `idx_changes_deploys`).
pub fn deploys_statement(
    backend: DatabaseBackend,
    service: Option<i64>,
    window: Span,
) -> Statement {
    let last = if service.is_some() {
        CAUSE_OF_ROW
    } else {
        "c.id"
    };
    let mut fields = DEPLOY_FIELDS.to_vec();
    fields.push(last);
    Statement::from_string(
        backend,
        format!(
            "SELECT {} AS packed {}{}",
            pack::aggregate(backend, &fields),
            deploys_source(service, window),
            pack::pieces_by_day(backend, "c.started_secs")
        ),
    )
}

/// The ids of every service's deploys in `window` that an incident names as a cause.
/// Asked apart: few deploys have a cause, and the links are read first (3 ms), where
/// asking each deploy about its links cost 50 ms a year at 160,000 deploys.
fn causes_statement(backend: DatabaseBackend, window: Span) -> Statement {
    Statement::from_string(
        backend,
        format!(
            "SELECT {} AS packed {} AND c.id IN (SELECT change_id FROM incident_changes)",
            pack::aggregate(backend, &["c.id"]),
            deploys_source(None, window)
        ),
    )
}

/// The incidents that started in `window` and name a deploy (of `service`, or any) as a
/// cause: their start and mitigation, packed. Few incidents have a cause, so the links
/// are read first and each incident looked up by its key.
fn caused_statement(backend: DatabaseBackend, service: Option<i64>, window: Span) -> Statement {
    let (start, end) = (window.start, window.end);
    let of_service = match service {
        Some(id) => format!(
            "JOIN change_services cs ON cs.change_id = ic.change_id AND cs.service_id = {id}"
        ),
        None => String::new(),
    };
    Statement::from_string(
        backend,
        format!(
            "SELECT {} AS packed FROM incidents i \
             WHERE i.start_secs >= {start} AND i.start_secs < {end} AND i.id IN (\
             SELECT ic.incident_id FROM incident_changes ic \
             JOIN changes c ON c.id = ic.change_id {of_service} WHERE c.kind = 'deploy')",
            pack::aggregate(backend, &["i.start_secs", "i.mitigate_secs"])
        ),
    )
}

/// Days since 1970-01-01 of a bucket's `YYYY-MM-DD` label.
fn label_day(label: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(label, "%Y-%m-%d").ok()?;
    Some(
        date.signed_duration_since(chrono::NaiveDate::default())
            .num_days(),
    )
}

/// The delivery metrics of `service` (or of all) over `window`, with deploys per
/// `bucket` for the chart. Two statements for a service, three for all, whatever the
/// window.
pub async fn delivery_report(
    db: &(impl ConnectionTrait + StreamTrait),
    service: Option<i64>,
    window: Span,
    bucket: Bucket,
) -> Result<DeliveryReport, AppError> {
    let backend = ConnectionTrait::get_database_backend(db);
    // Few deploys are causes: a sorted list searched per deploy, not hashed.
    let causes: Option<Vec<i64>> = match service {
        Some(_) => None,
        None => {
            let mut ids = Vec::new();
            pack::read(
                db,
                causes_statement(backend, window),
                |[id]: [Option<i64>; 1]| {
                    ids.extend(id);
                    Ok(())
                },
            )
            .await?;
            ids.sort_unstable();
            Some(ids)
        }
    };
    let mut deploys = Vec::new();
    let statement = deploys_statement(backend, service, window);
    pack::read(
        db,
        statement,
        |[started, finished, committed, reached, last]: [Option<i64>; 5]| {
            let started = started.ok_or_else(|| AppError::internal("a deploy without a start"))?;
            let caused_incident = match &causes {
                Some(causes) => last.is_some_and(|id| causes.binary_search(&id).is_ok()),
                None => last == Some(1),
            };
            deploys.push(DeployFact {
                at: started,
                finished,
                committed,
                reached_production: reached == Some(1),
                caused_incident,
            });
            Ok(())
        },
    )
    .await?;
    let mut caused = Vec::new();
    let statement = caused_statement(backend, service, window);
    pack::read(db, statement, |[start, mitigated]: [Option<i64>; 2]| {
        let start = start.ok_or_else(|| AppError::internal("an incident without a start"))?;
        caused.push(CausedIncident { start, mitigated });
        Ok(())
    })
    .await?;

    // Buckets are found by their first day, a number: no label formatted per deploy.
    let mut buckets: Vec<DeployBucket> = super::service::bucket_starts(bucket, window)
        .into_iter()
        .map(|b| DeployBucket {
            bucket: b,
            fine: 0,
            failed: 0,
            lead_time_median: None,
            change_failure_rate: None,
            restore_median: None,
        })
        .collect();
    // Each bucket's first second, ascending: a deploy's bucket is the last that starts
    // at or before it (a binary search, no date made or hashed per deploy).
    let starts: Vec<Secs> = buckets
        .iter()
        .map(|b| label_day(&b.bucket).map_or(Secs::MAX, |day| day * 86_400))
        .collect();
    let bucket_of = |at: Secs| bucket_index(&starts, at);
    let mut leads: Vec<Vec<Secs>> = vec![Vec::new(); buckets.len()];
    for d in deploys
        .iter()
        .filter(|d| d.reached_production || d.caused_incident)
    {
        if let Some(n) = bucket_of(d.at) {
            if d.caused_incident {
                buckets[n].failed += 1;
            } else {
                buckets[n].fine += 1;
            }
            if let Some(lead) = lead_time(d) {
                leads[n].push(lead);
            }
        }
    }
    let mut restores: Vec<Vec<Secs>> = vec![Vec::new(); buckets.len()];
    for i in &caused {
        if let (Some(n), Some(mitigated)) = (bucket_of(i.start), i.mitigated) {
            restores[n].push(Ord::max(mitigated - i.start, 0));
        }
    }
    for ((b, leads), restores) in buckets.iter_mut().zip(leads).zip(restores) {
        b.lead_time_median = duration_stats(leads).median;
        b.restore_median = duration_stats(restores).median;
        let deploys = b.fine + b.failed;
        b.change_failure_rate = (deploys > 0).then(|| b.failed as f64 / deploys as f64);
    }
    Ok(DeliveryReport {
        window,
        delivery: delivery(window, &deploys, &caused),
        buckets,
    })
}

/// The bucket of `at` among buckets starting at `starts` (ascending): the last one that
/// starts at or before it; `None` before the first.
fn bucket_index(starts: &[Secs], at: Secs) -> Option<usize> {
    starts.partition_point(|&start| start <= at).checked_sub(1)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::scan::bucket_day;

    #[test]
    fn a_moment_falls_in_the_last_bucket_started_by_then() {
        let starts = [100, 200, 300];
        assert_eq!(bucket_index(&starts, 99), None);
        assert_eq!(bucket_index(&starts, 100), Some(0));
        assert_eq!(bucket_index(&starts, 199), Some(0));
        assert_eq!(bucket_index(&starts, 200), Some(1));
        assert_eq!(bucket_index(&starts, 10_000), Some(2));
        assert_eq!(bucket_index(&[], 100), None);
    }

    #[test]
    fn a_label_is_found_by_the_first_day_of_its_bucket() {
        assert_eq!(label_day("1970-01-01"), Some(0));
        assert_eq!(label_day("not a day"), None);
        // 2026-12-03 is a Thursday: its week starts on Monday 2026-11-30.
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
            .and_then(|d| d.and_hms_opt(15, 0, 0))
            .map(|t| t.and_utc().timestamp())
            .unwrap_or_default();
        assert_eq!(label_day("2026-11-30"), Some(bucket_day(Bucket::Week, at)));
        assert_eq!(label_day("2026-12-01"), Some(bucket_day(Bucket::Month, at)));
        assert_ne!(label_day("2026-12-01"), Some(bucket_day(Bucket::Week, at)));
    }
}
