//! Vigil under load, as ratios against references measured in the same run (these
//! machines are noisy; absolute numbers drift, ratios much less).
//!
//! For each backend and history size: seed a deterministic history, start the release
//! binary, and drive it on loopback with `wrk`: pages, the API, declaring, an alert
//! storm. References: a bare axum hello-world (`bench/hello`), Vigil's own sign-in page
//! (server-rendered, no queries), a raw scan of the incidents' timestamps, and raw
//! single-row commits. Peak memory and cold start come from the server process.
//!
//! `make bench` builds the binaries and runs this. Settings (environment):
//! `VIGIL_BENCH_SIZES` (default `10000,100000`), `VIGIL_BENCH_BACKENDS` (`sqlite,postgres`),
//! `VIGIL_BENCH_SECONDS` per load run (8), `VIGIL_BENCH_ONLY=changes` (only change
//! ingestion, after seeding and again at about a million changes), `reports` (only the
//! reports) or `pages` (the pages, the API list and declaring, without reports and
//! storms), `VIGIL_BENCH_POSTGRES` (a server where a
//! scratch database is created and dropped). Output: Markdown tables on standard output,
//! as recorded in docs/benchmarks.md.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use app::accounts::Role;
use app::accounts::service::users::{self, NewUser};
use app::alerts::service::{SourceForm, create_source};
use app::audit::service::Actor;
use app::seed::random::{RandomSeed, seed_more_changes, seed_random};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use vigil_server::open_database;

const CONNECTIONS: u32 = 50;
const REPORT_RUNS: usize = 5;
/// Alertmanager groups in the storm, each with this many firing instances per post.
const GROUPS: u32 = 200;
const INSTANCES: u32 = 7;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let path = target_dir().join("release").join(name);
    ensure!(
        path.exists(),
        "{} is missing: `make bench` builds it (cargo build --release -p server -p hello)",
        path.display()
    );
    Ok(path)
}

fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, Copy, Default)]
struct Load {
    per_second: f64,
    p99_ms: f64,
    failed: u64,
}

/// Runs `wrk` for the configured time against `url`.
fn wrk(
    url: &str,
    connections: u32,
    headers: &[String],
    script: Option<&Path>,
) -> anyhow::Result<Load> {
    let seconds = env_or("VIGIL_BENCH_SECONDS", "8");
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
        "--timeout",
        "10s",
    ]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    if let Some(script) = script {
        cmd.arg("-s").arg(script);
    }
    let out = cmd
        .arg(url)
        .output()
        .context("wrk is not installed (make bench installs it)")?;
    ensure!(
        out.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut load = Load::default();
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            load.per_second = v.trim().parse()?;
        } else if let Some(v) = line.strip_prefix("99%") {
            load.p99_ms = millis(v.trim())?;
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            load.failed += v.trim().parse::<u64>()?;
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            load.failed += v
                .split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    ensure!(load.per_second > 0.0, "wrk measured nothing:\n{text}");
    Ok(load)
}

/// `390.00us`, `1.20ms`, `2.01s` as milliseconds.
fn millis(value: &str) -> anyhow::Result<f64> {
    let (number, factor) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        bail!("unknown latency `{value}`")
    };
    Ok(number.parse::<f64>()? * factor)
}

/// A running process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Peak and current resident memory, in MB (Linux).
    fn memory_mb(&self) -> (f64, f64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
                .unwrap_or(f64::NAN)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

/// Polls `url` until it answers 200; how long that took.
async fn wait_until_up(url: &str, limit: Duration) -> anyhow::Result<Duration> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(res) = client.get(url).send().await
            && res.status().is_success()
        {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("{url} did not come up within {limit:?}")
}

/// One row of a results table.
struct Row {
    what: String,
    value: String,
    reference: String,
    ratio: Option<f64>,
    goal: String,
    met: Option<bool>,
}

impl Row {
    fn new(what: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            value: value.into(),
            reference: String::new(),
            ratio: None,
            goal: String::new(),
            met: None,
        }
    }

    fn against(mut self, reference: impl Into<String>, ratio: f64) -> Self {
        self.reference = reference.into();
        self.ratio = Some(ratio);
        self
    }

    fn goal(mut self, goal: impl Into<String>, met: bool) -> Self {
        self.goal = goal.into();
        self.met = Some(met);
        self
    }
}

