//! The reliability aggregates, computed inside the database.
//!
//! Both SQLite and PostgreSQL run the same window-function SQL; only a few expressions
//! differ (epoch seconds, greatest/least, calendar buckets). Every query starts from
//! one `base` set: the incidents that touch the window, one row per key (a service, the
//! whole estate, or a calendar month), with their moments as epoch seconds. The numbers
//! must equal `formulas::reliability` on the same data; integration tests check that.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, Value};

use super::formulas::{DurationStats, Reliability, Secs, Span};
use super::report::Bucket;
use crate::error::AppError;

/// What one row of the result is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every incident once, whatever it affected (key `all`).
    Overall,
    /// One row per affected service (key: the service id).
    Services,
    /// One row per incident (key: the incident id).
    Incidents,
    /// One row per calendar month (UTC) of the impact start (key `YYYY-MM-01`).
    Months,
}

/// SQL text with its bound values, placeholders numbered as the text is written.
struct Query {
    backend: DatabaseBackend,
    sql: String,
    values: Vec<Value>,
}

impl Query {
    fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            sql: String::new(),
            values: Vec::new(),
        }
    }

    /// A placeholder for `value`.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    fn epoch(&self, expr: &str) -> String {
        match self.backend {
            DatabaseBackend::Postgres => {
                format!("CAST(ROUND(EXTRACT(EPOCH FROM {expr})) AS BIGINT)")
            }
            _ => format!("CAST(ROUND((julianday({expr}) - 2440587.5) * 86400.0) AS INTEGER)"),
        }
    }

    fn greatest(&self) -> &'static str {
        match self.backend {
            DatabaseBackend::Postgres => "GREATEST",
            _ => "MAX",
        }
    }

    fn least(&self) -> &'static str {
        match self.backend {
            DatabaseBackend::Postgres => "LEAST",
            _ => "MIN",
        }
    }

    /// The first day (`YYYY-MM-DD`, UTC) of the week (Monday) or month of `expr`.
    fn bucket(&self, bucket: Bucket, expr: &str) -> String {
        match (self.backend, bucket) {
            (DatabaseBackend::Postgres, Bucket::Month) => {
                format!("to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-01')")
            }
            (DatabaseBackend::Postgres, Bucket::Week) => {
                format!("to_char(date_trunc('week', {expr} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')")
            }
            (_, Bucket::Month) => format!("strftime('%Y-%m-01', {expr})"),
            (_, Bucket::Week) => format!("date({expr}, 'weekday 0', '-6 days')"),
        }
    }

    fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    /// `WITH base AS (...)`: the incidents whose impact overlaps `window`, narrowed to
    /// those affecting `service` when given.
    fn base(
        &mut self,
        scope: &Scope,
        service: Option<i64>,
        window: Span,
        max_severity: Option<i32>,
    ) {
        const START: &str = "COALESCE(i.impact_started_at, i.declared_at)";
        let key = match scope {
            Scope::Overall => "'all'".to_owned(),
            Scope::Services => "CAST(s.service_id AS TEXT)".to_owned(),
            Scope::Incidents => "CAST(i.id AS TEXT)".to_owned(),
            Scope::Months => self.bucket(Bucket::Month, START),
        };
        let columns = format!(
            "{key} AS k, {st} AS st, {det} AS det, {ack} AS ack, {mit} AS mit, {res} AS res",
            st = self.epoch(START),
            det = self.epoch("COALESCE(i.detected_at, i.declared_at)"),
            ack = self.epoch("i.acknowledged_at"),
            mit = self.epoch("i.mitigated_at"),
            res = self.epoch("i.resolved_at"),
        );
        let by_service = *scope == Scope::Services || service.is_some();
        let joins = if by_service {
            "JOIN incident_services s ON s.incident_id = i.id \
             JOIN services sv ON sv.id = s.service_id "
        } else {
            ""
        };
        let max = self.bind(max_severity);
        let threshold = if by_service {
            format!("COALESCE({max}, sv.failure_severity_position, 1000000)")
        } else {
            format!("COALESCE({max}, 1000000)")
        };
        let end = self.bind(to_time(window.end));
        let start = self.bind(to_time(window.start));
        let mut sql = format!(
            "WITH base AS (SELECT {columns} FROM incidents i {joins}\
             JOIN severities v ON v.id = i.severity_id \
             WHERE i.merged_into_id IS NULL AND v.position <= {threshold} \
             AND {START} < {end} AND (i.mitigated_at IS NULL OR i.mitigated_at > {start})"
        );
        if let Some(id) = service {
            sql.push_str(&format!(" AND s.service_id = {}", self.bind(id)));
        }
        sql.push(')');
        self.push(&sql);
    }

    fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.sql, self.values)
    }
}

