//! The reports pages ask for: a service's reliability and SLO, the services table, and
//! the dashboard. Numbers come from `sql`; budgets and burn-downs from `formulas`.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::formulas::{self, Reliability, Secs, Span, error_budget};
use super::report::Bucket;
use super::sql::{self, Scope};
use super::{
    BucketCounts, BudgetReport, BudgetSpender, Dashboard, ReportQuery, ServiceReport, ServiceRow,
    SeverityLevel,
};
use crate::catalog::{ServiceDetail, Slo, service as catalog};
use crate::error::AppError;
use crate::incidents::entities::{incident, severity};

const DAY: Secs = 86_400;
/// How many SLO burn-downs the dashboard draws.
pub const BURN_DOWNS: usize = 6;
/// How many services the dashboard's downtime ranking lists (the CSV has them all).
pub const RANKING_ROWS: usize = 50;

/// The severity scale, most severe first.
pub async fn severity_levels(db: &impl ConnectionTrait) -> Result<Vec<SeverityLevel>, AppError> {
    Ok(severity::Entity::find()
        .order_by_asc(severity::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|s| SeverityLevel {
            id: s.id,
            name: s.name,
            position: s.position,
        })
        .collect())
}

fn slo_window(slo: &Slo, now: Secs) -> Span {
    Span {
        start: now - i64::from(slo.window_days) * DAY,
        end: now,
    }
}

