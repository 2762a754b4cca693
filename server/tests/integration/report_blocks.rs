//! The packed blocks the reports keep (migration 36): a history read from them equals
//! one read straight from the tables after every kind of write a report reads, and
//! while writers run, on both backends.

use app::incidents::entities::{incident, incident_service};
use app::metrics::formulas::Span;
use app::metrics::report::Bucket;
use app::metrics::scan::{History, Thresholds};
use app::metrics::service::severity_levels;
use app::seed::random::{RandomSeed, seed_random};
use chrono::{Duration, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel,
    QueryFilter, QueryOrder, Set, Statement,
};

use crate::support::TestApp;

backend_tests!(
    kept_blocks_follow_every_write_a_report_reads,
    kept_blocks_stay_exact_while_writers_run,
);

const DAY: i64 = 86_400;

/// A random history of 100 days, with a second block of ids (from 9,000) after it.
async fn seeded(app: &TestApp) -> Span {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    let seed = |incidents, seed| RandomSeed {
        incidents,
        services: 5,
        seed,
        days: 100,
        now,
        changes: 0,
    };
    seed_random(&app.db, seed(250, 7)).await.unwrap();
    // One incident at id 9,000 (a copy of the first): the next seed continues after it.
    let first = incident::Entity::find()
        .order_by_asc(incident::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut copy = first.into_active_model();
    copy.id = Set(9000);
    copy.insert(&app.db).await.unwrap();
    seed_random(&app.db, seed(120, 8)).await.unwrap();
    let end = now.timestamp();
    // 90 of 100 days: the reports read every block.
    Span {
        start: end - 90 * DAY,
        end,
    }
}

/// Blocks whose packed value is missing or older than their last write.
async fn stale(app: &TestApp) -> i64 {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    Count::find_by_statement(Statement::from_string(
        app.db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM report_blocks b \
         LEFT JOIN report_block_packs p ON p.block = b.block \
         WHERE p.built_version IS NULL OR p.built_version <> b.version",
    ))
    .one(&app.db)
    .await
    .unwrap()
    .unwrap()
    .n
}

/// The history from the kept blocks equals the one read from the tables, and every block
/// is kept current after the read.
async fn same(app: &TestApp, window: Span, label: &str) {
    let levels = severity_levels(&app.db).await.unwrap();
    let thresholds = || Thresholds::new(&levels, []);
    let kept = History::load(&app.db, window, None, thresholds())
        .await
        .unwrap();
    let direct = History::load_in_pieces(&app.db, window, None, thresholds(), 64)
        .await
        .unwrap();
    let ids = |h: &History| {
        let mut ids: Vec<i64> = h.incidents.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids(&kept), ids(&direct), "{label}");
    assert!(
        ids(&kept).iter().any(|id| *id > 9000),
        "{label}: both blocks read"
    );
    assert_eq!(
        kept.by_service(window, None),
        direct.by_service(window, None),
        "{label}"
    );
    assert_eq!(
        kept.by_service(window, Some(1)),
        direct.by_service(window, Some(1)),
        "{label}"
    );
    assert_eq!(
        kept.overall(window, None),
        direct.overall(window, None),
        "{label}"
    );
    assert_eq!(
        kept.counts_by_bucket(Bucket::Week, window),
        direct.counts_by_bucket(Bucket::Week, window),
        "{label}"
    );
    assert_eq!(stale(app).await, 0, "{label}: kept after the read");
}

/// Incidents in id order: the first and the last of each block.
async fn incidents(app: &TestApp) -> Vec<incident::Model> {
    incident::Entity::find()
        .order_by_asc(incident::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn kept_blocks_follow_every_write_a_report_reads(app: TestApp) {
    let window = seeded(&app).await;
    assert!(
        stale(&app).await >= 2,
        "the seed's blocks are not packed yet"
    );
    same(&app, window, "first read").await;
    same(&app, window, "read from the kept blocks").await;

    let all = incidents(&app).await;
    let (low, high) = (&all[3], all.last().unwrap());
    let severities = severity_levels(&app.db).await.unwrap();
    // Mitigated later (the epoch columns follow the timestamp on both backends).
    let later = high.mitigated_at.unwrap_or(high.declared_at) + Duration::hours(5);
    incident::ActiveModel {
        id: Set(high.id),
        mitigated_at: Set(Some(later)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    assert!(stale(&app).await > 0, "a mitigation raises its block");
    same(&app, window, "mitigated later").await;

    // Open again: no mitigation.
    incident::ActiveModel {
        id: Set(low.id),
        mitigated_at: Set(None),
        resolved_at: Set(None),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    assert!(stale(&app).await > 0);
    same(&app, window, "reopened").await;

    // Another severity.
    let other = severities
        .iter()
        .find(|s| s.id != low.severity_id)
        .unwrap()
        .id;
    incident::ActiveModel {
        id: Set(low.id),
        severity_id: Set(other),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    assert!(stale(&app).await > 0);
    same(&app, window, "severity").await;

    // A service linked and another unlinked.
    let links = incident_service::Entity::find().all(&app.db).await.unwrap();
    let linked: Vec<i64> = links
        .iter()
        .filter(|l| l.incident_id == high.id)
        .map(|l| l.service_id)
        .collect();
    let service = links
        .iter()
        .map(|l| l.service_id)
        .find(|s| !linked.contains(s))
        .unwrap();
    incident_service::ActiveModel {
        incident_id: Set(high.id),
        service_id: Set(service),
    }
    .insert(&app.db)
    .await
    .unwrap();
    assert!(stale(&app).await > 0);
    same(&app, window, "service linked").await;
    incident_service::Entity::delete_many()
        .filter(incident_service::Column::IncidentId.eq(low.id))
        .exec(&app.db)
        .await
        .unwrap();
    assert!(stale(&app).await > 0);
    same(&app, window, "services unlinked").await;

    // Merged into another: no longer counted.
    incident::ActiveModel {
        id: Set(all[5].id),
        merged_into_id: Set(Some(all[6].id)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    assert!(stale(&app).await > 0);
    same(&app, window, "merged").await;

    // Gone.
    incident_service::Entity::delete_many()
        .filter(incident_service::Column::IncidentId.eq(all[8].id))
        .exec(&app.db)
        .await
        .unwrap();
    same(&app, window, "before the delete").await;
    app.db
        .execute_unprepared(&format!("DELETE FROM incidents WHERE id = {}", all[8].id))
        .await
        .unwrap();
    assert!(stale(&app).await > 0);
    same(&app, window, "deleted").await;

    // A write that changes nothing a report reads keeps the blocks.
    incident::ActiveModel {
        id: Set(high.id),
        title: Set("Renamed".into()),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    assert_eq!(stale(&app).await, 0, "a title is not read by the reports");

    // A current block is read back as kept, not packed again: emptied behind the
    // triggers' back, its incidents are missing from the next read.
    app.db
        .execute_unprepared(&format!(
            "UPDATE report_block_packs SET incidents = NULL, links = NULL WHERE block = {}",
            9000 / app::metrics::scan::BLOCK
        ))
        .await
        .unwrap();
    let levels = severity_levels(&app.db).await.unwrap();
    let kept = History::load(&app.db, window, None, Thresholds::new(&levels, []))
        .await
        .unwrap();
    assert!(kept.incidents.iter().all(|i| i.id < 9000));
}

async fn kept_blocks_stay_exact_while_writers_run(app: TestApp) {
    let window = seeded(&app).await;
    same(&app, window, "first read").await;
    let all = incidents(&app).await;
    let writers = (0..4).map(|w| {
        let db = app.db.clone();
        let targets: Vec<incident::Model> = all.iter().skip(w).step_by(37).cloned().collect();
        tokio::spawn(async move {
            for (n, target) in targets.iter().enumerate() {
                let at = target.declared_at + Duration::minutes(10 + n as i64 + w as i64);
                app::db::retrying(|| async {
                    let write = app::db::begin_write(&db).await?;
                    incident::ActiveModel {
                        id: Set(target.id),
                        mitigated_at: Set(Some(at)),
                        ..Default::default()
                    }
                    .update(&*write)
                    .await?;
                    write.commit().await?;
                    Ok(())
                })
                .await
                .unwrap();
            }
        })
    });
    let writers: Vec<_> = writers.collect();
    let levels = severity_levels(&app.db).await.unwrap();
    for _ in 0..6 {
        History::load(&app.db, window, None, Thresholds::new(&levels, []))
            .await
            .unwrap();
    }
    for writer in writers {
        writer.await.unwrap();
    }
    same(&app, window, "after the writers").await;
}
