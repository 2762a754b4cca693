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
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, StreamTrait, Value};

use super::SeverityLevel;
use super::formulas::{self, DurationStats, IncidentTimes, Reliability, Secs, Span};
use super::pack;
use super::report::Bucket;
use crate::error::AppError;

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
    thresholds: Thresholds,
}

/// A position no severity reaches: "every severity counts".
const ANY: i32 = i32::MAX;

#[derive(FromQueryResult)]
struct Packed {
    packed: Option<Vec<u8>>,
}

/// The nine fields of a packed row, in order.
const FIELDS: [&str; 9] = [
    "i.id",
    "i.severity_id",
    "s.service_id",
    "i.declare_secs",
    "i.start_secs",
    "i.detect_secs",
    "i.ack_secs",
    "i.mitigate_secs",
    "i.resolve_secs",
];

/// Bound values, with placeholders numbered in the order the SQL text is written.
struct Binds {
    backend: DatabaseBackend,
    values: Vec<Value>,
}

impl Binds {
    fn bind(&mut self, value: i64) -> String {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    /// Impact overlapping `span`. The prefixes are empty or SQLite's unary `+`, which
    /// keeps it off the index of that column.
    fn overlaps(&mut self, span: Span, start_prefix: &str, mitigate_prefix: &str) -> String {
        let end = self.bind(span.end);
        let start = self.bind(span.start);
        let m = format!("{mitigate_prefix}i.mitigate_secs");
        format!("{start_prefix}i.start_secs < {end} AND ({m} IS NULL OR {m} > {start})")
    }
}

/// About how many incidents one statement packs: the text stays well under a megabyte,
/// so no thread's allocator keeps a large buffer (each SQLite connection has a thread of
/// its own, and glibc a heap per thread: one 9 MB text per report grew the server by
/// 25 MB per connection).
const PIECE: i64 = 4_096;

/// One statement's share of the incidents touching a span. The pieces of a read are
/// disjoint, so each incident is read by exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// One pass over the ids `[from, to)`: when the span covers much of the history,
    /// looking every row up through an index costs several times a plain scan.
    Ids { from: i64, to: i64 },
    /// Not mitigated, impact started before the end.
    Open,
    /// Mitigated in `(from, to]` (no end: any time after `from`), impact started before
    /// the span's end: a range of the report index (mitigation first, migration 20),
    /// which covers every column read. (PostgreSQL reads the three parts in one
    /// statement: [`grouped_statement`].)
    Mitigated { from: Secs, to: Option<Secs> },
    /// Declared inside, impact entirely outside (declared after the fact): counted per
    /// week, never downtime.
    DeclaredOnly,
}

/// SQLite: the aggregate packing the rows of a piece, optionally without their service
/// (see [`Piece::Ids`]).
fn sqlite_pack(with_service: bool) -> String {
    let fields = FIELDS.map(|f| {
        if f == "s.service_id" && !with_service {
            "NULL"
        } else {
            f
        }
    });
    format!("{}({})", pack::FUNCTION, fields.join(", "))
}

/// PostgreSQL: one row's packed bytes.
fn postgres_row() -> String {
    FIELDS.map(pack::postgres_field).join(" || ")
}

