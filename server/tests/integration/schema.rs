use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement,
    TransactionTrait,
};
use sea_orm_migration::SchemaManager;

use crate::support::TestApp;

backend_tests!(
    every_migration_rolls_back_and_reapplies,
    a_migration_cut_short_leaves_the_schema_as_it_was,
    epoch_seconds_follow_every_change_of_an_incidents_times,
    the_list_reads_each_part_through_the_open_incidents_index,
    a_year_of_deploys_is_read_from_their_own_index_alone,
    a_note_edited_before_versions_keeps_its_earlier_text,
);

/// Each migration's `down` undoes its `up`: roll everything back, check the tables are
/// gone, and apply again.
async fn every_migration_rolls_back_and_reapplies(app: TestApp) {
    // One connection of its own: SQLite keeps a schema cache per connection, and a pool
    // connection that read the schema before the last migration ran can take an index
    // that migration dropped for one that still exists ("already exists" on rollback).
    let mut options = ConnectOptions::new(app.database_url());
    options.max_connections(1);
    let db = Database::connect(options).await.unwrap();
    let manager = SchemaManager::new(&db);
    assert!(manager.has_table("settings").await.unwrap());

    Migrator::down(&db, None)
        .await
        .expect("every migration rolls back");
    assert!(!manager.has_table("settings").await.unwrap());
    assert!(
        Migrator::get_applied_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );

    Migrator::up(&db, None)
        .await
        .expect("every migration reapplies");
    assert!(manager.has_table("settings").await.unwrap());
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Every table, column, index and trigger, as text to compare.
async fn schema_of(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type AS item \
             FROM information_schema.columns WHERE table_schema = 'public' \
             UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes \
             WHERE schemaname = 'public' \
             UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal \
             UNION ALL SELECT 'function ' || proname FROM pg_proc p \
             JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
        }
        _ => "SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS item FROM sqlite_master",
    };
    let mut items: Vec<String> = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "item").unwrap())
        .collect();
    items.sort();
    items
}

