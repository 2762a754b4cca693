//! The reports pages ask for: a service's reliability and SLO, the services table, and
//! the dashboard. Each reads the history once (`scan::History`) over the report window
//! and the SLO windows together; numbers, budgets and burn-downs come from `formulas`.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, StreamTrait};

use super::formulas::{self, Reliability, Secs, Span, error_budget};
use super::report::Bucket;
use super::scan::{History, Thresholds};
use super::{
    BucketCounts, BudgetAlert, BudgetReport, BudgetSpender, Dashboard, ReportQuery, ServiceReport,
    ServiceRow, SeverityLevel,
};
use crate::catalog::{Slo, service as catalog};
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::entities::{incident, severity};

const DAY: Secs = 86_400;
/// How many SLO burn-downs the dashboard draws.
pub const BURN_DOWNS: usize = 6;
/// How many services the dashboard's downtime ranking lists (the CSV has them all).
pub const RANKING_ROWS: usize = 50;

/// The severity scale, most severe first.
pub async fn severity_levels(db: &impl ConnectionTrait) -> Result<Vec<SeverityLevel>, AppError> {
    let level = |s: severity::Model| SeverityLevel {
        id: s.id,
        name: s.name,
        position: s.position,
    };
    Ok(crate::db::listed::<severity::Entity, _>(db, severity::Column::Position, level).await?)
}

fn slo_window(slo: &Slo, now: Secs) -> Span {
    Span {
        start: now - i64::from(slo.window_days) * DAY,
        end: now,
    }
}

