//! `/metrics` in the Prometheus text format: request counts and latencies by route
//! template (recorded in memory, per process), and Vigil's own numbers read from the
//! database at scrape time (so every replica reports the same).
//!
//! Protected by a bearer token when one is configured; without one, only clients on
//! the loopback address may scrape.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use app::error::AppError;
use app::metrics::formulas::Span;
use app::metrics::scan::{History, Thresholds};
use app::metrics::service::severity_levels;
use app::state::AppState;
use app::web::ClientIp;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, StreamTrait};

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    /// Cumulative per bucket, as Prometheus wants them.
    buckets: [u64; BUCKETS.len()],
}

/// Series by route template, then method, then status.
type ByRoute = HashMap<String, HashMap<String, HashMap<u16, Series>>>;

/// Request counts and latencies, keyed by (method, route template, status).
///
/// Nested maps so that recording looks keys up by `&str` and allocates only the first
/// time a series appears: the probes are answered tens of thousands of times a second
/// and the counter is most of what they cost.
#[derive(Default)]
pub struct HttpMetrics {
    series: Mutex<ByRoute>,
}

/// The series for a key, created on first use.
fn slot<'a>(series: &'a mut ByRoute, method: &str, route: &str, status: u16) -> &'a mut Series {
    if !series.contains_key(route) {
        series.insert(route.to_owned(), HashMap::new());
    }
    let methods = series.get_mut(route).expect("inserted above");
    if !methods.contains_key(method) {
        methods.insert(method.to_owned(), HashMap::new());
    }
    methods
        .get_mut(method)
        .expect("inserted above")
        .entry(status)
        .or_default()
}

impl HttpMetrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let s = slot(&mut series, method, route, status);
        s.count += 1;
        s.sum += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                s.buckets[i] += 1;
            }
        }
    }

    fn render(&self, out: &mut String) {
        let guard = self.series.lock().unwrap_or_else(|e| e.into_inner());
        // Sorted, so a scrape reads the same from one time to the next.
        let series: BTreeMap<(&str, &str, u16), &Series> = guard
            .iter()
            .flat_map(|(route, methods)| {
                methods.iter().flat_map(move |(method, statuses)| {
                    statuses
                        .iter()
                        .map(move |(status, s)| ((method.as_str(), route.as_str(), *status), s))
                })
            })
            .collect();
        out.push_str(
            "# HELP vigil_http_requests_total HTTP requests answered, by route template.\n",
        );
        out.push_str("# TYPE vigil_http_requests_total counter\n");
        for ((method, route, status), s) in series.iter() {
            let _ = writeln!(
                out,
                "vigil_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(method),
                escape(route),
                s.count
            );
        }
        out.push_str(
            "# HELP vigil_http_request_duration_seconds Time to answer, by route template.\n",
        );
        out.push_str("# TYPE vigil_http_request_duration_seconds histogram\n");
        let mut merged: BTreeMap<(&str, &str), Series> = BTreeMap::new();
        for (&(method, route, _), s) in series.iter() {
            let m = merged.entry((method, route)).or_default();
            m.count += s.count;
            m.sum += s.sum;
            for (i, b) in s.buckets.iter().enumerate() {
                m.buckets[i] += b;
            }
        }
        for ((method, route), s) in merged {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                let _ = writeln!(
                    out,
                    "vigil_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "vigil_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "vigil_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "vigil_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
    }
}

/// Label values escape backslash, quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Records each routed request under its route template (never the raw path, so ids
/// do not explode the series).
pub async fn track(
    Extension(metrics): Extension<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    // Both clones are reference counts (the template is an `Arc<str>`), not copies.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record(
        method.as_str(),
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Who may scrape.
#[derive(Clone)]
pub struct ScrapeAccess {
    pub token: Option<String>,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", axum::routing::get(scrape))
}

fn allowed(access: &ScrapeAccess, headers: &HeaderMap, ip: &str) -> bool {
    match &access.token {
        Some(expected) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| app::secrets::hash(given.trim()) == app::secrets::hash(expected)),
        None => ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback()),
    }
}