fn to_time(secs: Secs) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    k: String,
    m: i32,
    n: i64,
    mean: Option<f64>,
    median: Option<f64>,
    p90: Option<f64>,
}

#[derive(Debug, FromQueryResult)]
struct SpanRow {
    k: String,
    a: i64,
    b: i64,
}

/// The `started` set (failures) and the durations of each failure, as CTEs after `base`.
fn durations_cte(q: &mut Query, window: Span) {
    let ws = q.bind(window.start);
    q.push(&format!(
        ", started AS (SELECT * FROM base WHERE st >= {ws}), \
         d AS (SELECT k, 1 AS m, mit - st AS d FROM started WHERE mit IS NOT NULL \
         UNION ALL SELECT k, 2, res - det FROM started WHERE res IS NOT NULL \
         UNION ALL SELECT k, 3, ack - det FROM started WHERE ack IS NOT NULL \
         UNION ALL SELECT k, 4, det - st FROM started), \
         r AS (SELECT k, m, d, ROW_NUMBER() OVER (PARTITION BY k, m ORDER BY d) AS rn, \
         COUNT(*) OVER (PARTITION BY k, m) AS n FROM d) "
    ));
}

/// Merged downtime spans per key, as CTEs after `base` (gaps and islands: a span opens
/// a new island when it starts after every earlier span has ended).
fn islands_cte(q: &mut Query, window: Span) {
    let (greatest, least) = (q.greatest(), q.least());
    let ws = q.bind(window.start);
    let we = q.bind(window.end);
    let we2 = q.bind(window.end);
    q.push(&format!(
        ", iv AS (SELECT k, {greatest}(st, {ws}) AS a, {least}(COALESCE(mit, {we}), {we2}) AS b FROM base), \
         o AS (SELECT k, a, b, MAX(b) OVER (PARTITION BY k ORDER BY a, b \
         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS pm FROM iv WHERE b > a), \
         g AS (SELECT k, a, b, SUM(CASE WHEN pm IS NULL OR a > pm THEN 1 ELSE 0 END) \
         OVER (PARTITION BY k ORDER BY a, b ROWS UNBOUNDED PRECEDING) AS grp FROM o), \
         islands AS (SELECT k, MIN(a) AS a, MAX(b) AS b FROM g GROUP BY k, grp) "
    ));
}

fn slot(out: &mut HashMap<String, Reliability>, k: String, window: Span) -> &mut Reliability {
    out.entry(k).or_insert_with(|| Reliability {
        window,
        ..Default::default()
    })
}