/// The `FROM … WHERE …` of the incidents of `piece` that touch `span`, optionally only
/// those affecting `service`.
fn piece_source(q: &mut Binds, span: Span, service: Option<i64>, piece: Piece) -> String {
    let join = match (service, piece) {
        (Some(id), _) => format!(
            "JOIN incident_services s ON s.incident_id = i.id AND s.service_id = {}",
            q.bind(id)
        ),
        // An id range reads its links in a statement of its own (`links_statement`).
        (None, Piece::Ids { .. }) => String::new(),
        (None, _) => "LEFT JOIN incident_services s ON s.incident_id = i.id".to_owned(),
    };
    // Without statistics SQLite would walk the impact-start index for `< end`, which
    // for "the last N days" is every incident; `+` keeps a column off its indexes.
    let plus = if q.backend == DatabaseBackend::Postgres {
        ""
    } else {
        "+"
    };
    let condition = match piece {
        Piece::Ids { from, to } => {
            let (from, to) = (q.bind(from), q.bind(to));
            let overlaps = q.overlaps(span, "+", "+");
            let start = q.bind(span.start);
            let end = q.bind(span.end);
            format!(
                "i.id >= {from} AND i.id < {to} AND +i.merged_into_id IS NULL AND ({overlaps} OR \
                 (+i.declare_secs >= {start} AND +i.declare_secs < {end}))"
            )
        }
        Piece::Open => {
            let end = q.bind(span.end);
            format!(
                "i.merged_into_id IS NULL AND i.mitigate_secs IS NULL AND {plus}i.start_secs < {end}"
            )
        }
        Piece::Mitigated { from, to } => {
            let from = q.bind(from);
            let upper = match to {
                Some(to) => format!(" AND i.mitigate_secs <= {}", q.bind(to)),
                None => String::new(),
            };
            let end = q.bind(span.end);
            format!(
                "i.merged_into_id IS NULL AND i.mitigate_secs > {from}{upper} \
                 AND {plus}i.start_secs < {end}"
            )
        }
        Piece::DeclaredOnly => {
            let start = q.bind(span.start);
            let end = q.bind(span.end);
            let overlaps = q.overlaps(span, "", "");
            format!(
                "i.merged_into_id IS NULL AND i.declare_secs >= {start} AND i.declare_secs < {end} \
                 AND NOT ({overlaps})"
            )
        }
    };
    format!("FROM incidents i {join} WHERE {condition}")
}

/// SQLite: the statement packing the incidents of `piece` that touch `span` into one
/// value.
fn packed_statement(
    backend: DatabaseBackend,
    span: Span,
    service: Option<i64>,
    piece: Piece,
) -> Statement {
    let mut q = Binds {
        backend,
        values: Vec::new(),
    };
    let source = piece_source(&mut q, span, service, piece);
    let with_service = !matches!(piece, Piece::Ids { .. }) || service.is_some();
    let sql = format!("SELECT {} AS packed {source}", sqlite_pack(with_service));
    Statement::from_sql_and_values(backend, sql, q.values)
}

/// SQLite: the (incident, service) links of the ids `[from, to)`, packed two integers a
/// row. One pass over that range of the links' primary key: joining
/// them to each incident row looked every incident up in that key, which cost more than
/// reading both tables (0.58 s against 0.22 + 0.06 s for 100,000 incidents on the
/// sqlite3 command line). Links of incidents the piece did not read are ignored.
fn links_statement(backend: DatabaseBackend, from: i64, to: i64) -> Statement {
    let mut q = Binds {
        backend,
        values: Vec::new(),
    };
    let (from, to) = (q.bind(from), q.bind(to));
    let sql = format!(
        "SELECT {}(incident_id, service_id) AS packed FROM incident_services \
         WHERE incident_id >= {from} AND incident_id < {to}",
        pack::FUNCTION
    );
    Statement::from_sql_and_values(backend, sql, q.values)
}

/// PostgreSQL: one statement for the whole read, answering one packed value per block of
/// `size` ids. One plan serves every block (a statement per slice of time was about twice
/// as slow at 100k); the answer streams, so the client holds one block at a time.
fn grouped_statement(span: Span, service: Option<i64>, size: i64) -> Statement {
    let mut q = Binds {
        backend: DatabaseBackend::Postgres,
        values: Vec::new(),
    };
    let size = q.bind(size.max(1));
    let parts = [
        Piece::Open,
        Piece::Mitigated {
            from: span.start,
            to: None,
        },
        Piece::DeclaredOnly,
    ]
    .map(|piece| {
        let source = piece_source(&mut q, span, service, piece);
        format!(
            "SELECT {} AS r, i.id / {size} AS g {source}",
            postgres_row()
        )
    })
    .join(" UNION ALL ");
    let sql =
        format!("SELECT string_agg(r, ''::bytea) AS packed FROM ({parts}) AS touching GROUP BY g");
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, q.values)
}

#[derive(FromQueryResult)]
struct Extent {
    first: Option<i64>,
    last: Option<i64>,
    low: Option<i64>,
    high: Option<i64>,
}

/// How the history is spread: impact starts and ids, first and last (four index ends).
async fn extent(db: &impl ConnectionTrait) -> Result<Option<Extent>, AppError> {
    let extent = Extent::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT (SELECT MIN(start_secs) FROM incidents) AS first, \
         (SELECT MAX(start_secs) FROM incidents) AS last, \
         (SELECT MIN(id) FROM incidents) AS low, (SELECT MAX(id) FROM incidents) AS high",
    ))
    .one(db)
    .await?;
    Ok(extent.filter(|e| e.first.is_some() && e.low.is_some()))
}