fn print_table(title: &str, rows: &[Row]) {
    println!("\n### {title}\n");
    println!("| measure | value | against | ratio | goal | met |");
    println!("|---|---:|---|---:|---|:---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.what,
            r.value,
            r.reference,
            r.ratio.map(|x| format!("{x:.3}")).unwrap_or_default(),
            r.goal,
            match r.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            }
        );
    }
}

fn rate(load: &Load) -> String {
    format!(
        "{:.0}/s, p99 {:.1} ms{}",
        load.per_second,
        load.p99_ms,
        if load.failed > 0 {
            format!(", {} failed", load.failed)
        } else {
            String::new()
        }
    )
}

/// The median of `runs` timings of `f`.
async fn median<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    f().await?; // warm-up
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[runs / 2])
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A database of the backend's kind, dropped afterwards (PostgreSQL) or deleted (SQLite).
struct Scratch {
    url: String,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl Scratch {
    async fn create(backend: &str, size: u64) -> anyhow::Result<Self> {
        let name = format!("vigil_bench_{size}_{}", std::process::id());
        if backend == "sqlite" {
            let dir = tempfile::tempdir()?;
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            );
            return Ok(Self {
                url,
                admin_url: None,
                name,
                _dir: Some(dir),
            });
        }
        let admin_url = env_or(
            "VIGIL_BENCH_POSTGRES",
            "postgres://postgres@127.0.0.1:5432/postgres",
        );
        let admin = Database::connect(&admin_url)
            .await
            .context("PostgreSQL is not reachable")?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => bail!("VIGIL_BENCH_POSTGRES needs a database path"),
        };
        Ok(Self {
            url,
            admin_url: Some(admin_url),
            name,
            _dir: None,
        })
    }

    async fn drop_database(&self) {
        if let Some(admin_url) = &self.admin_url
            && let Ok(admin) = Database::connect(admin_url).await
        {
            let _ = admin
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .await;
        }
    }
}

/// After a bulk load of hundreds of thousands of rows, what a live database has done by
/// the time such a history has built up over months: PostgreSQL's autovacuum has
/// vacuumed and analysed the tables (visibility map, planner statistics), SQLite's
/// `PRAGMA optimize` has refreshed its statistics. Measuring in the minute after the
/// load would measure the bulk load's aftermath, not the history.
async fn settle(db: &DatabaseConnection) -> anyhow::Result<()> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared("VACUUM ANALYZE").await?;
            db.execute_unprepared("CHECKPOINT").await?;
        }
        _ => {
            db.execute_unprepared("PRAGMA optimize").await?;
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
    }
    Ok(())
}

async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Single-row commits per second on one connection, with the server's settings.
async fn raw_commits(db: &DatabaseConnection) -> anyhow::Result<f64> {
    const N: u32 = 2000;
    db.execute_unprepared("CREATE TABLE bench_commit (v TEXT NOT NULL)")
        .await?;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "INSERT INTO bench_commit (v) VALUES ($1)",
        _ => "INSERT INTO bench_commit (v) VALUES (?)",
    };
    let started = Instant::now();
    for i in 0..N {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [format!("row {i}").into()],
        ))
        .await?;
    }
    let rate = f64::from(N) / started.elapsed().as_secs_f64();
    db.execute_unprepared("DROP TABLE bench_commit").await?;
    Ok(rate)
}

/// Reads every incident's timestamp columns once: the least any report over all of
/// history could cost.
async fn raw_scan(db: &DatabaseConnection) -> anyhow::Result<()> {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*), MIN(COALESCE(impact_started_at, declared_at)), MAX(detected_at), \
         MAX(acknowledged_at), MAX(mitigated_at), MAX(resolved_at) FROM incidents",
    ))
    .await?;
    Ok(())
}

