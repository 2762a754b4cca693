//! The reports' one read of the incident history, summarised in Rust by `formulas`.
//!
//! [`History::load`] reads every incident whose impact overlaps a span or whose
//! declaration falls in it, once, from the integer epoch columns the database keeps on
//! write (migrations 19 and 20). The database packs the rows into binary values of about
//! 4,096 incidents each (`pack`: nine integers a row, `id, severity, service, declared,
//! start, detected, acknowledged, mitigated, resolved`), so a few values cross instead of
//! 100,000 rows, nothing is formatted as text and parsed back, and no value of the whole
//! history is held at once.
//!
//! Everything a page shows (per service, overall, per month, counts per week, downtime
//! spans, the incidents that spent a budget) is then `formulas` over those rows, so the
//! numbers are the reference implementation's by construction; integration tests check
//! the read itself against the entities.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use futures_util::TryStreamExt;
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, StreamTrait};

mod blocks;
mod rows;
mod sql;

pub use blocks::BLOCK;

use super::SeverityLevel;
use super::formulas::{self, DurationStats, IncidentTimes, Reliability, Secs, Span};
use super::report::Bucket;
use crate::db::Writer;
use crate::error::AppError;
use rows::{Links, Rows};
use sql::{
    Extent, PIECE, Packed, Piece, Planned, extent, grouped_statement, links_statement,
    packed_statement, pieces, planned_statement,
};

/// One incident as the reports read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    pub id: i64,
    pub severity_id: i64,
    /// Declaration, in epoch seconds.
    pub declared: Secs,
    pub times: IncidentTimes,
}

/// What the severity filters need, from what the caller has already read.
#[derive(Debug, Default, Clone)]
pub struct Thresholds {
    /// Severity id and position (1 is the most severe): a handful, looked up for every
    /// incident of every pass, where a scan of a few pairs beats hashing.
    positions: Vec<(i64, i32)>,
    /// Each service's own failure threshold (a severity position), when it has one.
    rules: HashMap<i64, Option<i32>>,
}

impl Thresholds {
    /// The severity scale, and (service id, failure threshold) of the services whose
    /// own rule applies.
    pub fn new(
        severities: &[SeverityLevel],
        rules: impl IntoIterator<Item = (i64, Option<i32>)>,
    ) -> Self {
        Self {
            positions: severities.iter().map(|s| (s.id, s.position)).collect(),
            rules: rules.into_iter().collect(),
        }
    }
}

/// The incidents touching a span, with what the severity filters need.
#[derive(Debug, Default)]
pub struct History {
    /// What was read: incidents overlapping it or declared in it.
    pub span: Span,
    pub incidents: Vec<Scanned>,
    /// Indexes into `incidents` per affected service.
    by_service: HashMap<i64, Vec<u32>>,
    /// Maintenance that counts against the SLOs, per service it touched: downtime, but
    /// no failure (whatever the severity filter).
    planned: HashMap<i64, Vec<Span>>,
    thresholds: Thresholds,
}

/// A position no severity reaches: "every severity counts".
const ANY: i32 = i32::MAX;

/// Calendar bucket (UTC) of `secs`: the Monday of its week or the first of its month.
#[cfg(test)]
pub(crate) fn bucket_of(bucket: Bucket, secs: Secs) -> String {
    day_label(bucket_day(bucket, secs))
}

