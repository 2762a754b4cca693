//! A server killed in the middle of an alert storm and a wave of declarations (SIGKILL: no
//! shutdown, no flush) loses nothing it answered: after a restart on the same database
//! every acknowledged write is there and whole, the database is intact, the kept report
//! blocks still equal the tables, and alerts sent again still open one incident a group.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::accounts::Role;
use app::alerts::entities::alert;
use app::incidents::service::query::severities;
use app::metrics::formulas::Span;
use app::metrics::scan::{History, Thresholds};
use app::metrics::service::severity_levels;
use app::notifications::outbox::{self, deliver_due};
use app::notifications::service::{ChannelForm, create_channel};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, Statement};
use serde_json::{Value, json};

use crate::support::served::Served;
use crate::support::{Backend, TestApp};

backend_tests!(
    a_killed_server_loses_nothing_it_answered,
    connections_the_database_dropped_send_no_one_to_the_sign_in_page,
);

/// Writers of each kind, all at once.
const WRITERS: usize = 4;
/// Acknowledged writes of each kind to wait for before the kill.
const BEFORE_KILL: usize = 24;

fn firing(group: &str) -> Value {
    let alert = crate::alerts::am_alert("firing", "host-1", &format!("{group}-host-1"));
    crate::alerts::alertmanager_group(group, &format!("{group} failing"), "firing", json!([alert]))
}

/// What the writers were told: the declarations created (title, reference) and the
/// alert groups answered, beside every group sent (some are in flight at the kill).
#[derive(Default)]
struct Acknowledged {
    declared: Vec<(String, String)>,
    alerted: Vec<String>,
    sent: Vec<String>,
    refused: Vec<String>,
}

