//! Many writers at once, as in an incident with many responders and an alert storm: no
//! write may fail because another one is running (SQLite's "database is locked"), nothing
//! may be lost, and deduplication stays exact.

use app::accounts::{CurrentUser, Role};
use app::action_items::entities::action_item;
use app::action_items::service::{ItemFields, create_action_item};
use app::alerts::entities::alert;
use app::incidents::entities::{incident, timeline_event};
use app::incidents::service::query::get_incident;
use app::incidents::service::timeline::{NewNote, add_note};
use app::incidents::{IncidentRef, Status};
use app::notifications::entities::delivery;
use app::notifications::outbox::{self, deliver_due};
use app::notifications::service::{ChannelForm, create_channel};
use app::postmortems::service::query::get_postmortem;
use app::postmortems::service::write::{PostmortemEdit, save_postmortem};
use app::workflow::change_status;
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::postmortems::started;
use crate::support::TestApp;

backend_tests!(
    many_responders_writing_at_once_lose_nothing,
    an_alert_storm_opens_one_incident_per_group,
    a_write_that_cannot_get_through_is_a_503_to_retry,
    a_transaction_cancelled_as_it_begins_loses_no_later_write,
);

const WRITERS: usize = 16;
const ROUNDS: usize = 4;

/// One responder's share: declare, note, move on, add an action item, save the
/// postmortem, round after round, all at once with the others.
async fn responder(
    app: &TestApp,
    me: &CurrentUser,
    shared: IncidentRef,
    mine: IncidentRef,
) -> Result<(), String> {
    for round in 0..ROUNDS {
        let declared = app
            .declared_at(me, &format!("{} round {round}", me.display_name), 2)
            .await;
        add_note(
            &app.db,
            me,
            shared,
            NewNote {
                body: format!("{} checked dashboards ({round})", me.display_name),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("note: {e}"))?;
        let version = get_incident(&app.db, declared)
            .await
            .map_err(|e| e.to_string())?
            .version;
        change_status(&app.db, me, declared, Status::Investigating, None, version)
            .await
            .map_err(|e| format!("status: {e}"))?;
        create_action_item(
            &app.db,
            me,
            shared,
            ItemFields {
                title: format!("Follow up {} {round}", me.display_name),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("action item: {e}"))?;
        let pm = get_postmortem(&app.db, mine, Role::Responder)
            .await
            .map_err(|e| e.to_string())?;
        let section = pm.sections[0].id;
        save_postmortem(
            &app.db,
            me,
            mine,
            PostmortemEdit {
                title: None,
                sections: vec![(section, format!("Draft {round}"))],
            },
            pm.version,
        )
        .await
        .map_err(|e| format!("postmortem: {e}"))?;
    }
    Ok(())
}

async fn many_responders_writing_at_once_lose_nothing(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    create_channel(
        &app.db,
        &admin,
        ChannelForm {
            name: "incidents".into(),
            kind: "webhook".into(),
            url: "https://hooks.invalid/vigil".into(),
            events: vec!["incident.declared".into(), "incident.status_changed".into()],
            ..Default::default()
        },
        false,
        None,
    )
    .await
    .unwrap();
    let shared = app.declared_at(&admin, "Checkout down", 1).await;
    let mut people = Vec::new();
    for _ in 0..WRITERS {
        let me = app.with_user(Role::Responder).await;
        let mine = started(&app, &me, "Own postmortem").await;
        people.push((me, mine));
    }
    let before = delivery::Entity::find().count(&app.db).await.unwrap();

    // Two outbox workers claim and record deliveries while the responders write.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (db, stop) = (app.db.clone(), stop.clone());
            tokio::spawn(async move {
                let client = outbox::client(false).unwrap();
                let mut errors = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    if let Err(e) =
                        deliver_due(&db, &client, "https://vigil.example", Utc::now()).await
                    {
                        errors.push(e.to_string());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                errors
            })
        })
        .collect();

    let results = futures_util::future::join_all(
        people
            .iter()
            .map(|(me, mine)| responder(&app, me, shared, *mine)),
    )
    .await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let errors: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    assert!(errors.is_empty(), "writes failed: {errors:?}");
    for worker in workers {
        let errors = worker.await.unwrap();
        assert!(errors.is_empty(), "the outbox failed: {errors:?}");
    }

    let total = WRITERS * ROUNDS;
    let notes = timeline_event::Entity::find()
        .filter(timeline_event::Column::IncidentId.eq(shared.0))
        .filter(timeline_event::Column::Kind.eq("note"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(notes as usize, total, "every note is kept");
    let items = action_item::Entity::find()
        .filter(action_item::Column::IncidentId.eq(shared.0))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(items as usize, total, "every action item is kept");
    let open = incident::Entity::find()
        .filter(incident::Column::Status.eq("investigating"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(open as usize, total, "every status change is kept");
    let queued = delivery::Entity::find().count(&app.db).await.unwrap() - before;
    assert_eq!(
        queued as usize,
        2 * total,
        "one delivery per declaration and per status change"
    );
    for (me, mine) in &people {
        let pm = get_postmortem(&app.db, *mine, Role::Responder)
            .await
            .unwrap();
        assert_eq!(
            pm.sections[0].body,
            format!("Draft {}", ROUNDS - 1),
            "{}'s last save is kept",
            me.display_name
        );
    }
}

/// 16 senders post the alerts of 30 groups, 4 instances each, every alert twice from
/// different senders: every post is answered 200, one incident per group, one stored
/// alert per instance that counts the repeat.
async fn an_alert_storm_opens_one_incident_per_group(app: TestApp) {
    const GROUPS: usize = 30;
    const INSTANCES: usize = 4;
    // Critical alerts open an incident at the top severity.
    let (token, _) = crate::alerts::source(&app, "alertmanager", false).await;

    let posts: Vec<(usize, usize)> = (0..2)
        .flat_map(|_| (0..INSTANCES).flat_map(|i| (0..GROUPS).map(move |g| (g, i))))
        .collect();
    let client = reqwest::Client::new();
    let sender = |share: Vec<(usize, usize)>| {
        let (client, token, url) = (client.clone(), token.clone(), app.url("/hooks/alerts"));
        async move {
            let mut failures = Vec::new();
            for (g, i) in share {
                let alert =
                    crate::alerts::am_alert("firing", &format!("host-{i}"), &format!("g{g}-i{i}"));
                let body = crate::alerts::alertmanager_group(
                    &format!("Group{g}"),
                    &format!("Group {g} failing"),
                    "firing",
                    json!([alert]),
                );
                let res = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                if res.status() != 200 {
                    failures.push(format!("{}: {}", res.status(), res.text().await.unwrap()));
                }
            }
            failures
        }
    };
    let shares: Vec<Vec<(usize, usize)>> = (0..WRITERS)
        .map(|s| posts.iter().copied().skip(s).step_by(WRITERS).collect())
        .collect();
    let failures: Vec<String> = futures_util::future::join_all(shares.into_iter().map(sender))
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(
        failures.is_empty(),
        "{} posts failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );

    assert_eq!(
        incident::Entity::find().count(&app.db).await.unwrap() as usize,
        GROUPS,
        "one incident per group"
    );
    let stored = alert::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(
        stored.len(),
        GROUPS * INSTANCES,
        "one stored alert per instance"
    );
    assert!(
        stored.iter().all(|a| a.repeats == 1),
        "each alert counts its repeat"
    );
}

/// When another writer holds the database longer than a write can wait (SQLite's busy
/// timeout) or two writers deadlock (PostgreSQL), the answer is a 503 with `Retry-After`
/// and the JSON error body, never a 500: the client may send the same write again.
async fn a_write_that_cannot_get_through_is_a_503_to_retry(app: TestApp) {
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    let (client, _) = app.signed_in(Role::Responder).await;
    let responder = app.with_user(Role::Responder).await;
    let first = app.declared_at(&responder, "First", 2).await;
    let second = app.declared_at(&responder, "Second", 2).await;
    match app.db.get_database_backend() {
        DbBackend::Sqlite => {
            let holder = app::db::begin_write(&app.db).await.unwrap();
            holder
                .execute_unprepared("UPDATE incidents SET version = version")
                .await
                .unwrap();
            let severity = app::incidents::service::query::severities(&app.db)
                .await
                .unwrap()[2]
                .id;
            let res = client
                .post(app.url("/api/v1/incidents"))
                .json(&json!({
                    "title": "Blocked",
                    "severity_id": severity,
                    "service_ids": [get_incident(&app.db, first).await.unwrap().services[0].id],
                }))
                .send()
                .await
                .unwrap();
            holder.rollback().await.unwrap();
            assert_eq!(res.status(), 503);
            assert!(res.headers().contains_key("retry-after"));
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "busy", "{body}");
        }
        _ => {
            // Two transactions take two rows in opposite order: PostgreSQL ends one.
            let update =
                |id: i64| format!("UPDATE incidents SET version = version WHERE id = {id}");
            let a = app.db.begin().await.unwrap();
            let b = app.db.begin().await.unwrap();
            a.execute_unprepared(&update(first.0)).await.unwrap();
            b.execute_unprepared(&update(second.0)).await.unwrap();
            let (a_second, b_first) = (update(second.0), update(first.0));
            let (ra, rb) = tokio::join!(
                a.execute_unprepared(&a_second),
                b.execute_unprepared(&b_first)
            );
            let failed = [ra.err(), rb.err()].into_iter().flatten().next();
            let err = failed.expect("PostgreSQL detects the deadlock");
            assert!(app::error::is_contention(&err), "{err}");
            assert_eq!(
                app::error::AppError::from(err),
                app::error::AppError::Busy(app::error::CONTENTION.into())
            );
            let _ = a.rollback().await;
            let _ = b.rollback().await;
        }
    }
}

/// A request whose client hangs up while its transaction is beginning must not leave the
/// pooled connection inside that transaction: the next borrower's writes would run in it
/// and never be committed (sqlx 0.9.0 did this on PostgreSQL, sqlx#4393). One connection
/// in the pool, so the next borrower is the same connection; each `begin` is polled once
/// and dropped, and after each a write must be visible to another pool.
async fn a_transaction_cancelled_as_it_begins_loses_no_later_write(app: TestApp) {
    use sea_orm::sqlx::postgres::PgPoolOptions;
    use sea_orm::sqlx::sqlite::SqlitePoolOptions;
    use sea_orm::{
        ConnectionTrait, DatabaseConnection, DbBackend, SqlxPostgresConnector, SqlxSqliteConnector,
        TransactionTrait,
    };
    let backend = app.db.get_database_backend();
    let one: DatabaseConnection = match backend {
        DbBackend::Postgres => SqlxPostgresConnector::from_sqlx_postgres_pool(
            PgPoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect(app.database_url())
                .await
                .unwrap(),
        ),
        _ => SqlxSqliteConnector::from_sqlx_sqlite_pool(
            SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect(app.database_url())
                .await
                .unwrap(),
        ),
    };
    app.db
        .execute_unprepared("CREATE TABLE cancel_probe (n INTEGER NOT NULL)")
        .await
        .unwrap();
    let insert = |n: u64| format!("INSERT INTO cancel_probe (n) VALUES ({n})");
    let mut cancelled = 0;
    for n in 0..40 {
        // Polled once: the BEGIN is sent, its answer not yet read, and the request is gone.
        match futures_util::FutureExt::now_or_never(one.begin()) {
            None => cancelled += 1,
            Some(txn) => txn.unwrap().rollback().await.unwrap(),
        }
        one.execute_unprepared(&insert(n)).await.unwrap();
        let seen = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM cancel_probe WHERE n = {n}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(seen, 1, "the write after cancelled begin {n} was lost");
    }
    assert!(
        cancelled > 0,
        "no begin was cancelled: the test tried nothing"
    );
}