/// The first day of `secs`' bucket, in days since 1970-01-01: a number to count by, so a
/// report formats each bucket's label once rather than once per incident.
pub(crate) fn bucket_day(bucket: Bucket, secs: Secs) -> i64 {
    let day = secs.div_euclid(86_400);
    match bucket {
        // 1970-01-01 was a Thursday, three days after a Monday.
        Bucket::Week => day - (day + 3).rem_euclid(7),
        Bucket::Month => {
            let date = DateTime::<Utc>::from_timestamp(secs, 0)
                .unwrap_or_default()
                .date_naive();
            day - i64::from(date.day0())
        }
    }
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
fn day_label(day: i64) -> String {
    DateTime::<Utc>::from_timestamp(day * 86_400, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

impl History {
    /// Reads the incidents that touch `span` (all services, or only `service`'s): from
    /// the kept blocks when the span covers much of the history (a pass over every
    /// block, most of them packed already), else a piece at a time.
    pub async fn load(
        db: &(impl StreamTrait + Writer),
        span: Span,
        service: Option<i64>,
        thresholds: Thresholds,
    ) -> Result<Self, AppError> {
        let extent = match service {
            Some(_) => None,
            None => extent(db).await?,
        };
        if extent.as_ref().is_some_and(|e| e.is_mostly(span)) {
            let mut rows = Rows::default();
            blocks::read(db, span, &mut rows).await?;
            return Self::read(db, span, service, thresholds, rows).await;
        }
        Self::read_pieces(db, span, service, thresholds, PIECE, extent).await
    }

    /// [`Self::load`] without the kept blocks, with pieces of about `size` incidents
    /// (tests read in small ones, and compare with the blocks).
    pub async fn load_in_pieces(
        db: &(impl ConnectionTrait + StreamTrait),
        span: Span,
        service: Option<i64>,
        thresholds: Thresholds,
        size: i64,
    ) -> Result<Self, AppError> {
        let extent = match service {
            Some(_) => None,
            None => extent(db).await?,
        };
        Self::read_pieces(db, span, service, thresholds, size, extent).await
    }

    /// [`Self::load_in_pieces`] with the history's `extent` already read (all services).
    async fn read_pieces(
        db: &(impl ConnectionTrait + StreamTrait),
        span: Span,
        service: Option<i64>,
        thresholds: Thresholds,
        size: i64,
        extent: Option<Extent>,
    ) -> Result<Self, AppError> {
        let backend = ConnectionTrait::get_database_backend(db);
        let mut rows = Rows::default();
        if backend == DatabaseBackend::Postgres {
            let mut packed = Packed::find_by_statement(grouped_statement(span, service, size))
                .stream(db)
                .await?;
            while let Some(block) = packed.try_next().await? {
                if let Some(text) = block.packed {
                    rows.add(&text)?;
                }
            }
        } else {
            for piece in pieces(span, service, extent.as_ref(), size) {
                let statement = packed_statement(backend, span, service, piece);
                if let Some(text) = Packed::find_by_statement(statement)
                    .one(db)
                    .await?
                    .and_then(|p| p.packed)
                {
                    rows.add(&text)?;
                    if let Piece::Ids { from, to } = piece
                        && let Some(links) =
                            Packed::find_by_statement(links_statement(backend, from, to))
                                .one(db)
                                .await?
                                .and_then(|p| p.packed)
                    {
                        rows.add_links(&links)?;
                    }
                }
            }
        }
        Self::read(db, span, service, thresholds, rows).await
    }

    /// The history of the `rows` read, with the maintenance that counts against SLOs.
    async fn read(
        db: &impl ConnectionTrait,
        span: Span,
        service: Option<i64>,
        thresholds: Thresholds,
        rows: Rows,
    ) -> Result<Self, AppError> {
        let backend = db.get_database_backend();
        let mut history = Self::new(span, rows.incidents, rows.links, thresholds);
        for window in Planned::find_by_statement(planned_statement(backend, span, service))
            .all(db)
            .await?
        {
            let end = formulas::planned_end(window.ends_at, window.completed_at);
            history
                .planned
                .entry(window.service_id)
                .or_default()
                .push(Span {
                    start: window.starts_at.timestamp(),
                    end: end.timestamp(),
                });
        }
        Ok(history)
    }

    /// Indexes `incidents` by the services their `links` name.
    fn new(span: Span, incidents: Vec<Scanned>, links: Links, thresholds: Thresholds) -> Self {
        let mut by_service: HashMap<i64, Vec<u32>> = HashMap::new();
        for (service, slot) in links {
            by_service.entry(service).or_default().push(slot);
        }
        Self {
            span,
            incidents,
            by_service,
            planned: HashMap::new(),
            thresholds,
        }
    }

    fn position(&self, incident: &Scanned) -> i32 {
        self.thresholds
            .positions
            .iter()
            .find(|(id, _)| *id == incident.severity_id)
            .map_or(ANY, |(_, position)| *position)
    }

    /// The incidents at `threshold` or more severe (all of them for `None`).
    fn at_least<'a>(
        &'a self,
        incidents: impl Iterator<Item = &'a Scanned> + 'a,
        threshold: Option<i32>,
    ) -> impl Iterator<Item = &'a Scanned> + 'a {
        let max = threshold.unwrap_or(ANY);
        incidents.filter(move |i| self.position(i) <= max)
    }

    fn of_service(&self, service: i64) -> impl Iterator<Item = &Scanned> {
        self.by_service
            .get(&service)
            .into_iter()
            .flatten()
            .map(|slot| &self.incidents[*slot as usize])
    }

    /// A service's threshold: the query's, else the service's own rule.
    fn threshold(&self, service: i64, max_severity: Option<i32>) -> Option<i32> {
        max_severity.or(self.thresholds.rules.get(&service).copied().flatten())
    }

    /// The failures that count for `service` (see [`Self::threshold`]).
    fn service_times(&self, service: i64, max_severity: Option<i32>) -> Vec<IncidentTimes> {
        self.at_least(
            self.of_service(service),
            self.threshold(service, max_severity),
        )
        .map(|i| i.times)
        .collect()
    }

    fn check(&self, window: Span) {
        debug_assert!(
            window.start >= self.span.start && window.end <= self.span.end,
            "{window:?} outside the read {:?}",
            self.span
        );
    }

    /// A service's maintenance that counts against its SLO.
    fn planned(&self, service: i64) -> &[Span] {
        self.planned.get(&service).map_or(&[], Vec::as_slice)
    }

    /// Reliability of every service that has an incident (or counted maintenance)
    /// touching `window`.
    pub fn by_service(&self, window: Span, max_severity: Option<i32>) -> HashMap<i64, Reliability> {
        self.check(window);
        self.by_service
            .keys()
            .chain(self.planned.keys())
            .map(|&service| (service, self.service(service, window, max_severity)))
            .collect()
    }

    /// One service's reliability over `window`.
    pub fn service(&self, service: i64, window: Span, max_severity: Option<i32>) -> Reliability {
        self.check(window);
        formulas::reliability_with_planned(
            &self.service_times(service, max_severity),
            self.planned(service),
            window,
        )
    }

    /// The whole estate's reliability: every incident once, whatever it affected, and
    /// every counted maintenance window.
    pub fn overall(&self, window: Span, max_severity: Option<i32>) -> Reliability {
        self.check(window);
        let times: Vec<IncidentTimes> = self
            .at_least(self.incidents.iter(), max_severity)
            .map(|i| i.times)
            .collect();
        let planned: Vec<Span> = self.planned.values().flatten().copied().collect();
        formulas::reliability_with_planned(&times, &planned, window)
    }

    /// Restore-time statistics per calendar month (UTC, `YYYY-MM-01`) of the impact
    /// start, for failures that started in `window`; one service's or everyone's.
    pub fn monthly_restore(
        &self,
        service: Option<i64>,
        window: Span,
        max_severity: Option<i32>,
    ) -> HashMap<String, DurationStats> {
        self.check(window);
        let chosen: Box<dyn Iterator<Item = &Scanned>> = match service {
            Some(id) => {
                Box::new(self.at_least(self.of_service(id), self.threshold(id, max_severity)))
            }
            None => Box::new(self.at_least(self.incidents.iter(), max_severity)),
        };
        let mut months: HashMap<i64, Vec<Secs>> = HashMap::new();
        for i in chosen {
            let t = i.times;
            if t.start >= window.start && t.start < window.end {
                let durations = months
                    .entry(bucket_day(Bucket::Month, t.start))
                    .or_default();
                if let Some(mitigated) = t.mitigated {
                    durations.push(mitigated - t.start);
                }
            }
        }
        months
            .into_iter()
            .map(|(month, durations)| (day_label(month), formulas::duration_stats(durations)))
            .collect()
    }

    /// A service's merged downtime inside `window`, in time order, by its own rule.
    pub fn downtime_spans(&self, service: i64, window: Span) -> Vec<Span> {
        self.check(window);
        formulas::downtime_spans(
            &self.service_times(service, None),
            self.planned(service),
            window,
        )
    }

    /// The incidents counting against `service` (its own rule) whose impact overlaps
    /// `window`: (incident id, impact start, mitigation), earliest first.
    pub fn impacts(&self, service: i64, window: Span) -> Vec<(i64, Secs, Option<Secs>)> {
        self.check(window);
        let mut out: Vec<(i64, Secs, Option<Secs>)> = self
            .at_least(self.of_service(service), self.threshold(service, None))
            .filter(|i| {
                i.times.start < window.end && i.times.mitigated.is_none_or(|m| m > window.start)
            })
            .map(|i| (i.id, i.times.start, i.times.mitigated))
            .collect();
        out.sort_by_key(|&(id, start, _)| (start, id));
        out
    }

    /// Incidents declared in `window`, counted per calendar bucket (UTC) and severity id,
    /// in bucket then severity order.
    pub fn counts_by_bucket(&self, bucket: Bucket, window: Span) -> Vec<(String, i64, i64)> {
        self.check(window);
        let mut counts: HashMap<(i64, i64), i64> = HashMap::new();
        for i in &self.incidents {
            if i.declared >= window.start && i.declared < window.end {
                *counts
                    .entry((bucket_day(bucket, i.declared), i.severity_id))
                    .or_default() += 1;
            }
        }
        let mut out: Vec<(i64, i64, i64)> =
            counts.into_iter().map(|((b, s), n)| (b, s, n)).collect();
        out.sort_unstable();
        out.into_iter()
            .map(|(b, s, n)| (day_label(b), s, n))
            .collect()
    }
}

#[cfg(test)]
mod tests;