/// Reliability per key over `window`, computed in the database. Keys with no incident
/// touching the window are absent (callers treat them as `Reliability` with no failures).
pub async fn reliability(
    db: &impl ConnectionTrait,
    scope: &Scope,
    service: Option<i64>,
    window: Span,
    max_severity: Option<i32>,
) -> Result<HashMap<String, Reliability>, AppError> {
    // One statement: the database reads `base` once for the durations and the islands.
    let mut q = Query::new(db.get_database_backend());
    q.base(scope, service, window, max_severity);
    durations_cte(&mut q, window);
    islands_cte(&mut q, window);
    q.push(
        "SELECT k, m, CAST(COUNT(*) AS BIGINT) AS n, CAST(AVG(d) AS DOUBLE PRECISION) AS mean, \
         CAST(AVG(CASE WHEN rn = (n + 1) / 2 OR rn = (n + 2) / 2 THEN d END) AS DOUBLE PRECISION) AS median, \
         CAST(MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN d END) AS DOUBLE PRECISION) AS p90 \
         FROM r GROUP BY k, m \
         UNION ALL SELECT k, 0 AS m, CAST(SUM(b - a) AS BIGINT) AS n, NULL, NULL, NULL \
         FROM islands GROUP BY k",
    );
    let mut out: HashMap<String, Reliability> = HashMap::new();
    for row in StatsRow::find_by_statement(q.statement()).all(db).await? {
        let r = slot(&mut out, row.k, window);
        let stats = DurationStats {
            count: row.n,
            mean: row.mean,
            median: row.median,
            p90: row.p90,
        };
        match row.m {
            0 => r.downtime = row.n,
            1 => r.restore = stats,
            2 => r.resolve = stats,
            3 => r.acknowledge = stats,
            _ => r.detect = stats,
        }
    }
    // Every failure has a detection time (the declaration when unknown) and only
    // mitigated ones a restore time.
    for r in out.values_mut() {
        r.failures = r.detect.count;
        r.unmitigated = r.detect.count - r.restore.count;
    }
    Ok(out)
}

/// The merged downtime spans per key inside `window`, in time order.
pub async fn downtime_spans(
    db: &impl ConnectionTrait,
    scope: &Scope,
    service: Option<i64>,
    window: Span,
    max_severity: Option<i32>,
) -> Result<HashMap<String, Vec<Span>>, AppError> {
    let mut q = Query::new(db.get_database_backend());
    q.base(scope, service, window, max_severity);
    islands_cte(&mut q, window);
    q.push("SELECT k, CAST(a AS BIGINT) AS a, CAST(b AS BIGINT) AS b FROM islands ORDER BY k, a");
    let mut out: HashMap<String, Vec<Span>> = HashMap::new();
    for row in SpanRow::find_by_statement(q.statement()).all(db).await? {
        out.entry(row.k).or_default().push(Span {
            start: row.a,
            end: row.b,
        });
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct BucketRow {
    b: String,
    severity_id: i64,
    n: i64,
}

/// Incidents declared in `window`, counted per calendar bucket (UTC) and severity id.
pub async fn counts_by_bucket(
    db: &impl ConnectionTrait,
    bucket: Bucket,
    window: Span,
) -> Result<Vec<(String, i64, i64)>, AppError> {
    let mut q = Query::new(db.get_database_backend());
    let b = q.bucket(bucket, "i.declared_at");
    let start = q.bind(to_time(window.start));
    let end = q.bind(to_time(window.end));
    q.push(&format!(
        "SELECT {b} AS b, i.severity_id AS severity_id, CAST(COUNT(*) AS BIGINT) AS n \
         FROM incidents i WHERE i.merged_into_id IS NULL \
         AND i.declared_at >= {start} AND i.declared_at < {end} \
         GROUP BY {b}, i.severity_id ORDER BY 1, 2"
    ));
    Ok(BucketRow::find_by_statement(q.statement())
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.b, r.severity_id, r.n))
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct ImpactRow {
    k: String,
    st: i64,
    mit: Option<i64>,
}

/// Each incident affecting `service` whose impact overlaps `window`:
/// (incident id, impact start, mitigation), earliest first.
pub async fn impacts(
    db: &impl ConnectionTrait,
    service: i64,
    window: Span,
    max_severity: Option<i32>,
) -> Result<Vec<(i64, Secs, Option<Secs>)>, AppError> {
    let mut q = Query::new(db.get_database_backend());
    q.base(&Scope::Incidents, Some(service), window, max_severity);
    q.push(" SELECT k, CAST(st AS BIGINT) AS st, CAST(mit AS BIGINT) AS mit FROM base ORDER BY st");
    Ok(ImpactRow::find_by_statement(q.statement())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.k.parse().ok()?, r.st, r.mit)))
        .collect())
}