/// A service's error budget over its SLO window ending `now`, and the incidents that
/// spent it. Uses the service's own failure threshold; `history` covers the SLO window.
pub async fn budget_report(
    db: &impl ConnectionTrait,
    history: &History,
    severities: &[SeverityLevel],
    service_id: i64,
    slo: Slo,
    now: Secs,
) -> Result<BudgetReport, AppError> {
    let window = slo_window(&slo, now);
    let spans = history.downtime_spans(service_id, window);
    let budget = error_budget(slo.target_ppm, window, &spans);
    let impacts = history.impacts(service_id, window);
    let ids: Vec<i64> = impacts.iter().map(|(id, _, _)| *id).collect();
    let incidents: HashMap<i64, incident::Model> = incident::Entity::find()
        .filter(incident::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let names: HashMap<i64, &str> = severities.iter().map(|s| (s.id, s.name.as_str())).collect();
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
                severity: names
                    .get(&i.severity_id)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
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

/// The smallest span covering `window` and every SLO window (ending `now`) of `slos`:
/// what a report reads once.
fn reading_span(window: Span, slos: impl IntoIterator<Item = Slo>, now: Secs) -> Span {
    slos.into_iter()
        .map(|slo| slo_window(&slo, now))
        .fold(window, |a, b| Span {
            start: a.start.min(b.start),
            end: a.end.max(b.end),
        })
}

/// Restore-time statistics per month of impact start (oldest first), every month of
/// the window listed.
fn monthly_restore(
    history: &History,
    service: Option<i64>,
    window: Span,
    max_severity: Option<i32>,
) -> Vec<(String, formulas::DurationStats)> {
    let mut by_month = history.monthly_restore(service, window, max_severity);
    let mut months: Vec<(String, formulas::DurationStats)> = month_starts(window)
        .into_iter()
        .map(|m| {
            let stats = by_month.remove(&m).unwrap_or_default();
            (m, stats)
        })
        .collect();
    months.dedup_by(|a, b| a.0 == b.0);
    months
}

/// Everything the service page shows, for `query`'s window.
pub async fn service_report(
    db: &(impl StreamTrait + Writer),
    slug: &str,
    query: ReportQuery,
    now: Secs,
) -> Result<ServiceReport, AppError> {
    let service = catalog::get_service(db, slug).await?;
    let window = query.span(now);
    let max_severity = query.max_severity.or(service.failure_severity_position);
    let severities = severity_levels(db).await?;
    let thresholds = Thresholds::new(
        &severities,
        [(service.id, service.failure_severity_position)],
    );
    let span = reading_span(window, service.slo, now);
    let history = History::load(db, span, Some(service.id), thresholds).await?;
    let reliability = history.service(service.id, window, query.max_severity);
    let budget = match service.slo {
        Some(slo) => Some(budget_report(db, &history, &severities, service.id, slo, now).await?),
        None => None,
    };
    let monthly_restore = monthly_restore(&history, Some(service.id), window, query.max_severity);
    let delivery =
        super::deploys::delivery_report(db, Some(service.id), window, query.bucket).await?;
    let strip = super::deploys::change_strip(db, service.id, window).await?;
    Ok(ServiceReport {
        delivery,
        strip,
        problems: Vec::new(),
        severities,
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

/// One row per service (archived ones included) with its numbers over `window`,
/// from one read covering the window and every SLO window.
async fn service_rows(
    db: &(impl StreamTrait + Writer),
    severities: &[SeverityLevel],
    window: Span,
    max_severity: Option<i32>,
    now: Secs,
) -> Result<(Vec<ServiceRow>, History), AppError> {
    let services = catalog::list_catalog(db).await?;
    let span = reading_span(window, services.iter().filter_map(|s| s.slo), now);
    let thresholds = Thresholds::new(
        severities,
        services.iter().map(|s| (s.id, s.failure_severity_position)),
    );
    let history = History::load(db, span, None, thresholds).await?;
    let mut numbers = history.by_service(window, max_severity);
    let rows = services
        .into_iter()
        .map(|s| {
            let budget_remaining = s.slo.map(|slo| {
                let own = history.downtime_spans(s.id, slo_window(&slo, now));
                error_budget(slo.target_ppm, slo_window(&slo, now), &own).remaining_fraction
            });
            ServiceRow {
                reliability: numbers.remove(&s.id).unwrap_or_else(|| empty(window)),
                budget_remaining,
                tier: s.tier,
                archived: s.archived,
                slo: s.slo,
                service: s.as_ref(),
            }
        })
        .collect();
    Ok((rows, history))
}

/// The services page: every service with its numbers over `query`'s window.
pub async fn services_table(
    db: &(impl StreamTrait + Writer),
    query: ReportQuery,
    now: Secs,
) -> Result<Vec<ServiceRow>, AppError> {
    let severities = severity_levels(db).await?;
    let span = query.span(now);
    Ok(service_rows(db, &severities, span, query.max_severity, now)
        .await?
        .0)
}

/// The services (not archived) whose error budget needs attention now: exhausted
/// first, then the fastest burning. One read of the history over the longest SLO window.
pub async fn budget_alerts(
    db: &(impl StreamTrait + Writer),
    now: Secs,
    severities: &[SeverityLevel],
) -> Result<Vec<BudgetAlert>, AppError> {
    let services: Vec<_> = catalog::list_catalog(db)
        .await?
        .into_iter()
        .filter(|s| !s.archived && s.slo.is_some())
        .collect();
    let Some(longest) = services
        .iter()
        .filter_map(|s| s.slo)
        .max_by_key(|slo| slo.window_days)
    else {
        return Ok(Vec::new());
    };
    let thresholds = Thresholds::new(
        severities,
        services.iter().map(|s| (s.id, s.failure_severity_position)),
    );
    let history = History::load(db, slo_window(&longest, now), None, thresholds).await?;
    let mut alerts: Vec<BudgetAlert> = services
        .into_iter()
        .filter_map(|s| {
            let slo = s.slo?;
            let window = slo_window(&slo, now);
            let budget = error_budget(
                slo.target_ppm,
                window,
                &history.downtime_spans(s.id, window),
            );
            budget.needs_attention().then(|| BudgetAlert {
                exhausted: budget.is_exhausted(),
                remaining_fraction: budget.remaining_fraction,
                burn_rate: budget.burn_rate,
                exhausted_at: budget.exhausted_at,
                slo,
                service: s.as_ref(),
            })
        })
        .collect();
    alerts.sort_by(|a, b| {
        b.exhausted
            .cmp(&a.exhausted)
            .then(b.burn_rate.total_cmp(&a.burn_rate))
            .then(a.remaining_fraction.total_cmp(&b.remaining_fraction))
    });
    Ok(alerts)
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
    db: &(impl StreamTrait + Writer),
    query: ReportQuery,
    now: Secs,
) -> Result<Dashboard, AppError> {
    let window = query.span(now);
    let severities = severity_levels(db).await?;
    let (rows, history) = service_rows(db, &severities, window, query.max_severity, now).await?;
    let overall = history.overall(window, query.max_severity);

    let mut counted: HashMap<String, Vec<i64>> = HashMap::new();
    for (bucket, severity_id, n) in history.counts_by_bucket(query.bucket, window) {
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
                budget_report(db, &history, &severities, row.service.id, slo, now).await?,
            ));
        }
    }

    ranking.truncate(RANKING_ROWS);
    let delivery = super::deploys::delivery_report(db, None, window, query.bucket).await?;
    Ok(Dashboard {
        delivery,
        problems: Vec::new(),
        monthly_restore: monthly_restore(&history, None, window, query.max_severity),
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
    db: &(impl StreamTrait + Writer),
    query: ReportQuery,
    now: Secs,
) -> Result<Vec<ServiceRow>, AppError> {
    let severities = severity_levels(db).await?;
    let span = query.span(now);
    let (mut rows, _) = service_rows(db, &severities, span, query.max_severity, now).await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.reliability.downtime));
    Ok(rows)
}

/// Now, in epoch seconds.
pub fn now() -> Secs {
    Utc::now().timestamp()
}
