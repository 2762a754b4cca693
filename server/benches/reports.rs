//! How fast the reliability reports render on a large history: seeds N incidents over M
//! services (deterministic), serves the real router, signs in, and times full page
//! requests (server-side rendering included) on SQLite and, when reachable, PostgreSQL.
//!
//! `make bench` (or `cargo bench -p server --bench reports`); sizes with
//! `VIGIL_BENCH_INCIDENTS` / `VIGIL_BENCH_SERVICES` (default 100,000 / 500), PostgreSQL
//! with `VIGIL_BENCH_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`;
//! a scratch database is created and dropped). Results go to standard output as a
//! Markdown table; `docs/benchmarks.md` records them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use app::accounts::Role;
use app::accounts::service::users::{self, NewUser};
use app::audit::service::Actor;
use app::seed::random::{RandomSeed, seed_random};
use sea_orm::{ConnectionTrait, Database};
use vigil_server::{Config, app_state, open_database, router};

const RUNS: usize = 7;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Timing {
    label: String,
    median: Duration,
    worst: Duration,
}

async fn bench_backend(
    name: &str,
    url: &str,
    incidents: u64,
    services: u64,
) -> anyhow::Result<Vec<Timing>> {
    let db = open_database(url).await?;
    let started = Instant::now();
    let now = chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap();
    seed_random(
        &db,
        RandomSeed {
            incidents,
            services,
            seed: 1,
            days: 365,
            now,
            changes: incidents * 2,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seeding = started.elapsed();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = Config::new(url.to_owned(), addr);
    let app = router(app_state(&config, db.clone()), &config);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let password = format!("bench-{}", uuid::Uuid::new_v4());
    let new = NewUser::parse("bench@example.com", "Bench", &password, Role::Viewer)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    users::create(&db, new, &Actor::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let base = format!("http://{addr}");
    let signed_in = client
        .post(format!("{base}/rpc/sign_in"))
        .header("accept", "application/json")
        .form(&[
            ("email", "bench@example.com"),
            ("password", password.as_str()),
            ("next", ""),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        signed_in.status().is_success(),
        "cannot sign in: {}",
        signed_in.status()
    );

    let pages = [
        ("dashboard, last 30 days", "/dashboard?window=30".to_owned()),
        (
            "dashboard, last 365 days by month",
            "/dashboard?window=365&bucket=month".to_owned(),
        ),
        ("services list (all services)", "/services".to_owned()),
        (
            "service page, last 365 days",
            "/services/svc-0001-1?window=365".to_owned(),
        ),
        (
            "services CSV, last 365 days",
            "/reports/services.csv?window=365".to_owned(),
        ),
    ];
    let mut out = vec![Timing {
        label: format!("{name}: seeding {incidents} incidents over {services} services"),
        median: seeding,
        worst: seeding,
    }];
    for (label, path) in pages {
        let mut times = Vec::new();
        for run in 0..=RUNS {
            let t = Instant::now();
            let resp = client.get(format!("{base}{path}")).send().await?;
            anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
            let body = resp.text().await?;
            anyhow::ensure!(
                !body.contains("Something went wrong"),
                "{path} failed to render"
            );
            if run > 0 {
                // The first request warms caches and connections.
                times.push(t.elapsed());
            }
        }
        times.sort();
        out.push(Timing {
            label: format!("{name}: {label}"),
            median: times[times.len() / 2],
            worst: *times.last().unwrap(),
        });
    }
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let incidents = env_u64("VIGIL_BENCH_INCIDENTS", 100_000);
    let services = env_u64("VIGIL_BENCH_SERVICES", 500);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
        let mut results = bench_backend("SQLite", &sqlite, incidents, services).await?;

        let admin_url = std::env::var("VIGIL_BENCH_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        match Database::connect(&admin_url).await {
            Ok(admin) => {
                let name = format!("vigil_bench_{}", std::process::id());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                let url = format!(
                    "{}/{name}",
                    admin_url
                        .rsplit_once('/')
                        .map_or(admin_url.as_str(), |(b, _)| b)
                );
                let outcome = bench_backend("PostgreSQL", &url, incidents, services).await;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                results.extend(outcome?);
            }
            Err(err) => eprintln!("PostgreSQL not reachable ({err}); SQLite only"),
        }
        println!("| measurement | median | slowest of {RUNS} |");
        println!("|---|---:|---:|");
        for t in results {
            println!(
                "| {} | {:.0} ms | {:.0} ms |",
                t.label,
                t.median.as_secs_f64() * 1000.0,
                t.worst.as_secs_f64() * 1000.0
            );
        }
        Ok(())
    })
}