/// A service's error budget over its SLO window ending `now`, and the incidents that
/// spent it. Uses the service's own failure threshold.
pub async fn budget_report(
    db: &impl ConnectionTrait,
    service_id: i64,
    slo: Slo,
    now: Secs,
) -> Result<BudgetReport, AppError> {
    let window = slo_window(&slo, now);
    let spans = sql::downtime_spans(db, &Scope::Services, Some(service_id), window, None)
        .await?
        .remove(&service_id.to_string())
        .unwrap_or_default();
    let budget = error_budget(slo.target_ppm, window, &spans);
    let impacts = sql::impacts(db, service_id, window, None).await?;
    let ids: Vec<i64> = impacts.iter().map(|(id, _, _)| *id).collect();
    let incidents: HashMap<i64, incident::Model> = incident::Entity::find()
        .filter(incident::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let names: HashMap<i64, String> = severity_levels(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut spenders: Vec<BudgetSpender> = impacts
        .into_iter()
        .filter_map(|(id, start, end)| {
            let i = incidents.get(&id)?;
            let impact = Span {
                start: start.max(window.start),
                end: end.unwrap_or(now).min(window.end),
            }
            .len();
            Some(BudgetSpender {
                reference: format!("INC-{id}"),
                title: i.title.clone(),
                severity: names.get(&i.severity_id).cloned().unwrap_or_default(),
                impact,
                impact_started_at: start,
            })
        })
        .filter(|s| s.impact > 0)
        .collect();
    spenders.sort_by_key(|s| std::cmp::Reverse(s.impact));
    Ok(BudgetReport {
        slo,
        budget,
        spenders,
    })
}

/// Restore-time statistics per month of impact start (oldest first).
async fn monthly_restore(
    db: &impl ConnectionTrait,
    service: Option<i64>,
    window: Span,
    max_severity: Option<i32>,
) -> Result<Vec<(String, formulas::DurationStats)>, AppError> {
    let by_month = sql::reliability(db, &Scope::Months, service, window, max_severity).await?;
    let mut months: Vec<(String, formulas::DurationStats)> = month_starts(window)
        .into_iter()
        .map(|m| {
            let stats = by_month.get(&m).map(|r| r.restore).unwrap_or_default();
            (m, stats)
        })
        .collect();
    months.dedup_by(|a, b| a.0 == b.0);
    Ok(months)
}

/// Everything the service page shows, for `query`'s window.
pub async fn service_report(
    db: &impl ConnectionTrait,
    slug: &str,
    query: ReportQuery,
    now: Secs,
) -> Result<ServiceReport, AppError> {
    let service = catalog::get_service(db, slug).await?;
    let window = query.span(now);
    let max_severity = query.max_severity.or(service.failure_severity_position);
    let reliability = sql::reliability(
        db,
        &Scope::Services,
        Some(service.id),
        window,
        query.max_severity,
    )
    .await?
    .remove(&service.id.to_string())
    .unwrap_or_else(|| empty(window));
    let budget = match service.slo {
        Some(slo) => Some(budget_report(db, service.id, slo, now).await?),
        None => None,
    };
    let monthly_restore = monthly_restore(db, Some(service.id), window, query.max_severity).await?;
    Ok(ServiceReport {
        problems: Vec::new(),
        severities: severity_levels(db).await?,
        service,
        query,
        window,
        max_severity,
        reliability,
        budget,
        monthly_restore,
    })
}

fn empty(window: Span) -> Reliability {
    Reliability {
        window,
        ..Default::default()
    }
}

/// The remaining budget fraction of every SLO service, from one spans query over the
/// longest SLO window.
async fn budgets_remaining(
    db: &impl ConnectionTrait,
    services: &[ServiceDetail],
    now: Secs,
) -> Result<HashMap<i64, formulas::ErrorBudget>, AppError> {
    let longest = services
        .iter()
        .filter_map(|s| s.slo.map(|slo| slo.window_days))
        .max();
    let Some(days) = longest else {
        return Ok(HashMap::new());
    };
    let window = Span {
        start: now - i64::from(days) * DAY,
        end: now,
    };
    let mut spans = sql::downtime_spans(db, &Scope::Services, None, window, None).await?;
    Ok(services
        .iter()
        .filter_map(|s| {
            let slo = s.slo?;
            let own = spans.remove(&s.id.to_string()).unwrap_or_default();
            Some((
                s.id,
                error_budget(slo.target_ppm, slo_window(&slo, now), &own),
            ))
        })
        .collect())
}

/// One row per service (archived ones included) with its numbers over `window`.
async fn service_rows(
    db: &impl ConnectionTrait,
    window: Span,
    max_severity: Option<i32>,
    now: Secs,
) -> Result<Vec<ServiceRow>, AppError> {
    let services = catalog::list_catalog(db).await?;
    let mut numbers = sql::reliability(db, &Scope::Services, None, window, max_severity).await?;
    let budgets = budgets_remaining(db, &services, now).await?;
    Ok(services
        .into_iter()
        .map(|s| ServiceRow {
            reliability: numbers
                .remove(&s.id.to_string())
                .unwrap_or_else(|| empty(window)),
            budget_remaining: budgets.get(&s.id).map(|b| b.remaining_fraction),
            tier: s.tier,
            archived: s.archived,
            slo: s.slo,
            service: s.as_ref(),
        })
        .collect())
}

/// The services page: every service with its numbers over `query`'s window.
pub async fn services_table(
    db: &impl ConnectionTrait,
    query: ReportQuery,
    now: Secs,
) -> Result<Vec<ServiceRow>, AppError> {
    service_rows(db, query.span(now), query.max_severity, now).await
}

/// The first day (UTC) of each week or month that overlaps `window`.
pub fn bucket_starts(bucket: Bucket, window: Span) -> Vec<String> {
    match bucket {
        Bucket::Month => month_starts(window),
        Bucket::Week => {
            let Some(first) = date_of(window.start) else {
                return Vec::new();
            };
            let mut day = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
            let mut out = Vec::new();
            while let Some(end) = date_of(window.end - 1) {
                if day > end {
                    break;
                }
                out.push(day.format("%Y-%m-%d").to_string());
                day += Duration::days(7);
            }
            out
        }
    }
}

fn date_of(secs: Secs) -> Option<NaiveDate> {
    chrono::DateTime::<Utc>::from_timestamp(secs, 0).map(|t| t.date_naive())
}

fn month_starts(window: Span) -> Vec<String> {
    let (Some(first), Some(last)) = (date_of(window.start), date_of(window.end - 1)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut y, mut m) = (first.year(), first.month());
    while (y, m) <= (last.year(), last.month()) {
        out.push(format!("{y:04}-{m:02}-01"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// The managers' dashboard for `query`.
pub async fn dashboard(
    db: &impl ConnectionTrait,
    query: ReportQuery,
    now: Secs,
) -> Result<Dashboard, AppError> {
    let window = query.span(now);
    let severities = severity_levels(db).await?;
    let overall = sql::reliability(db, &Scope::Overall, None, window, query.max_severity)
        .await?
        .remove("all")
        .unwrap_or_else(|| empty(window));

    let mut counted: HashMap<String, Vec<i64>> = HashMap::new();
    for (bucket, severity_id, n) in sql::counts_by_bucket(db, query.bucket, window).await? {
        if let Some(idx) = severities.iter().position(|s| s.id == severity_id) {
            counted
                .entry(bucket)
                .or_insert_with(|| vec![0; severities.len()])[idx] += n;
        }
    }
    let counts = bucket_starts(query.bucket, window)
        .into_iter()
        .map(|bucket| BucketCounts {
            counts: counted
                .remove(&bucket)
                .unwrap_or_else(|| vec![0; severities.len()]),
            bucket,
        })
        .collect();

    let rows = service_rows(db, window, query.max_severity, now).await?;
    let service_count = rows.len();
    let mut ranking: Vec<ServiceRow> = rows
        .into_iter()
        .filter(|r| r.reliability.downtime > 0 || r.reliability.failures > 0)
        .collect();
    ranking.sort_by(|a, b| {
        b.reliability
            .downtime
            .cmp(&a.reliability.downtime)
            .then_with(|| a.service.name.cmp(&b.service.name))
    });

    let mut slo_services: Vec<&ServiceRow> = ranking.iter().filter(|r| r.slo.is_some()).collect();
    slo_services.sort_by(|a, b| {
        a.budget_remaining
            .partial_cmp(&b.budget_remaining)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut burn_downs = Vec::new();
    for row in slo_services.into_iter().take(BURN_DOWNS) {
        if let Some(slo) = row.slo {
            burn_downs.push((
                row.service.clone(),
                budget_report(db, row.service.id, slo, now).await?,
            ));
        }
    }

    ranking.truncate(RANKING_ROWS);
    Ok(Dashboard {
        problems: Vec::new(),
        monthly_restore: monthly_restore(db, None, window, query.max_severity).await?,
        query,
        window,
        severities,
        overall,
        counts,
        ranking,
        service_count,
        burn_downs,
    })
}

/// Every service with its numbers, most downtime first (the dashboard's CSV).
pub async fn full_ranking(
    db: &impl ConnectionTrait,
    query: ReportQuery,
    now: Secs,
) -> Result<Vec<ServiceRow>, AppError> {
    let mut rows = service_rows(db, query.span(now), query.max_severity, now).await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.reliability.downtime));
    Ok(rows)
}

/// Now, in epoch seconds.
pub fn now() -> Secs {
    Utc::now().timestamp()
}