/// Every migration runs in one transaction, its record included, on both backends: a
/// process killed after some of its statements leaves the schema as it was, and the next
/// start applies the migration whole. Each migration is run in a transaction that is then
/// abandoned (as a killed process's is), and the schema compared with the one before.
async fn a_migration_cut_short_leaves_the_schema_as_it_was(app: TestApp) {
    let mut options = ConnectOptions::new(app.database_url());
    options.max_connections(1);
    let db = Database::connect(options).await.unwrap();
    Migrator::down(&db, None).await.unwrap();
    for migration in Migrator::migrations() {
        let name = migration.name().to_owned();
        assert_eq!(migration.use_transaction(), Some(true), "{name}");
        let before = schema_of(&db).await;
        let txn = db.begin().await.unwrap();
        migration
            .up(&SchemaManager::new(&txn))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        txn.rollback().await.unwrap();
        assert_eq!(schema_of(&db).await, before, "{name} left a part behind");
        Migrator::up(&db, Some(1))
            .await
            .unwrap_or_else(|e| panic!("{name} after being cut short: {e}"));
    }
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The reports read integer epoch seconds the database keeps (migrations 19 and 20): they must
/// follow the timestamps on insert and on every later change, whoever writes.
async fn epoch_seconds_follow_every_change_of_an_incidents_times(app: TestApp) {
    use app::incidents::service::edit::Details;
    use app::incidents::service::query::get_incident;
    use app::workflow::update_details;
    use chrono::{TimeZone, Utc};

    let actor = app.with_user(app::accounts::Role::Responder).await;
    let reference = app.declared_at(&actor, "Disk full", 1).await;
    let epochs = || async {
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!(
                    "SELECT start_secs, detect_secs, ack_secs, mitigate_secs, resolve_secs, declare_secs \
                     FROM incidents WHERE id = {}",
                    reference.0
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        (0..6)
            .map(|i| row.try_get_by_index::<Option<i64>>(i).unwrap())
            .collect::<Vec<_>>()
    };
    let incident = get_incident(&app.db, reference).await.unwrap();
    // Rounded to the nearest second, as the reports always read them.
    let declared = (incident.times.declared_at.timestamp_millis() as f64 / 1000.0).round() as i64;
    // Without an impact start or a detection time, both are the declaration.
    assert_eq!(
        epochs().await,
        vec![
            Some(declared),
            Some(declared),
            None,
            None,
            None,
            Some(declared)
        ]
    );

    let at = |h| Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap();
    let mut times = incident.times.clone();
    times.impact_started_at = Some(at(1));
    times.detected_at = Some(at(2));
    times.declared_at = at(3);
    times.acknowledged_at = Some(at(4));
    times.mitigated_at = Some(at(5));
    times.resolved_at = Some(at(6));
    update_details(
        &app.db,
        &actor,
        reference,
        Details {
            title: incident.title.clone(),
            summary: String::new(),
            customer_impact: false,
            service_ids: incident.services.iter().map(|s| s.id).collect(),
            times,
        },
        incident.version,
    )
    .await
    .unwrap();
    let expected: Vec<Option<i64>> = [1, 2, 4, 5, 6, 3]
        .into_iter()
        .map(|h| Some(at(h).timestamp()))
        .collect();
    assert_eq!(epochs().await, expected);
    // A hand-run fix in SQL is followed too.
    app.db
        .execute_unprepared(&format!(
            "UPDATE incidents SET impact_started_at = NULL WHERE id = {}",
            reference.0
        ))
        .await
        .unwrap();
    assert_eq!(epochs().await[0], Some(at(3).timestamp()));
    // Seconds written wrong beside a time are corrected, all of them (migration 38 runs
    // SQLite's triggers only when some column differs from what they compute).
    app.db
        .execute_unprepared(&format!(
            "UPDATE incidents SET declare_secs = 7, ack_secs = NULL, \
             resolved_at = resolved_at WHERE id = {}",
            reference.0
        ))
        .await
        .unwrap();
    let expected: Vec<Option<i64>> = [3, 2, 4, 5, 6, 3]
        .into_iter()
        .map(|h| Some(at(h).timestamp()))
        .collect();
    assert_eq!(epochs().await, expected);
}

/// The list's statements, as the code builds them, read an index in the list's order
/// and stop: the first page reads `idx_incidents_open_declared` from its end, a page from
/// a position seeks the index to it (both parts, both directions), and a status filter
/// reads its own index. Neither backend sorts, and neither scans from the part's start to
/// the position (SQLite would otherwise sort the table on every page without a word).
async fn the_list_reads_each_part_through_the_open_incidents_index(app: TestApp) {
    use app::incidents::service::query::list_read;
    use app::incidents::{IncidentFilter, ListCursor, Status};
    use chrono::Utc;
    use sea_orm::QueryTrait;

    let backend = app.db.get_database_backend();
    let postgres = backend == sea_orm::DatabaseBackend::Postgres;
    let txn = app.db.begin().await.unwrap();
    if postgres {
        // An empty table is scanned (or sorted) whatever the indexes; ask whether an
        // index can give the rows in order, as it must once the table is large.
        for setting in ["enable_seqscan", "enable_sort", "enable_incremental_sort"] {
            txn.execute_unprepared(&format!("SET LOCAL {setting} = off"))
                .await
                .unwrap();
        }
    }
    let at = |open| ListCursor {
        open,
        declared_at: Utc::now(),
        id: 5,
    };
    let every = IncidentFilter::default();
    let resolved = IncidentFilter {
        status: Some(Status::Resolved),
        ..Default::default()
    };
    let mut reads = vec![("the first page", &every, None, None, true)];
    for open in [true, false] {
        for forward in [true, false] {
            reads.push((
                "a page from a position",
                &every,
                Some(open),
                Some(at(open)),
                forward,
            ));
        }
    }
    reads.push(("a status filter's first page", &resolved, None, None, true));
    reads.push((
        "a status filter's page",
        &resolved,
        Some(false),
        Some(at(false)),
        true,
    ));
    for (name, filter, part, bound, forward) in reads {
        let statement = list_read(backend, filter, part, bound, forward, 26)
            .unwrap()
            .build(backend);
        let plan = plan(&txn, &statement).await;
        let case = format!(
            "{name} (part {part:?}, forward {forward}):\n{}\n{plan}",
            statement.sql
        );
        if filter.status.is_none() {
            assert!(plan.contains("idx_incidents_open_declared"), "{case}");
        }
        assert!(plan.contains("INDEX") || plan.contains("Index"), "{case}");
        assert!(!plan.contains("TEMP B-TREE"), "no sort: {case}");
        assert!(!plan.contains("Sort"), "no sort: {case}");
        if bound.is_some() {
            let seeks = if postgres {
                plan.contains("Index Cond") && plan.contains("ROW(declared_at, id)")
            } else {
                plan.contains("declared_at<") || plan.contains("declared_at>")
            };
            assert!(seeks, "seeks the position: {case}");
        }
    }
    txn.rollback().await.unwrap();
}

/// The delivery metrics over every service read the deploys' own partial index and
/// nothing else: through the start index each row was looked up in the wide changes
/// table, ten times the time at 160,000 deploys.
async fn a_year_of_deploys_is_read_from_their_own_index_alone(app: TestApp) {
    use app::metrics::formulas::Span;

    let backend = app.db.get_database_backend();
    let postgres = backend == sea_orm::DatabaseBackend::Postgres;
    let txn = app.db.begin().await.unwrap();
    if postgres {
        // An empty table is scanned whatever the indexes; ask what a large one gets.
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
        txn.execute_unprepared("SET LOCAL enable_bitmapscan = off")
            .await
            .unwrap();
    }
    let statement = app::metrics::deploys::deploys_statement(
        backend,
        None,
        Span {
            start: 1_700_000_000,
            end: 1_700_000_000 + 365 * 86_400,
        },
    );
    let plan = plan(&txn, &statement).await;
    let only_index = if postgres {
        plan.contains("Index Only Scan using idx_changes_deploys")
    } else {
        plan.contains("COVERING INDEX idx_changes_deploys")
    };
    assert!(only_index, "{}\n{plan}", statement.sql);
    txn.rollback().await.unwrap();
}

/// The plan the database chooses for `statement`, one line per step.
async fn plan(txn: &sea_orm::DatabaseTransaction, statement: &sea_orm::Statement) -> String {
    let postgres = txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let explain = if postgres {
        "EXPLAIN"
    } else {
        "EXPLAIN QUERY PLAN"
    };
    let explained = Statement::from_sql_and_values(
        txn.get_database_backend(),
        format!("{explain} {}", statement.sql),
        statement.values.clone().map(|v| v.0).unwrap_or_default(),
    );
    let column = if postgres { "QUERY PLAN" } else { "detail" };
    txn.query_all_raw(explained)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", column).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The timeline reads earlier texts only for notes whose version is above 1; a note edited
/// before notes had versions (migration 23 set every one to 1) is raised by migration 39,
/// so its earlier text still shows.
async fn a_note_edited_before_versions_keeps_its_earlier_text(app: TestApp) {
    use app::accounts::Role;
    use app::incidents::service::timeline::{NewNote, add_note, edit_note, timeline};

    let scribe = app.with_user(Role::Responder).await;
    let reference = app.declared(&scribe, "Queue backlog").await;
    let mut notes = Vec::new();
    for body in ["Consumers stalled", "Backlog draining"] {
        let note = NewNote {
            body: body.into(),
            ..Default::default()
        };
        notes.push(add_note(&app.db, &scribe, reference, note).await.unwrap());
    }
    let (edited, untouched) = (&notes[0], &notes[1]);
    edit_note(
        &app.db,
        &scribe,
        reference,
        edited.id,
        "Consumers stalled on a poison message",
        edited.version,
    )
    .await
    .unwrap();
    let revisions = |events: Vec<app::incidents::TimelineEventView>, id: i64| {
        events.into_iter().find(|e| e.id == id).unwrap().revisions
    };
    let shown = timeline(&app.db, reference, Role::Responder).await.unwrap();
    assert_eq!(revisions(shown, edited.id), ["Consumers stalled"]);

    // As a database edited before migration 23 has it: the earlier text, version 1.
    app.db
        .execute_unprepared(&format!(
            "UPDATE timeline_events SET version = 1 WHERE id = {}",
            edited.id
        ))
        .await
        .unwrap();
    let shown = timeline(&app.db, reference, Role::Responder).await.unwrap();
    assert!(
        revisions(shown, edited.id).is_empty(),
        "read only for versions above 1"
    );

    let mut options = ConnectOptions::new(app.database_url());
    options.max_connections(1);
    let db = Database::connect(options).await.unwrap();
    Migrator::down(&db, Some(1)).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let shown = timeline(&app.db, reference, Role::Responder).await.unwrap();
    let version = |id: i64| shown.iter().find(|e| e.id == id).unwrap().version;
    assert_eq!(version(edited.id), 2, "raised once");
    assert_eq!(version(untouched.id), 1, "a note never edited stays");
    assert_eq!(revisions(shown, edited.id), ["Consumers stalled"]);
}