/// Sends until the server stops answering: a connection error ends the writer, any answer
/// other than success is recorded as refused (none is expected).
async fn declarer(
    base: String,
    token: String,
    (severity, service): (i64, i64),
    me: usize,
    ack: Arc<Mutex<Acknowledged>>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    for n in 0.. {
        let title = format!("Crash writer {me} declaration {n}");
        let body = json!({
            "title": title,
            "severity_id": severity,
            "service_ids": [service],
            "summary": "before the kill",
        });
        let Ok(res) = client
            .post(format!("{base}/api/v1/incidents"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        else {
            return;
        };
        let status = res.status();
        let Ok(answer) = res.json::<Value>().await else {
            return;
        };
        let mut ack = ack.lock().unwrap();
        match (status.as_u16(), answer["reference"].as_str()) {
            (201, Some(reference)) => ack.declared.push((title, reference.to_owned())),
            _ => ack.refused.push(format!("declare: {status} {answer}")),
        }
    }
}

async fn alerter(base: String, token: String, me: usize, ack: Arc<Mutex<Acknowledged>>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    for n in 0.. {
        let group = format!("Crash{me}x{n}");
        ack.lock().unwrap().sent.push(group.clone());
        let Ok(res) = client
            .post(format!("{base}/hooks/alerts"))
            .bearer_auth(&token)
            .json(&firing(&group))
            .send()
            .await
        else {
            return;
        };
        let status = res.status();
        let Ok(answer) = res.text().await else {
            return;
        };
        let mut ack = ack.lock().unwrap();
        if status == 200 {
            ack.alerted.push(group);
        } else {
            ack.refused.push(format!("alert: {status} {answer}"));
        }
    }
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    Count::find_by_statement(Statement::from_string(app.db.get_database_backend(), sql))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .n
}

async fn a_killed_server_loses_nothing_it_answered(app: TestApp) {
    let (_, token) = crate::api::token_for(&app, Role::Responder, "30").await;
    let (alert_token, service) = crate::alerts::source(&app, "alertmanager", false).await;
    // SEV3: declared without a postmortem to write.
    let severity = severities(&app.db).await.unwrap()[2].id;
    // Every declaration is told to a webhook: its notice is written with it, and the
    // outbox of the killed server (and of the next) must send each one.
    let (hook, received, _) = crate::support::receiver::receiver(200).await;
    let admin = app.with_user(Role::Admin).await;
    create_channel(
        &app.db,
        &admin,
        ChannelForm {
            name: "every declaration".into(),
            kind: "webhook".into(),
            url: hook,
            events: vec!["incident.declared".into()],
            ..Default::default()
        },
        false,
        None,
    )
    .await
    .unwrap();
    let mut served = Served::start(app.database_url(), &["--allow-private-webhooks"]).await;

    let ack = Arc::new(Mutex::new(Acknowledged::default()));
    let mut writers = Vec::new();
    for me in 0..WRITERS {
        let base = served.base.clone();
        writers.push(tokio::spawn(declarer(
            base.clone(),
            token.clone(),
            (severity, service),
            me,
            ack.clone(),
        )));
        writers.push(tokio::spawn(alerter(
            base,
            alert_token.clone(),
            me,
            ack.clone(),
        )));
    }
    let started = Instant::now();
    loop {
        {
            let ack = ack.lock().unwrap();
            if ack.declared.len() >= BEFORE_KILL && ack.alerted.len() >= BEFORE_KILL {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the writers were not answered"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    served.kill();
    for writer in writers {
        tokio::time::timeout(Duration::from_secs(30), writer)
            .await
            .expect("every writer stops once the server is gone")
            .unwrap();
    }
    let ack = std::mem::take(&mut *ack.lock().unwrap());
    assert!(ack.refused.is_empty(), "refused: {:?}", ack.refused);

    if app.backend == Backend::Sqlite {
        let check = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(check.try_get_by_index::<String>(0).unwrap(), "ok");
    }

    // The restart: migrations see a current schema, the server is ready.
    let restarted = Instant::now();
    let served = Served::start(app.database_url(), &["--allow-private-webhooks"]).await;
    let restart = restarted.elapsed();
    assert!(
        restart < Duration::from_secs(10),
        "restart took {restart:?}"
    );

    // Every declaration answered is there, under the reference it was given.
    let client = reqwest::Client::new();
    for (title, reference) in &ack.declared {
        let res = client
            .get(served.url(&format!("/api/v1/incidents/{reference}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{reference} lost");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["title"], title.as_str(), "{reference}");
    }

    // Whole, never half-written: each incident has its declaration event and its service.
    for (table, part) in [
        ("timeline_events", "its timeline"),
        ("incident_services", "its service"),
    ] {
        let orphans = count(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM incidents i WHERE NOT EXISTS \
                 (SELECT 1 FROM {table} t WHERE t.incident_id = i.id)"
            ),
        )
        .await;
        assert_eq!(orphans, 0, "incidents without {part}");
    }

    // Every alert answered opened its group's incident; sending every group again (those
    // in flight at the kill included) opens none twice.
    let stored = alert::Entity::find().all(&app.db).await.unwrap();
    for group in &ack.alerted {
        let of_group: Vec<_> = stored
            .iter()
            .filter(|a| a.fingerprint == format!("{group}-host-1"))
            .collect();
        assert_eq!(of_group.len(), 1, "{group}");
        assert!(of_group[0].incident_id.is_some(), "{group} opened nothing");
    }
    for group in &ack.sent {
        let res = client
            .post(served.url("/hooks/alerts"))
            .bearer_auth(&alert_token)
            .json(&firing(group))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{group} again");
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(DISTINCT incident_id) AS n FROM alerts WHERE incident_id IS NOT NULL"
        )
        .await as usize,
        ack.sent.len(),
        "one incident a group, after the restart too"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM alerts").await as usize,
        ack.sent.len(),
        "one alert a group"
    );

    // The reports' kept blocks (raised by triggers in the writes' transactions) equal a
    // read straight from the tables.
    let now = chrono::Utc::now().timestamp();
    let window = Span {
        start: now - 30 * 86_400,
        end: now + 3_600,
    };
    let levels = severity_levels(&app.db).await.unwrap();
    let kept = History::load(&app.db, window, None, Thresholds::new(&levels, []))
        .await
        .unwrap();
    let direct = History::load_in_pieces(&app.db, window, None, Thresholds::new(&levels, []), 64)
        .await
        .unwrap();
    assert_eq!(kept.incidents.len(), direct.incidents.len());
    assert_eq!(kept.overall(window, None), direct.overall(window, None));

    // Each declaration answered reaches the webhook, once the lease of a delivery the
    // killed server had claimed runs out (the next worker takes it then).
    let sender = outbox::client(true).unwrap();
    let later = chrono::Utc::now() + chrono::Duration::minutes(5);
    while deliver_due(&app.db, &sender, &served.base, later)
        .await
        .unwrap()
        > 0
    {}
    let told: HashSet<String> = received
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(_, body)| serde_json::from_str::<Value>(body).ok())
        .filter_map(|body| body["incident"]["reference"].as_str().map(str::to_owned))
        .collect();
    for (_, reference) in &ack.declared {
        assert!(told.contains(reference), "{reference} was never told");
    }

    // And the next declaration is the next reference, not a reused one.
    let res = client
        .post(served.url("/api/v1/incidents"))
        .bearer_auth(&token)
        .json(&json!({"title": "After the restart", "severity_id": severity, "service_ids": [service]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let after: Value = res.json().await.unwrap();
    let number = |r: &str| r.trim_start_matches("INC-").parse::<i64>().unwrap();
    let newest = ack.declared.iter().map(|(_, r)| number(r)).max().unwrap();
    assert!(number(after["reference"].as_str().unwrap()) > newest);
}

/// PostgreSQL restarted or failed over (here: every connection of the pool ended by the
/// server). Before, each dead pooled connection failed one request, and a request whose
/// session read failed was taken for a signed-out visitor: 16 responders in a row were
/// sent to the sign-in page. Now the first request that meets a dead connection is a 503
/// to try again, the pool checks every connection it hands out for a while, and no one is
/// signed out. (SQLite's file cannot hang up: there the requests simply succeed.)
async fn connections_the_database_dropped_send_no_one_to_the_sign_in_page(app: TestApp) {
    let (client, _) = app.signed_in(Role::Responder).await;
    let pages = (0..16).map(|_| app.get_with(&client, "/incidents"));
    for page in futures_util::future::join_all(pages).await {
        assert_eq!(page.status(), 200);
    }
    if app.backend == Backend::Postgres {
        let database = app.database_url().rsplit('/').next().unwrap().to_owned();
        let admin = sea_orm::Database::connect(crate::support::database::postgres_admin_url())
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{database}' AND pid <> pg_backend_pid()"
            ))
            .await
            .unwrap();
    }
    let mut answers = Vec::new();
    for _ in 0..24 {
        let page = app.get_with(&client, "/incidents").await;
        let status = page.status().as_u16();
        if status == 503 {
            assert!(page.headers().contains_key("retry-after"));
        }
        answers.push(status);
    }
    assert!(
        answers.iter().all(|s| [200, 503].contains(s)),
        "{answers:?}"
    );
    let failed = answers.iter().filter(|s| **s != 200).count();
    assert!(failed <= 2, "{failed} of 24 failed: {answers:?}");
    assert_eq!(answers.last(), Some(&200), "{answers:?}");
}