async fn scrape(
    State(state): State<AppState>,
    Extension(metrics): Extension<Arc<HttpMetrics>>,
    Extension(access): Extension<ScrapeAccess>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
) -> Response {
    if !allowed(&access, &headers, &ip) {
        return AppError::Unauthorized.into_response();
    }
    let mut out = String::new();
    metrics.render(&mut out);
    match database_metrics(&state.db, &mut out).await {
        Ok(()) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            out,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(FromQueryResult)]
struct Count {
    label: String,
    n: i64,
}

async fn counts(db: &impl ConnectionTrait, sql: &str) -> Result<Vec<Count>, AppError> {
    Ok(Count::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .all(db)
    .await?)
}

/// A metric family's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// One sample of `name` per labelled value.
fn samples<L: AsRef<str>, V: std::fmt::Display>(
    out: &mut String,
    name: &str,
    label: &str,
    rows: impl IntoIterator<Item = (L, V)>,
) {
    for (value, n) in rows {
        let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {n}", escape(value.as_ref()));
    }
}

/// Families counted in SQL: name, type, help, label, and the query (`label`, `n`).
const COUNTED: [(&str, &str, &str, &str, &str); 4] = [
    (
        "vigil_open_incidents",
        "gauge",
        "Incidents not yet resolved, by severity.",
        "severity",
        "SELECT v.name AS label, CAST(COUNT(i.id) AS BIGINT) AS n FROM severities v \
         LEFT JOIN incidents i ON i.severity_id = v.id \
         AND i.status IN ('triage', 'investigating', 'identified', 'monitoring') \
         GROUP BY v.name, v.position ORDER BY v.position",
    ),
    (
        "vigil_alerts_received_total",
        "counter",
        "Alerts received (repeats included), by source.",
        "source",
        "SELECT s.name AS label, CAST(COALESCE(SUM(a.repeats + 1), 0) AS BIGINT) AS n \
         FROM alert_sources s LEFT JOIN alerts a ON a.source_id = s.id \
         GROUP BY s.name ORDER BY s.name",
    ),
    (
        "vigil_status_page_subscribers",
        "gauge",
        "Confirmed subscribers of the public status page, by kind.",
        "kind",
        "SELECT 'email' AS label, CAST(COUNT(*) AS BIGINT) AS n FROM status_subscribers \
         WHERE kind = 'email' AND confirmed_at IS NOT NULL \
         UNION ALL SELECT 'webhook', CAST(COUNT(*) AS BIGINT) FROM status_subscribers \
         WHERE kind = 'webhook' AND confirmed_at IS NOT NULL",
    ),
    (
        "vigil_status_page_deliveries",
        "gauge",
        "Messages to status page subscribers not delivered (pending: waiting or retrying; failed: gave up).",
        "status",
        // Delivered ones are left out: they only grow, and the index answers the rest.
        "SELECT 'pending' AS label, CAST(COUNT(*) AS BIGINT) AS n FROM status_deliveries \
         WHERE status = 'pending' \
         UNION ALL SELECT 'failed', CAST(COUNT(*) AS BIGINT) FROM status_deliveries \
         WHERE status = 'failed'",
    ),
];

async fn database_metrics(
    db: &(impl StreamTrait + app::db::Writer),
    out: &mut String,
) -> Result<(), AppError> {
    for (name, kind, help, label, sql) in COUNTED {
        family(out, name, kind, help);
        let rows = counts(db, sql).await?;
        samples(out, name, label, rows.into_iter().map(|c| (c.label, c.n)));
    }

    let name = "vigil_notification_deliveries";
    family(
        out,
        name,
        "gauge",
        "Outgoing notifications by delivery status (pending: waiting or retrying; failed: gave up).",
    );
    let totals = app::notifications::service::status_totals(db).await?;
    samples(
        out,
        name,
        "status",
        totals.into_iter().map(|(s, n)| (s.as_str(), n)),
    );

    let name = "vigil_notification_failed_attempts_total";
    family(
        out,
        name,
        "counter",
        "Notification attempts that failed, since this process started.",
    );
    let _ = writeln!(
        out,
        "{name} {}",
        app::notifications::outbox::failed_attempts()
    );

    let name = "vigil_service_mttr_seconds";
    family(
        out,
        name,
        "gauge",
        "Mean time to restore over the last 30 days, by service (absent: no mitigated failure).",
    );
    let now = chrono::Utc::now().timestamp();
    let window = Span {
        start: now - 30 * 86_400,
        end: now,
    };
    let services = service_rules(db).await?;
    let thresholds = Thresholds::new(
        &severity_levels(db).await?,
        services.iter().map(|s| (s.id, s.failure_severity_position)),
    );
    let numbers: BTreeMap<i64, _> = History::load(db, window, None, thresholds)
        .await?
        .by_service(window, None)
        .into_iter()
        .collect();
    let slugs: HashMap<i64, &str> = services.iter().map(|s| (s.id, s.slug.as_str())).collect();
    let means = numbers
        .into_iter()
        .filter_map(|(id, r)| Some((*slugs.get(&id)?, r.restore.mean?)));
    samples(out, name, "service", means);
    Ok(())
}

/// A service's slug and its own failure threshold.
#[derive(FromQueryResult)]
struct ServiceRule {
    id: i64,
    slug: String,
    failure_severity_position: Option<i32>,
}

async fn service_rules(db: &impl ConnectionTrait) -> Result<Vec<ServiceRule>, AppError> {
    Ok(ServiceRule::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT id, slug, failure_severity_position FROM services".to_owned(),
    ))
    .all(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = HttpMetrics::default();
        m.record("GET", "/incidents/{reference}", 200, 0.02);
        m.record("GET", "/incidents/{reference}", 404, 3.0);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains(
            "vigil_http_requests_total{method=\"GET\",route=\"/incidents/{reference}\",status=\"200\"} 1"
        ));
        assert!(out.contains(
            "vigil_http_request_duration_seconds_bucket{method=\"GET\",route=\"/incidents/{reference}\",le=\"0.025\"} 1"
        ));
        assert!(out.contains(
            "vigil_http_request_duration_seconds_bucket{method=\"GET\",route=\"/incidents/{reference}\",le=\"5\"} 2"
        ));
        assert!(out.contains(
            "vigil_http_request_duration_seconds_count{method=\"GET\",route=\"/incidents/{reference}\"} 2"
        ));
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