/// SQLite: the statements that read the incidents touching `span`, each packing about
/// `size` incidents (taken as spread evenly over the history; a read of one service
/// is small and takes one statement a part).
fn pieces(span: Span, service: Option<i64>, extent: Option<&Extent>, size: i64) -> Vec<Piece> {
    let (first, last, low, high) = match extent {
        Some(e) if service.is_none() => (
            e.first.unwrap_or_default(),
            e.last.unwrap_or_default(),
            e.low.unwrap_or_default(),
            e.high.unwrap_or_default(),
        ),
        _ => {
            return vec![
                Piece::Open,
                Piece::Mitigated {
                    from: span.start,
                    to: None,
                },
                Piece::DeclaredOnly,
            ];
        }
    };
    let history = (last - first).max(1);
    let covered = span.end.min(last) - span.start.max(first);
    // A span covering more than a quarter of the history is one pass over the table.
    if covered * 4 > history {
        return (low..=high)
            .step_by(size.max(1) as usize)
            .map(|from| Piece::Ids {
                from,
                to: from + size.max(1),
            })
            .collect();
    }
    let per_second = (high - low + 1) as f64 / history as f64;
    let width = ((size as f64 / per_second) as Secs).max(86_400);
    let mut out = vec![Piece::Open];
    let mut from = span.start;
    while from + width < span.end {
        out.push(Piece::Mitigated {
            from,
            to: Some(from + width),
        });
        from += width;
    }
    out.push(Piece::Mitigated { from, to: None });
    out.push(Piece::DeclaredOnly);
    out
}

/// (service id, index into the incidents) for every affected service of every incident.
type Links = Vec<(i64, u32)>;

/// The incidents read so far, once each, and their (service, incident index) links.
#[derive(Debug, Default)]
struct Rows {
    incidents: Vec<Scanned>,
    links: Links,
    /// Where the piece being parsed starts in `incidents` (pieces are disjoint).
    piece: usize,
    /// Id to index for that piece, built only once its rows leave id order: SQLite reads
    /// a range of ids in order, where a binary search finds an incident without hashing
    /// every id; a join or PostgreSQL's grouping may not keep to it.
    seen: Option<HashMap<i64, u32>>,
}

impl Rows {
    /// The index of the incident `id` of the current piece, if it was read.
    fn slot_of(&self, id: i64) -> Option<u32> {
        match &self.seen {
            Some(seen) => seen.get(&id).copied(),
            None => self.incidents[self.piece..]
                .binary_search_by_key(&id, |i| i.id)
                .ok()
                .map(|n| (self.piece + n) as u32),
        }
    }

    /// Adds one piece's packed rows (nine fields each, `FIELDS`).
    fn add(&mut self, packed: &[u8]) -> Result<(), AppError> {
        self.piece = self.incidents.len();
        self.seen = None;
        for f in pack::rows::<9>(packed)? {
            let required = |i: usize| {
                f[i].ok_or_else(|| {
                    AppError::internal(format!("packed row {f:?}: no {}", FIELDS[i]))
                })
            };
            let id = required(0)?;
            if self.seen.is_none()
                && self.incidents[self.piece..]
                    .last()
                    .is_some_and(|last| last.id > id)
            {
                self.seen = Some(
                    (self.piece..self.incidents.len())
                        .map(|n| (self.incidents[n].id, n as u32))
                        .collect(),
                );
            }
            let slot = match self.slot_of(id) {
                Some(slot) => slot,
                None => {
                    let slot = self.incidents.len() as u32;
                    self.incidents.push(Scanned {
                        id,
                        severity_id: required(1)?,
                        declared: required(3)?,
                        times: IncidentTimes {
                            start: required(4)?,
                            detected: required(5)?,
                            acknowledged: f[6],
                            mitigated: f[7],
                            resolved: f[8],
                        },
                    });
                    if let Some(seen) = &mut self.seen {
                        seen.insert(id, slot);
                    }
                    slot
                }
            };
            if let Some(service) = f[2] {
                self.links.push((service, slot));
            }
        }
        Ok(())
    }

    /// Adds the packed (incident, service) links of the piece just parsed by `add`,
    /// keeping those of incidents it read.
    fn add_links(&mut self, packed: &[u8]) -> Result<(), AppError> {
        for [incident, service] in pack::rows::<2>(packed)? {
            let (Some(incident), Some(service)) = (incident, service) else {
                return Err(AppError::internal("a packed link without its ends"));
            };
            if let Some(slot) = self.slot_of(incident) {
                self.links.push((service, slot));
            }
        }
        Ok(())
    }
}

