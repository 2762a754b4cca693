//! The reliability aggregates, computed inside the database.
//!
//! Both SQLite and PostgreSQL run the same window-function SQL; only a few expressions
//! differ (greatest/least, calendar buckets). Every query starts from one `base` set: the
//! incidents that touch the window, one row per key (a service, the whole estate, or a
//! calendar month), with their moments as the integer epoch seconds the database keeps
//! on write (`start_secs` and the others, migration 19). The numbers must equal
//! `formulas::reliability` on the same data; integration tests check that.

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
        // Epoch seconds the database keeps on write (migration 19), not converted here.
        let columns = format!(
            "{key} AS k, i.start_secs AS st, i.detect_secs AS det, i.ack_secs AS ack, \
             i.mitigate_secs AS mit, i.resolve_secs AS res"
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
        let end = self.bind(window.end);
        let start = self.bind(window.start);
        // Without statistics SQLite would walk the impact-start index for `< end`, which
        // for "the last N days" is every incident; the unary `+` keeps it on the
        // mitigation index (open or mitigated after the start), which narrows.
        let no_index = match self.backend {
            DatabaseBackend::Postgres => "",
            _ => "+",
        };
        let mut sql = format!(
            "WITH base AS (SELECT {columns} FROM incidents i {joins}\
             JOIN severities v ON v.id = i.severity_id \
             WHERE i.merged_into_id IS NULL AND v.position <= {threshold} \
             AND {no_index}i.start_secs < {end} \
             AND (i.mitigate_secs IS NULL OR i.mitigate_secs > {start})"
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

/// One row of [`reliability`]: a key's four duration summaries (failures started in
/// the window), or its downtime (`kind` 0).
#[derive(Debug, FromQueryResult)]
struct StatsRow {
    k: String,
    kind: i32,
    downtime: Option<i64>,
    restore_n: Option<i64>,
    restore_mean: Option<f64>,
    restore_median: Option<f64>,
    restore_p90: Option<f64>,
    resolve_n: Option<i64>,
    resolve_mean: Option<f64>,
    resolve_median: Option<f64>,
    resolve_p90: Option<f64>,
    ack_n: Option<i64>,
    ack_mean: Option<f64>,
    ack_median: Option<f64>,
    ack_p90: Option<f64>,
    detect_n: Option<i64>,
    detect_mean: Option<f64>,
    detect_median: Option<f64>,
    detect_p90: Option<f64>,
}

/// The four durations of a failure and their column-name prefixes.
const DURATIONS: [(&str, &str); 4] = [
    ("restore", "mit - st"),
    ("resolve", "res - det"),
    ("ack", "ack - det"),
    ("detect", "det - st"),
];

#[derive(Debug, FromQueryResult)]
struct SpanRow {
    k: String,
    a: i64,
    b: i64,
}

/// The interpolated `fraction` percentile (0 to 1) of `expr` over the group, NULLs
/// ignored. SQLite needs its percentile functions (`SQLITE_ENABLE_PERCENTILE`, set for
/// the bundled library in `.cargo/config.toml`); both use rank `fraction * (n - 1)`.
fn percentile(backend: DatabaseBackend, fraction: f64, expr: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!(
            "percentile_cont({fraction}) WITHIN GROUP (ORDER BY CAST({expr} AS DOUBLE PRECISION))"
        ),
        _ => format!("percentile_cont({expr}, {fraction})"),
    }
}

/// Count, mean, median and p90 of each duration, one aggregate pass over the failures.
fn duration_columns(backend: DatabaseBackend) -> String {
    DURATIONS
        .iter()
        .map(|(name, expr)| {
            format!(
                "CAST(COUNT({expr}) AS BIGINT) AS {name}_n, \
                 CAST(AVG({expr}) AS DOUBLE PRECISION) AS {name}_mean, \
                 CAST({median} AS DOUBLE PRECISION) AS {name}_median, \
                 CAST({p90} AS DOUBLE PRECISION) AS {name}_p90",
                median = percentile(backend, 0.5, expr),
                p90 = percentile(backend, 0.9, expr),
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The same columns, all NULL (for the downtime rows of the union).
fn null_duration_columns() -> String {
    DURATIONS
        .iter()
        .map(|(name, _)| {
            format!(
                "CAST(NULL AS BIGINT) AS {name}_n, CAST(NULL AS DOUBLE PRECISION) AS {name}_mean, \
                 CAST(NULL AS DOUBLE PRECISION) AS {name}_median, \
                 CAST(NULL AS DOUBLE PRECISION) AS {name}_p90"
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
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
/// Months (keyed by impact start) get durations only: their downtime stays 0.
pub async fn reliability(
    db: &impl ConnectionTrait,
    scope: &Scope,
    service: Option<i64>,
    window: Span,
    max_severity: Option<i32>,
) -> Result<HashMap<String, Reliability>, AppError> {
    // One statement: the database reads `base` once for the durations and the islands.
    let backend = db.get_database_backend();
    let mut q = Query::new(backend);
    q.base(scope, service, window, max_severity);
    let ws = q.bind(window.start);
    q.push(&format!(
        ", started AS (SELECT * FROM base WHERE st >= {ws})"
    ));
    let with_downtime = *scope != Scope::Months;
    if with_downtime {
        islands_cte(&mut q, window);
    }
    q.push(&format!(
        " SELECT k, 1 AS kind, CAST(NULL AS BIGINT) AS downtime, {} FROM started GROUP BY k",
        duration_columns(backend),
    ));
    if with_downtime {
        q.push(&format!(
            " UNION ALL SELECT k, 0 AS kind, CAST(SUM(b - a) AS BIGINT) AS downtime, {} \
             FROM islands GROUP BY k",
            null_duration_columns(),
        ));
    }
    let mut out: HashMap<String, Reliability> = HashMap::new();
    for row in StatsRow::find_by_statement(q.statement()).all(db).await? {
        let r = slot(&mut out, row.k, window);
        if row.kind == 0 {
            r.downtime = row.downtime.unwrap_or(0);
            continue;
        }
        let stats = |count: Option<i64>, mean, median, p90| DurationStats {
            count: count.unwrap_or(0),
            mean,
            median,
            p90,
        };
        r.restore = stats(
            row.restore_n,
            row.restore_mean,
            row.restore_median,
            row.restore_p90,
        );
        r.resolve = stats(
            row.resolve_n,
            row.resolve_mean,
            row.resolve_median,
            row.resolve_p90,
        );
        r.acknowledge = stats(row.ack_n, row.ack_mean, row.ack_median, row.ack_p90);
        r.detect = stats(
            row.detect_n,
            row.detect_mean,
            row.detect_median,
            row.detect_p90,
        );
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