/// What the benchmark needs inside the seeded database: an admin to sign in as, an API
/// token, an alert source, a service to declare on.
struct Fixtures {
    email: String,
    password: String,
    api_token: String,
    alert_token: String,
    service_id: i64,
    severity_id: i64,
}

async fn fixtures(db: &DatabaseConnection) -> anyhow::Result<Fixtures> {
    let password = format!("bench-{}", uuid::Uuid::new_v4());
    let email = "bench@example.com".to_owned();
    let new = NewUser::parse(&email, "Bench", &password, Role::Admin)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let admin = users::create(db, new, &Actor::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let api_token = app::api_tokens::service::create(db, &admin, "bench", "", None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .token;
    let service_id = scalar_i64(db, "SELECT MIN(id) FROM services").await?;
    let severity_id = scalar_i64(db, "SELECT id FROM severities ORDER BY position LIMIT 1").await?;
    let alert_token = create_source(
        db,
        &admin,
        SourceForm {
            name: "Bench Alertmanager".into(),
            kind: "alertmanager".into(),
            service_id: service_id.to_string(),
            rules: [("critical".to_owned(), severity_id.to_string())].into(),
            auto_resolve: false,
        },
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?
    .token;
    status_page(db, &admin, service_id).await?;
    Ok(Fixtures {
        email,
        password,
        api_token,
        alert_token,
        service_id,
        severity_id,
    })
}

/// The public status page as a company runs it: a dozen components with 90 days of bars,
/// and three incidents published on the last three incidents (one still open).
async fn status_page(
    db: &DatabaseConnection,
    admin: &app::accounts::CurrentUser,
    first_service: i64,
) -> anyhow::Result<()> {
    use app::status::{ComponentEdit, Publication, SettingsEdit, service};
    let fail = |e: app::error::AppError| anyhow::anyhow!("{e}");
    let settings = SettingsEdit {
        enabled: true,
        name: "Bench status".into(),
        brand_colour: "#1f4f8f".into(),
        ..Default::default()
    };
    service::save_settings(db, admin, &Actor::default(), &settings)
        .await
        .map_err(fail)?;
    let mut components = Vec::new();
    for n in 0..12 {
        let edit = ComponentEdit {
            service: (first_service + n).to_string(),
            name: format!("Component {n}"),
            group: if n < 6 { "Core" } else { "Integrations" }.into(),
            description: "What customers use it for.".into(),
            ..Default::default()
        };
        let added = service::add_component(db, admin, &Actor::default(), &edit)
            .await
            .map_err(fail)?;
        components.push(added.id);
    }
    let last = scalar_i64(db, "SELECT MAX(id) FROM incidents").await?;
    for (n, id) in (last - 2..=last).enumerate() {
        let reference = app::incidents::IncidentRef(id);
        let mut post = Publication {
            title: Some(format!("Errors on component {n}")),
            state: "investigating".into(),
            components: Some(components[n * 3..n * 3 + 3].to_vec()),
            body: "We are looking into **elevated errors**.".into(),
            ..Default::default()
        };
        service::publish(db, admin, reference, &post)
            .await
            .map_err(fail)?;
        if n > 0 {
            post.state = "resolved".into();
            post.body = "Fixed.".into();
            post.version = Some(1);
            service::publish(db, admin, reference, &post)
                .await
                .map_err(fail)?;
        }
    }
    Ok(())
}

const DECLARE_LUA: &str = r#"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer @TOKEN@"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"title":"Bench declaration %d","severity_id":@SEVERITY@,"service_ids":[@SERVICE@]}', n)
  return wrk.format(nil, nil, nil, body)
end
"#;

const CHANGES_LUA: &str = r#"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer @TOKEN@"
local n = 0
request = function()
  n = n + 1
  -- A fresh table's address keeps the ids of the threads (each counting from 1) apart.
  local body = string.format('{"title":"Bench deploy %d","services":["@SERVICE@"],"version":"v%d","source":"bench","external_id":"@TAG@%s-%d","finished_at":"2026-11-22T10:00:00Z","started_at":"2026-11-22T09:55:00Z"}', n, n, tostring({}):sub(8), n)
  return wrk.format(nil, nil, nil, body)
end
"#;

const ALERTS_LUA: &str = r#"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer @TOKEN@"
local function alerts(g)
  local parts = {}
  for i = 0, @INSTANCES@ - 1 do
    parts[#parts + 1] = string.format('{"status":"firing","labels":{"instance":"host-%d"},"annotations":{},"startsAt":"2026-11-22T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"g%d-i%d"}', i, g, i)
  end
  return table.concat(parts, ",")
end
local n = 0
request = function()
  -- Every group in turn, so each is hit; both threads start together, so the same
  -- group arrives twice at once (what deduplication must survive).
  local g = n % @GROUPS@
  n = n + 1
  local body = string.format('{"version":"4","groupKey":"{}:{alertname=\\"Group%d\\"}","status":"firing","receiver":"vigil","groupLabels":{"alertname":"Group%d"},"commonLabels":{"alertname":"Group%d","severity":"critical"},"commonAnnotations":{"summary":"Group %d failing"},"externalURL":"http://alertmanager.example:9093","alerts":[%s]}', g, g, g, g, alerts(g))
  return wrk.format(nil, nil, nil, body)
end
"#;

async fn sign_in(base: &str, f: &Fixtures) -> anyhow::Result<String> {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .post(format!("{base}/rpc/sign_in"))
        .header("accept", "application/json")
        .form(&[
            ("email", f.email.as_str()),
            ("password", f.password.as_str()),
            ("next", ""),
        ])
        .send()
        .await?;
    ensure!(
        res.status().is_success(),
        "cannot sign in: {}",
        res.status()
    );
    Ok(res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; "))
}

async fn bench(backend: &str, size: u64, hello: &Load) -> anyhow::Result<Vec<Row>> {
    let scratch = Scratch::create(backend, size).await?;
    let result = bench_on(size, hello, &scratch).await;
    scratch.drop_database().await;
    result
}

async fn bench_on(size: u64, hello: &Load, scratch: &Scratch) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    // The page, report and memory goals are set at 100,000 incidents; other sizes show
    // how the ratios move with history.
    let at_goal_size = size == 100_000;
    let goal = |row: Row, goal: &str, met: bool| {
        if at_goal_size {
            row.goal(goal, met)
        } else {
            row
        }
    };
    let db = open_database(&scratch.url).await?;
    let started = Instant::now();
    let now =
        chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap_or_default();
    seed_random(
        &db,
        RandomSeed {
            incidents: size,
            services: 500,
            seed: 1,
            days: 365,
            now,
            changes: size * 2,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    rows.push(Row::new(
        "seeding",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    ));
    let f = fixtures(&db).await?;
    let commits = raw_commits(&db).await?;
    db.close().await?;

    let addr = free_port()?;
    let base = format!("http://{addr}");
    let site = tempfile::tempdir()?;
    let server = Running(
        Command::new(binary("vigil")?)
            .args([
                "serve",
                "--database-url",
                &scratch.url,
                "--listen",
                &addr.to_string(),
            ])
            .arg("--site-root")
            .arg(site.path())
            .env("VIGIL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start vigil")?,
    );
    let cold = wait_until_up(&format!("{base}/readyz"), Duration::from_secs(30)).await?;
    rows.push(
        Row::new("cold start to /readyz", ms(cold))
            .goal("<= 300 ms", cold <= Duration::from_millis(300)),
    );
    // `VIGIL_BENCH_ONLY=changes`: the ingestion row alone, a quick look at one goal.
    if env_or("VIGIL_BENCH_ONLY", "") == "changes" {
        let probe = Database::connect(&scratch.url).await?;
        let (_, slug) = busiest_service(&probe).await?;
        let dir = tempfile::tempdir()?;
        rows.push(ingestion(&dir, &base, &f.api_token, &slug, ("a", ""))?);
        let have = scalar_i64(&probe, "SELECT COUNT(*) FROM changes").await?;
        seed_more_changes(&probe, 2, 365, now, (1_000_000 - have).max(0) as u64)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        settle(&probe).await?;
        let (_, slug) = busiest_service(&probe).await?;
        rows.push(ingestion(
            &dir,
            &base,
            &f.api_token,
            &slug,
            ("b", ", 1,000,000 changes"),
        )?);
        let (peak, _) = server.memory_mb();
        rows.push(Row::new("server memory, peak", format!("{peak:.0} MB")));
        return Ok(rows);
    }
    let cookie = format!("Cookie: {}", sign_in(&base, &f).await?);
    // `VIGIL_BENCH_ONLY=reports`: the report rows alone.
    if env_or("VIGIL_BENCH_ONLY", "") == "reports" {
        let probe = Database::connect(&scratch.url).await?;
        rows.extend(report_rows(&probe, &reqwest::Client::new(), &base, &cookie).await?);
        let (peak, _) = server.memory_mb();
        rows.push(Row::new("server memory, peak", format!("{peak:.0} MB")));
        return Ok(rows);
    }

    // Pages and the API, 50 connections.
    let sign_in_page = wrk(&format!("{base}/login"), CONNECTIONS, &[], None)?;
    rows.push(
        Row::new("sign-in page (reference)", rate(&sign_in_page))
            .against("hello-world", sign_in_page.per_second / hello.per_second),
    );
    let livez = wrk(&format!("{base}/livez"), CONNECTIONS, &[], None)?;
    let ratio = livez.per_second / hello.per_second;
    rows.push(
        Row::new("/livez", rate(&livez))
            .against("hello-world", ratio)
            .goal(">= 0.5", ratio >= 0.5),
    );
    // The page everyone refreshes during an outage, as browsers and CDNs ask for it.
    let status = wrk(
        &format!("{base}/status"),
        CONNECTIONS,
        &["Accept-Encoding: br, gzip".to_owned()],
        None,
    )?;
    let ratio = status.per_second / hello.per_second;
    rows.push(
        Row::new("public status page", rate(&status))
            .against("hello-world", ratio)
            .goal(">= 0.3", ratio >= 0.3 && status.failed == 0),
    );
    let signed = [cookie.clone()];
    let list = wrk(&format!("{base}/incidents"), CONNECTIONS, &signed, None)?;
    let ratio = list.per_second / sign_in_page.per_second;
    rows.push(
        Row::new("incident list page", rate(&list))
            .against("sign-in page", ratio)
            .goal(
                ">= 0.25, p99 < 50 ms",
                ratio >= 0.25 && list.p99_ms < 50.0 && list.failed == 0,
            ),
    );
    // Where everyone lands: open incidents, my items and duties, budgets, recently
    // resolved; measured, no goal of its own yet.
    let home = wrk(&format!("{base}/"), CONNECTIONS, &signed, None)?;
    rows.push(
        Row::new("home page (on call)", rate(&home))
            .against("sign-in page", home.per_second / sign_in_page.per_second),
    );
    let incident = wrk(
        &format!("{base}/incidents/INC-{}", (size / 2).max(1)),
        CONNECTIONS,
        &signed,
        None,
    )?;
    let ratio = incident.per_second / sign_in_page.per_second;
    rows.push(goal(
        Row::new("an incident page", rate(&incident)).against("sign-in page", ratio),
        ">= 0.20",
        ratio >= 0.20 && incident.failed == 0,
    ));
    let bearer = [format!("Authorization: Bearer {}", f.api_token)];
    let api = wrk(
        &format!("{base}/api/v1/incidents"),
        CONNECTIONS,
        &bearer,
        None,
    )?;
    rows.push(
        Row::new("GET /api/v1/incidents", rate(&api))
            .against("sign-in page", api.per_second / sign_in_page.per_second),
    );

    // Reports, one at a time, against a raw scan of the same database.
    let pages_only = env_or("VIGIL_BENCH_ONLY", "") == "pages";
    let probe = Database::connect(&scratch.url).await?;
    let client = reqwest::Client::new();
    if !pages_only {
        rows.extend(report_rows(&probe, &client, &base, &cookie).await?);
        rows.extend(busiest_delivery(&probe, &client, &base, &f.api_token).await?);
    }

    // Writes: declaring through the API, then an alert storm.
    let dir = tempfile::tempdir()?;
    let declare_lua = dir.path().join("declare.lua");
    std::fs::write(
        &declare_lua,
        DECLARE_LUA
            .replace("@TOKEN@", &f.api_token)
            .replace("@SEVERITY@", &f.severity_id.to_string())
            .replace("@SERVICE@", &f.service_id.to_string()),
    )?;
    let declare = wrk(
        &format!("{base}/api/v1/incidents"),
        16,
        &[],
        Some(&declare_lua),
    )?;
    let ratio = declare.per_second / commits;
    rows.push(Row::new(
        "raw single-row commits, one connection (reference)",
        format!("{commits:.0}/s"),
    ));
    rows.push(
        Row::new("declare through the API, 16 connections", rate(&declare))
            .against("raw commits", ratio)
            .goal(">= 0.10, 0 failed", ratio >= 0.10 && declare.failed == 0),
    );
    if pages_only {
        probe.close().await?;
        let (peak, _) = server.memory_mb();
        rows.push(Row::new("server memory, peak", format!("{peak:.0} MB")));
        return Ok(rows);
    }
    let (_, slug) = busiest_service(&probe).await?;
    rows.push(ingestion(&dir, &base, &f.api_token, &slug, ("a", ""))?);
    let alerts_lua = dir.path().join("alerts.lua");
    std::fs::write(
        &alerts_lua,
        ALERTS_LUA
            .replace("@TOKEN@", &f.alert_token)
            .replace("@GROUPS@", &GROUPS.to_string())
            .replace("@INSTANCES@", &INSTANCES.to_string()),
    )?;
    for senders in [16, 64] {
        let storm = wrk(
            &format!("{base}/hooks/alerts"),
            senders,
            &[],
            Some(&alerts_lua),
        )?;
        let alerts = storm.per_second * f64::from(INSTANCES);
        rows.push(
            Row::new(
                format!("alert storm, {senders} senders, {INSTANCES} alerts a post"),
                format!("{alerts:.0} alerts/s ({})", rate(&storm)),
            )
            .goal(
                ">= 5,000 alerts/s, 0 failed",
                alerts >= 5000.0 && storm.failed == 0,
            ),
        );
    }
    // Each stored alert names the incident it opened or joined: one per group.
    let opened = scalar_i64(&probe, "SELECT COUNT(DISTINCT incident_id) FROM alerts").await?;
    let stored = scalar_i64(&probe, "SELECT COUNT(*) FROM alerts").await?;
    rows.push(
        Row::new("alerts stored (one per instance)", stored.to_string()).goal(
            format!("{}", GROUPS * INSTANCES),
            stored == i64::from(GROUPS * INSTANCES),
        ),
    );
    rows.push(
        Row::new("incidents the storm opened", opened.to_string()).goal(
            format!("{GROUPS} (one per group)"),
            opened == i64::from(GROUPS),
        ),
    );
    if at_goal_size {
        rows.extend(a_million_changes(&probe, &client, &base, &f, &dir, size, now).await?);
    }
    probe.close().await?;

    let (peak, now_mb) = server.memory_mb();
    rows.push(
        Row::new(
            "server memory, peak (now)",
            format!("{peak:.0} MB ({now_mb:.0} MB)"),
        )
        .goal("<= 100 MB", peak <= 100.0),
    );
    drop(server);
    Ok(rows)
}

/// The id and slug of the service with the most changes.
async fn busiest_service(probe: &DatabaseConnection) -> anyhow::Result<(i64, String)> {
    let busiest = scalar_i64(
        probe,
        "SELECT service_id FROM change_services GROUP BY service_id ORDER BY COUNT(*) DESC, service_id LIMIT 1",
    )
    .await?;
    let slug = probe
        .query_one_raw(Statement::from_string(
            probe.get_database_backend(),
            format!("SELECT slug FROM services WHERE id = {busiest}"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no service"))?
        .try_get("", "slug")?;
    Ok((busiest, slug))
}

/// Delivery metrics of the service with the most changes over a year, against a raw
/// scan of its changes.
/// The reports, one request at a time, against a raw scan of the same database. The
/// first 365-day dashboard after seeding is its own row: it packs every block of the
/// history the reports keep (migration 36); the medians after it read them back.
async fn report_rows(
    probe: &DatabaseConnection,
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move {
            let res = client
                .get(&url)
                .header("cookie", &cookie["Cookie: ".len()..])
                .send()
                .await?;
            ensure!(res.status().is_success(), "{url}: {}", res.status());
            res.bytes().await?;
            Ok(())
        }
    };
    let started = Instant::now();
    get("/dashboard?window=365&bucket=month").await?;
    rows.push(Row::new(
        "dashboard, 365 days, first view after seeding (packs the history)",
        ms(started.elapsed()),
    ));
    let scan = median(REPORT_RUNS, || async { raw_scan(probe).await }).await?;
    rows.push(Row::new(
        "raw scan of the incidents' timestamps (reference)",
        ms(scan),
    ));
    for (label, path) in [
        ("dashboard, 30 days", "/dashboard?window=30"),
        ("dashboard, 90 days", "/dashboard?window=90"),
        (
            "dashboard, 365 days by month",
            "/dashboard?window=365&bucket=month",
        ),
        ("services page", "/services"),
        ("services page, 365 days", "/services?window=365"),
    ] {
        let took = median(REPORT_RUNS, || get(path)).await?;
        let ratio = took.as_secs_f64() / scan.as_secs_f64();
        rows.push(
            Row::new(label, ms(took))
                .against("raw scan", ratio)
                .goal("<= 5", ratio <= 5.0),
        );
    }

    Ok(rows)
}

async fn busiest_delivery(
    probe: &DatabaseConnection,
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> anyhow::Result<Vec<Row>> {
    let (busiest, slug) = busiest_service(probe).await?;
    let changes_sql = format!(
        "SELECT COUNT(*), MIN(c.started_secs), MAX(c.finished_secs), MAX(c.committed_secs) \
         FROM change_services cs JOIN changes c ON c.id = cs.change_id WHERE cs.service_id = {busiest}"
    );
    let changes_scan = median(REPORT_RUNS, || async {
        probe
            .query_one_raw(Statement::from_string(
                probe.get_database_backend(),
                changes_sql.clone(),
            ))
            .await?;
        Ok(())
    })
    .await?;
    let url = format!("{base}/api/v1/services/{slug}/delivery?window=365");
    let delivery = median(REPORT_RUNS, || async {
        let res = client.get(&url).bearer_auth(token).send().await?;
        ensure!(res.status().is_success(), "{url}: {}", res.status());
        res.bytes().await?;
        Ok(())
    })
    .await?;
    let changes_total = scalar_i64(probe, "SELECT COUNT(*) FROM changes").await?;
    // A scan of a few hundred rows takes well under a millisecond: the ratio is read
    // against at least 1 ms, so noise in the reference cannot fail the goal.
    let ratio = delivery.as_secs_f64() / changes_scan.as_secs_f64().max(0.001);
    Ok(vec![
        Row::new(
            format!(
                "raw scan of the busiest service's changes ({changes_total} changes in all) (reference)"
            ),
            ms(changes_scan),
        ),
        Row::new("delivery metrics, busiest service, 365 days", ms(delivery))
            .against("raw scan (>= 1 ms)", ratio)
            .goal("<= 5", ratio <= 5.0),
    ])
}

/// Changes recorded through the API by 16 senders; `tag` keeps a run's external ids
/// apart from an earlier run's, `label` follows the row's name.
fn ingestion(
    dir: &tempfile::TempDir,
    base: &str,
    token: &str,
    slug: &str,
    (tag, label): (&str, &str),
) -> anyhow::Result<Row> {
    let changes_lua = dir.path().join(format!("changes{tag}.lua"));
    std::fs::write(
        &changes_lua,
        CHANGES_LUA
            .replace("@TOKEN@", token)
            .replace("@SERVICE@", slug)
            .replace("@TAG@", tag),
    )?;
    let ingest = wrk(
        &format!("{base}/api/v1/changes"),
        16,
        &[],
        Some(&changes_lua),
    )?;
    Ok(Row::new(
        format!("changes recorded through the API, 16 senders{label}"),
        rate(&ingest),
    )
    .goal(
        ">= 2,000/s, 0 failed",
        ingest.per_second >= 2000.0 && ingest.failed == 0,
    ))
}

/// The history grown to 1,000,000 changes: the incident page's "changes before" read,
/// the busiest service's delivery and ingestion again.
async fn a_million_changes(
    probe: &DatabaseConnection,
    client: &reqwest::Client,
    base: &str,
    f: &Fixtures,
    dir: &tempfile::TempDir,
    size: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Row>> {
    const MILLION: i64 = 1_000_000;
    let mut rows = Vec::new();
    let have = scalar_i64(probe, "SELECT COUNT(*) FROM changes").await?;
    let started = Instant::now();
    seed_more_changes(probe, 2, 365, now, (MILLION - have).max(0) as u64)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    rows.push(Row::new(
        "changes added to reach 1,000,000",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    ));
    settle(probe).await?;
    // The incident page's read, on the incident it shows above, already read.
    let incident = app::incidents::service::query::get_incident(
        probe,
        app::incidents::IncidentRef((size / 2).max(1) as i64),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let before = median(REPORT_RUNS * 4, || async {
        app::changes::service::changes_before_incident(probe, &incident, 24)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    })
    .await?;
    rows.push(
        Row::new(
            "changes before an incident (24 h), 1,000,000 changes",
            ms(before),
        )
        .goal("<= 10 ms", before <= Duration::from_millis(10)),
    );
    rows.extend(busiest_delivery(probe, client, base, &f.api_token).await?);
    let (_, slug) = busiest_service(probe).await?;
    rows.push(ingestion(
        dir,
        base,
        &f.api_token,
        &slug,
        ("b", ", 1,000,000 changes"),
    )?);
    Ok(rows)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<u64> = env_or("VIGIL_BENCH_SIZES", "10000,100000")
        .split(',')
        .map(|s| s.trim().replace('_', "").parse())
        .collect::<Result<_, _>>()
        .context("VIGIL_BENCH_SIZES: numbers separated by commas")?;
    let backends = env_or("VIGIL_BENCH_BACKENDS", "sqlite,postgres");

    let addr = free_port()?;
    let hello = Running(
        Command::new(binary("hello")?)
            .arg(addr.to_string())
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start the hello-world reference")?,
    );
    wait_until_up(&format!("http://{addr}/"), Duration::from_secs(10)).await?;
    let reference = wrk(&format!("http://{addr}/"), CONNECTIONS, &[], None)?;
    drop(hello);
    println!("# Vigil under load\n");
    println!(
        "{} cores, {} s per load run, {CONNECTIONS} connections unless stated. Reference: a bare axum hello-world answered {:.0} requests/s.",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        env_or("VIGIL_BENCH_SECONDS", "8"),
        reference.per_second
    );
    let mut missed = 0;
    for backend in backends.split(',').map(str::trim) {
        for &size in &sizes {
            let title = format!("{backend}, {size} incidents over 500 services");
            eprintln!("benchmarking {title} …");
            let rows = bench(backend, size, &reference)
                .await
                .with_context(|| title.clone())?;
            missed += rows.iter().filter(|r| r.met == Some(false)).count();
            print_table(&title, &rows);
        }
    }
    println!("\n{missed} goal(s) not met.");
    Ok(())
}