/// Calendar bucket (UTC) of `secs`: the Monday of its week or the first of its month.
#[cfg(test)]
fn bucket_of(bucket: Bucket, secs: Secs) -> String {
    day_label(bucket_day(bucket, secs))
}

/// The first day of `secs`' bucket, in days since 1970-01-01: a number to count by, so a
/// report formats each bucket's label once rather than once per incident.
fn bucket_day(bucket: Bucket, secs: Secs) -> i64 {
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
    /// Reads the incidents that touch `span` (all services, or only `service`'s), a
    /// piece at a time.
    pub async fn load(
        db: &(impl ConnectionTrait + StreamTrait),
        span: Span,
        service: Option<i64>,
        thresholds: Thresholds,
    ) -> Result<Self, AppError> {
        Self::load_in_pieces(db, span, service, thresholds, PIECE).await
    }

    /// [`Self::load`], with pieces of about `size` incidents (tests read in small ones).
    pub async fn load_in_pieces(
        db: &(impl ConnectionTrait + StreamTrait),
        span: Span,
        service: Option<i64>,
        thresholds: Thresholds,
        size: i64,
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
            let extent = match service {
                Some(_) => None,
                None => extent(db).await?,
            };
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
        Ok(Self::new(span, rows.incidents, rows.links, thresholds))
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

    /// Reliability of every service that has an incident touching `window`.
    pub fn by_service(&self, window: Span, max_severity: Option<i32>) -> HashMap<i64, Reliability> {
        self.check(window);
        self.by_service
            .keys()
            .map(|&service| {
                let times = self.service_times(service, max_severity);
                (service, formulas::reliability(&times, window))
            })
            .collect()
    }

    /// One service's reliability over `window`.
    pub fn service(&self, service: i64, window: Span, max_severity: Option<i32>) -> Reliability {
        self.check(window);
        formulas::reliability(&self.service_times(service, max_severity), window)
    }

    /// The whole estate's reliability: every incident once, whatever it affected.
    pub fn overall(&self, window: Span, max_severity: Option<i32>) -> Reliability {
        self.check(window);
        let times: Vec<IncidentTimes> = self
            .at_least(self.incidents.iter(), max_severity)
            .map(|i| i.times)
            .collect();
        formulas::reliability(&times, window)
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
        formulas::merge_spans(
            self.service_times(service, None)
                .into_iter()
                .map(|t| (t.start, t.mitigated)),
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
mod tests {
    use super::*;

    /// `text`'s rows (`;` between rows, `,` between fields, empty for NULL) packed as
    /// the database packs them.
    fn packed(text: &str) -> Vec<u8> {
        let rows: Vec<Vec<Option<i64>>> = text
            .split(';')
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.split(',')
                    .map(|f| (!f.is_empty()).then(|| f.parse().unwrap()))
                    .collect()
            })
            .collect();
        let rows: Vec<&[Option<i64>]> = rows.iter().map(Vec::as_slice).collect();
        pack::pack(&rows)
    }

    fn parse(text: &str) -> Result<(Vec<Scanned>, Links), AppError> {
        let mut rows = Rows::default();
        rows.add(&packed(text))?;
        Ok((rows.incidents, rows.links))
    }

    /// Rows out of id order (a join, PostgreSQL's grouping) and rows in order parse alike.
    #[test]
    fn rows_in_any_order_are_read_once_each() {
        let mut rows = Rows::default();
        rows.add(&packed(
            "8,1,11,200,200,200,,,;7,2,11,100,90,95,,120,;8,1,12,200,200,200,,,;7,2,13,100,90,95,,120,",
        ))
        .unwrap();
        assert_eq!(
            rows.incidents.iter().map(|i| i.id).collect::<Vec<_>>(),
            [8, 7]
        );
        assert_eq!(rows.links, vec![(11, 0), (11, 1), (12, 0), (13, 1)]);
        rows.add_links(&packed("7,14;8,15;9,16")).unwrap();
        assert_eq!(rows.links[4..], [(14, 1), (15, 0)]);

        rows.add(&packed(
            "10,1,,300,300,300,,,;12,1,,300,300,300,,,;12,1,,300,300,300,,,",
        ))
        .unwrap();
        assert_eq!(rows.incidents.len(), 4, "12 once");
        rows.add_links(&packed("8,11;10,17;11,18;12,19")).unwrap();
        assert_eq!(
            rows.links[6..],
            [(17, 2), (19, 3)],
            "8 belongs to the piece before, 11 was not read"
        );
    }

    #[test]
    fn pieces_append_to_what_was_read() {
        let mut rows = Rows::default();
        rows.add(&packed("7,2,11,100,90,95,,120,")).unwrap();
        rows.add(&packed("9,1,12,300,290,295,,,;9,1,11,300,290,295,,,"))
            .unwrap();
        assert_eq!(rows.incidents.len(), 2);
        assert_eq!(rows.links, vec![(11, 0), (12, 1), (11, 1)]);
    }

    fn extent(first: Secs, last: Secs, low: i64, high: i64) -> Extent {
        Extent {
            first: Some(first),
            last: Some(last),
            low: Some(low),
            high: Some(high),
        }
    }

    #[test]
    fn a_read_is_cut_into_disjoint_pieces_of_bounded_size() {
        const DAY: Secs = 86_400;
        // 100,000 incidents over 1,000 days.
        let history = extent(0, 1_000 * DAY, 1, 100_000);
        let last_year = Span {
            start: 635 * DAY,
            end: 1_000 * DAY,
        };
        // Much of the history: ranges of ids, end to end.
        let ids = pieces(last_year, None, Some(&history), PIECE);
        assert_eq!(ids.len(), 100_000usize.div_ceil(PIECE as usize));
        assert_eq!(
            ids[0],
            Piece::Ids {
                from: 1,
                to: 1 + PIECE
            }
        );
        for pair in ids.windows(2) {
            let (Piece::Ids { to, .. }, Piece::Ids { from, .. }) = (pair[0], pair[1]) else {
                panic!("{pair:?}");
            };
            assert_eq!(to, from);
        }
        // Less of it: by mitigation time, in slices of about PIECE incidents (41 days
        // here), from the span's start on, the last one open-ended.
        for span in [
            Span {
                start: 900 * DAY,
                end: 1_000 * DAY,
            },
            Span {
                start: 800 * DAY,
                end: 1_000 * DAY,
            },
        ] {
            let slices = pieces(span, None, Some(&history), PIECE);
            assert_eq!(slices[0], Piece::Open);
            assert_eq!(slices[slices.len() - 1], Piece::DeclaredOnly);
            let mitigated: Vec<(Secs, Option<Secs>)> = slices[1..slices.len() - 1]
                .iter()
                .map(|p| match p {
                    Piece::Mitigated { from, to } => (*from, *to),
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(mitigated[0].0, span.start);
            assert_eq!(mitigated.last().unwrap().1, None);
            for pair in mitigated.windows(2) {
                assert_eq!(pair[0].1, Some(pair[1].0));
                assert!(pair[0].1.unwrap() - pair[0].0 <= 41 * DAY);
            }
            assert!(mitigated.len() >= (span.len() / (41 * DAY)) as usize);
        }
        // One service's read is small: one statement a part.
        assert_eq!(pieces(last_year, Some(3), Some(&history), PIECE).len(), 3);
    }

    #[test]
    fn packed_rows_parse_once_per_incident_with_every_service() {
        let (incidents, links) =
            parse("7,2,11,100,90,95,,120,;7,2,12,100,90,95,,120,;8,1,,200,200,200,210,,").unwrap();
        assert_eq!(incidents.len(), 2);
        assert_eq!(
            incidents[0],
            Scanned {
                id: 7,
                severity_id: 2,
                declared: 100,
                times: IncidentTimes {
                    start: 90,
                    detected: 95,
                    acknowledged: None,
                    mitigated: Some(120),
                    resolved: None,
                },
            }
        );
        assert_eq!(incidents[1].times.acknowledged, Some(210));
        assert_eq!(links, vec![(11, 0), (12, 0)]);
        assert!(parse("").unwrap().0.is_empty());
    }

    #[test]
    fn links_read_apart_attach_to_the_incidents_of_their_piece_only() {
        let mut rows = Rows::default();
        rows.add(&packed("7,2,,100,90,95,,120,;8,1,,200,200,200,210,,"))
            .unwrap();
        // 9 was not read (merged, or outside the span): its link is not kept.
        rows.add_links(&packed("7,11;7,12;8,11;9,13")).unwrap();
        assert_eq!(rows.links, vec![(11, 0), (12, 0), (11, 1)]);
        rows.add(&packed("10,1,,300,300,300,,,")).unwrap();
        rows.add_links(&packed("7,14;10,12")).unwrap();
        assert_eq!(
            rows.links[3..],
            [(12, 2)],
            "links of an earlier piece are not re-attached"
        );
        assert!(rows.add_links(&packed("7")).is_err());
        assert!(rows.add_links(&packed("7,")).is_err());
        rows.add_links(&packed("")).unwrap();
    }

    #[test]
    fn unreadable_packed_rows_are_errors_not_zeros() {
        let mut rows = Rows::default();
        assert!(
            rows.add(&packed("7,2,,1,90,95,,,")[..70]).is_err(),
            "a cut row"
        );
        assert!(parse("7,2,,,90,95,,,").is_err(), "no declaration");
        assert!(parse("7,2,,1,90,95,,,,9").is_err(), "ten fields");
    }

    #[test]
    fn buckets_are_mondays_and_firsts_of_the_month() {
        // 2026-12-02 is a Wednesday.
        let t = DateTime::parse_from_rfc3339("2026-12-02T23:59:59Z")
            .unwrap()
            .timestamp();
        assert_eq!(bucket_of(Bucket::Week, t), "2026-11-30");
        assert_eq!(bucket_of(Bucket::Month, t), "2026-12-01");
        // A Monday is its own week; a Sunday's last second still belongs to the week
        // before; the first of a month and New Year's Eve keep their months.
        for (bucket, at, first) in [
            (Bucket::Week, "2026-11-30T00:00:00Z", "2026-11-30"),
            (Bucket::Week, "2026-11-29T23:59:59Z", "2026-11-23"),
            (Bucket::Month, "2026-11-01T00:00:00Z", "2026-11-01"),
            (Bucket::Month, "2025-12-31T23:59:59Z", "2025-12-01"),
            (Bucket::Week, "2026-01-01T12:00:00Z", "2025-12-29"),
        ] {
            let t = DateTime::parse_from_rfc3339(at).unwrap().timestamp();
            assert_eq!(bucket_of(bucket, t), first, "{bucket:?} of {at}");
        }
    }

    fn history(incidents: Vec<Scanned>, links: Links) -> History {
        let severity = |id: i64| SeverityLevel {
            id,
            name: format!("SEV{id}"),
            position: id as i32,
        };
        History::new(
            Span {
                start: 0,
                end: 1000,
            },
            incidents,
            links,
            Thresholds::new(
                &[severity(1), severity(2), severity(3)],
                [(10, Some(2)), (20, None)],
            ),
        )
    }

    fn scanned(id: i64, severity_id: i64, start: Secs, mitigated: Option<Secs>) -> Scanned {
        Scanned {
            id,
            severity_id,
            declared: start,
            times: IncidentTimes {
                start,
                detected: start,
                acknowledged: None,
                mitigated,
                resolved: None,
            },
        }
    }

    #[test]
    fn a_services_own_rule_applies_unless_the_query_sets_one() {
        let h = history(
            vec![
                scanned(1, 1, 100, Some(200)),
                scanned(2, 3, 300, Some(400)),
                scanned(3, 2, 500, None),
            ],
            vec![(10, 0), (10, 1), (20, 1), (20, 2)],
        );
        let window = Span {
            start: 0,
            end: 1000,
        };
        // Service 10 counts severity 2 or worse: incident 2 (severity 3) does not count.
        assert_eq!(h.service(10, window, None).failures, 1);
        assert_eq!(h.service(20, window, None).failures, 2);
        assert_eq!(h.service(20, window, Some(2)).failures, 1);
        assert_eq!(h.overall(window, None).failures, 3);
        assert_eq!(h.overall(window, Some(1)).failures, 1);
        assert_eq!(
            h.downtime_spans(20, window),
            vec![
                Span {
                    start: 300,
                    end: 400
                },
                Span {
                    start: 500,
                    end: 1000
                }
            ]
        );
        assert_eq!(
            h.impacts(
                10,
                Span {
                    start: 150,
                    end: 1000
                }
            ),
            vec![(1, 100, Some(200))]
        );
        let by = h.by_service(window, None);
        assert_eq!(by[&10].downtime, 100);
        assert_eq!(by[&20].downtime, 600);
    }
}
