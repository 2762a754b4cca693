//! Reliability numbers on both backends: the reports' one read of the history gives
//! the reference implementation's numbers on a random history, error budgets on a hand-made one, and the
//! service catalogue's rules (edit conflicts, archive, delete) over HTTP.

use std::collections::HashMap;

use app::accounts::Role;
use app::catalog::entities::service;
use app::catalog::form::ServiceForm;
use app::catalog::service::{
    add_service, list_services, runbooks_for, set_archived, update_service,
};
use app::error::AppError;
use app::incidents::entities::{incident, incident_service, severity};
use app::incidents::service::declare::Declaration;
use app::incidents::service::edit::Details;
use app::incidents::service::query::{get_incident, severities};
use app::incidents::{IncidentRef, Timestamps};
use app::metrics::formulas::{self, IncidentTimes, Reliability, Span, merge_spans};
use app::metrics::report::Bucket;
use app::metrics::scan::{History, Thresholds};
use app::metrics::service::{dashboard, service_report, severity_levels};
use app::metrics::{Period, ReportQuery};
use app::seed::random::{RandomSeed, seed_random};
use app::workflow::update_details;
use app::workflow::{declare_incident, delete_service};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::support::TestApp;

backend_tests!(
    the_scanned_history_equals_the_reference_on_a_random_history,
    error_budgets_count_downtime_inside_the_slo_window,
    the_catalogue_refuses_conflicts_and_deleting_history,
    reports_render_as_pages_and_csv,
    the_demo_loads_into_an_empty_database_only,
    delivery_metrics_match_a_month_computed_by_hand,
);

const DAY: i64 = 86_400;

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-6,
        (None, None) => true,
        _ => false,
    }
}

fn assert_same(label: &str, sql: &Reliability, reference: &Reliability) {
    let ctx = format!("{label}: sql {sql:?}\nreference {reference:?}");
    assert_eq!(sql.failures, reference.failures, "{ctx}");
    assert_eq!(sql.unmitigated, reference.unmitigated, "{ctx}");
    assert_eq!(sql.downtime, reference.downtime, "{ctx}");
    for (a, b) in [
        (&sql.restore, &reference.restore),
        (&sql.resolve, &reference.resolve),
        (&sql.acknowledge, &reference.acknowledge),
        (&sql.detect, &reference.detect),
    ] {
        assert_eq!(a.count, b.count, "{ctx}");
        assert!(close(a.mean, b.mean), "{ctx}");
        assert!(close(a.median, b.median), "{ctx}");
        assert!(close(a.p90, b.p90), "{ctx}");
    }
}

/// Every incident as the reference sees it: times, severity position and services.
struct Loaded {
    times: HashMap<i64, (IncidentTimes, i32, DateTime<Utc>)>,
    services: HashMap<i64, Vec<i64>>,
    rules: HashMap<i64, Option<i32>>,
}

async fn load(app: &TestApp) -> Loaded {
    let positions: HashMap<i64, i32> = severity::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.position))
        .collect();
    let times = incident::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.merged_into_id.is_none())
        .map(|i| {
            let start = i.impact_started_at.unwrap_or(i.declared_at);
            let times = IncidentTimes {
                start: start.timestamp(),
                detected: i.detected_at.unwrap_or(i.declared_at).timestamp(),
                acknowledged: i.acknowledged_at.map(|t| t.timestamp()),
                mitigated: i.mitigated_at.map(|t| t.timestamp()),
                resolved: i.resolved_at.map(|t| t.timestamp()),
            };
            (i.id, (times, positions[&i.severity_id], i.declared_at))
        })
        .collect();
    let mut services: HashMap<i64, Vec<i64>> = HashMap::new();
    for link in incident_service::Entity::find().all(&app.db).await.unwrap() {
        services
            .entry(link.service_id)
            .or_default()
            .push(link.incident_id);
    }
    let rules = service::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.failure_severity_position))
        .collect();
    Loaded {
        times,
        services,
        rules,
    }
}

impl Loaded {
    fn of(&self, ids: impl Iterator<Item = i64>, max: Option<i32>) -> Vec<IncidentTimes> {
        ids.filter_map(|id| self.times.get(&id))
            .filter(|(_, position, _)| max.is_none_or(|m| *position <= m))
            .map(|(t, _, _)| *t)
            .collect()
    }
}

async fn the_scanned_history_equals_the_reference_on_a_random_history(app: TestApp) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    seed_random(
        &app.db,
        RandomSeed {
            incidents: 600,
            services: 7,
            seed: 42,
            days: 200,
            now,
            changes: 1_200,
        },
    )
    .await
    .unwrap();
    let end = now.timestamp();
    // Declared after the fact: inside the last 120 days, its impact entirely before them.
    let first = app::catalog::entities::service::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let late = Utc.timestamp_opt(end - 120 * DAY + 600, 0).unwrap();
    let retro = Timestamps {
        impact_started_at: Some(late - Duration::hours(3)),
        detected_at: Some(late - Duration::hours(3)),
        declared_at: late,
        acknowledged_at: None,
        mitigated_at: Some(late - Duration::hours(2)),
        resolved_at: None,
        closed_at: None,
    };
    incident_with(&app, first, 0, retro).await;
    delivery_equals_the_reference(&app, end).await;
    let data = load(&app).await;
    let levels = severity_levels(&app.db).await.unwrap();
    let thresholds = || Thresholds::new(&levels, data.rules.clone());
    let windows = [
        Span {
            start: end - 30 * DAY,
            end,
        },
        Span {
            start: end - 90 * DAY,
            end,
        },
        // Edges cut through incidents on both sides.
        Span {
            start: end - 150 * DAY + 3_600,
            end: end - 40 * DAY - 1_800,
        },
    ];
    for window in windows {
        let history = History::load(&app.db, window, None, thresholds())
            .await
            .unwrap();
        // Read in pieces of a few incidents (ranges of ids, or slices of mitigation
        // time of at least a day), the same incidents come back once each.
        let pieces = History::load_in_pieces(&app.db, window, None, thresholds(), 5)
            .await
            .unwrap();
        let ids = |h: &History| {
            let mut ids: Vec<i64> = h.incidents.iter().map(|i| i.id).collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(ids(&pieces), ids(&history), "{window:?}");
        assert_eq!(
            pieces.by_service(window, None),
            history.by_service(window, None),
            "{window:?}"
        );
        for max in [None, Some(2)] {
            // Per service: the query's threshold, else the service's own rule.
            let by_service = history.by_service(window, max);
            for (service_id, incidents) in &data.services {
                let threshold = max.or(data.rules[service_id]);
                let reference =
                    formulas::reliability(&data.of(incidents.iter().copied(), threshold), window);
                let got = by_service.get(service_id).cloned().unwrap_or(Reliability {
                    window,
                    ..Default::default()
                });
                assert_same(
                    &format!("service {service_id} {window:?} {max:?}"),
                    &got,
                    &reference,
                );
                // The same from a read of that service alone.
                let alone = History::load(&app.db, window, Some(*service_id), thresholds())
                    .await
                    .unwrap()
                    .service(*service_id, window, max);
                assert_same(&format!("service {service_id} alone"), &alone, &reference);
                if max.is_none() {
                    let expected = merge_spans(
                        data.of(incidents.iter().copied(), threshold)
                            .iter()
                            .map(|i| (i.start, i.mitigated)),
                        window,
                    );
                    let spans = history.downtime_spans(*service_id, window);
                    assert_eq!(spans, expected, "spans of {service_id}");
                }
            }
            // Overall: every incident once.
            let overall = history.overall(window, max);
            let reference =
                formulas::reliability(&data.of(data.times.keys().copied(), max), window);
            assert_same("overall", &overall, &reference);
            assert!(
                overall.failures > 0,
                "the random history has failures in {window:?}"
            );

            // Per month of the impact start.
            let months = history.monthly_restore(None, window, max);
            let mut grouped: HashMap<String, Vec<IncidentTimes>> = HashMap::new();
            for t in data.of(data.times.keys().copied(), max) {
                let start = DateTime::from_timestamp(t.start, 0).unwrap();
                if t.start >= window.start && t.start < window.end {
                    grouped
                        .entry(format!("{:04}-{:02}-01", start.year(), start.month()))
                        .or_default()
                        .push(t);
                }
            }
            assert_eq!(months.len(), grouped.len());
            for (month, incidents) in grouped {
                let got = &months[&month];
                let reference = formulas::reliability(&incidents, window);
                assert_eq!(got.count, reference.restore.count, "{month}");
                assert!(close(got.median, reference.restore.median), "{month}");
                assert!(close(got.p90, reference.restore.p90), "{month}");
            }
        }
    }

    // Incident counts per week and month by severity, by declaration.
    let window = Span {
        start: end - 120 * DAY,
        end,
    };
    let history = History::load(&app.db, window, None, thresholds())
        .await
        .unwrap();
    for bucket in [Bucket::Week, Bucket::Month] {
        let counted = history.counts_by_bucket(bucket, window);
        let mut expected: HashMap<(String, i32), i64> = HashMap::new();
        for (_, position, declared) in data.times.values() {
            let t = declared.timestamp();
            if t < window.start || t >= window.end {
                continue;
            }
            let day = declared.date_naive();
            let key = match bucket {
                Bucket::Month => format!("{:04}-{:02}-01", day.year(), day.month()),
                Bucket::Week => (day
                    - Duration::days(i64::from(day.weekday().num_days_from_monday())))
                .format("%Y-%m-%d")
                .to_string(),
            };
            *expected.entry((key, *position)).or_default() += 1;
        }
        let severity_positions: HashMap<i64, i32> = severities(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.id, s.position))
            .collect();
        let got: HashMap<(String, i32), i64> = counted
            .into_iter()
            .map(|(b, sev, n)| ((b, severity_positions[&sev]), n))
            .collect();
        assert_eq!(got, expected, "{bucket:?}");
    }
    // The late declaration is counted, though its impact is outside the window.
    assert!(
        history
            .incidents
            .iter()
            .any(|i| i.declared == late.timestamp() && i.times.mitigated < Some(window.start))
    );
}

async fn incident_at(
    app: &TestApp,
    service_id: i64,
    position: usize,
    start: DateTime<Utc>,
    minutes: Option<i64>,
) -> IncidentRef {
    let times = Timestamps {
        impact_started_at: Some(start),
        detected_at: Some(start + Duration::minutes(2)),
        declared_at: start + Duration::minutes(3),
        acknowledged_at: Some(start + Duration::minutes(4)),
        mitigated_at: minutes.map(|m| start + Duration::minutes(m)),
        resolved_at: None,
        closed_at: None,
    };
    incident_with(app, service_id, position, times).await
}

/// An incident of `service_id` at the `position`-th severity with the given times.
async fn incident_with(
    app: &TestApp,
    service_id: i64,
    position: usize,
    times: Timestamps,
) -> IncidentRef {
    let actor = app.with_user(Role::Responder).await;
    let severity_id = severities(&app.db).await.unwrap()[position].id;
    let reference = declare_incident(
        &app.db,
        &actor,
        Declaration {
            title: format!("Outage declared at {}", times.declared_at),
            severity_id: Some(severity_id),
            service_ids: vec![service_id],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let view = get_incident(&app.db, reference).await.unwrap();
    update_details(
        &app.db,
        &actor,
        reference,
        Details {
            title: view.title.clone(),
            summary: String::new(),
            customer_impact: true,
            service_ids: vec![service_id],
            times,
        },
        view.version,
    )
    .await
    .unwrap();
    reference
}

fn slo_form(name: &str, slo: &str, rule: &str) -> ServiceForm {
    ServiceForm {
        name: name.into(),
        slo_target: slo.into(),
        slo_window_days: "30".into(),
        failure_severity_position: rule.into(),
        runbooks: "Failover | https://runbooks.example.com/failover".into(),
        ..Default::default()
    }
}

async fn error_budgets_count_downtime_inside_the_slo_window(app: TestApp) {
    let admin = app::audit::service::Actor::default();
    let svc = add_service(&app.db, &admin, &slo_form("Payments", "99.9", "2"))
        .await
        .unwrap();
    let now = Utc::now();
    // 30 minutes down two days ago; a SEV3 (below the service's rule) does not count;
    // one 40 days ago is outside the 30-day SLO window.
    let counted = incident_at(&app, svc.id, 1, now - Duration::days(2), Some(30)).await;
    incident_at(&app, svc.id, 2, now - Duration::days(3), Some(120)).await;
    incident_at(&app, svc.id, 0, now - Duration::days(40), Some(600)).await;

    let report = service_report(&app.db, &svc.slug, ReportQuery::default(), now.timestamp())
        .await
        .unwrap();
    let budget = report.budget.clone().expect("the service has an SLO");
    assert!(
        (budget.budget.budget - 2_592.0).abs() < 1e-9,
        "43.2 minutes"
    );
    assert_eq!(budget.budget.consumed, 1_800);
    assert!((budget.budget.remaining - 792.0).abs() < 1e-9);
    assert!(!budget.budget.is_exhausted());
    assert_eq!(budget.spenders.len(), 1);
    assert_eq!(budget.spenders[0].reference, counted.to_string());
    assert_eq!(budget.spenders[0].impact, 1_800);
    // The burn-down starts full and ends at what remains.
    assert_eq!(budget.budget.burn_down.first().unwrap().1, 2_592.0);
    assert!((budget.budget.burn_down.last().unwrap().1 - 792.0).abs() < 1e-9);
    assert_eq!(report.reliability.failures, 1);
    assert_eq!(report.reliability.downtime, 1_800);
    assert_eq!(report.reliability.restore.mean, Some(1_800.0));

    // Another hour of SEV1 downtime overspends the budget: shown as exhausted.
    incident_at(&app, svc.id, 0, now - Duration::hours(5), Some(60)).await;
    let report = service_report(&app.db, &svc.slug, ReportQuery::default(), now.timestamp())
        .await
        .unwrap();
    let budget = report.budget.unwrap();
    assert!(budget.budget.is_exhausted());
    assert_eq!(budget.budget.exhausted_at, None);
    // An hour in the last 24 hours against 0.1% allowed: 41.67x the sustainable rate.
    assert!(
        (budget.budget.burn_rate - 3_600.0 / 86.4).abs() < 1e-6,
        "{}",
        budget.budget.burn_rate
    );

    // Asking for every severity widens the failures on the service page.
    let everything = ReportQuery {
        max_severity: Some(4),
        ..ReportQuery::default()
    };
    let report = service_report(&app.db, &svc.slug, everything, now.timestamp())
        .await
        .unwrap();
    assert_eq!(report.reliability.failures, 3);

    // A custom range with no incidents: availability 100%, means undefined.
    let quiet = ReportQuery {
        period: Period::Custom {
            from: (now - Duration::days(100)).date_naive(),
            to: (now - Duration::days(90)).date_naive(),
        },
        ..ReportQuery::default()
    };
    let report = service_report(&app.db, &svc.slug, quiet, now.timestamp())
        .await
        .unwrap();
    assert_eq!(report.reliability.availability(), Some(1.0));
    assert_eq!(report.reliability.mttf(), None);
    assert_eq!(report.reliability.restore.mean, None);
}

async fn the_catalogue_refuses_conflicts_and_deleting_history(app: TestApp) {
    let actor = app::audit::service::Actor::default();
    let svc = add_service(&app.db, &actor, &slo_form("Search", "99.5", ""))
        .await
        .unwrap();
    assert_eq!(svc.runbooks.len(), 1);
    let err = add_service(&app.db, &actor, &slo_form("search", "", ""))
        .await
        .unwrap_err();
    assert!(err.field_message("name").is_some(), "{err:?}");
    let err = add_service(&app.db, &actor, &slo_form("Other", "100", ""))
        .await
        .unwrap_err();
    assert!(err.field_message("slo_target").is_some(), "{err:?}");

    // Two admins edit the same version: the second is refused, naming the service.
    let mut renamed = slo_form("Search v2", "99.9", "");
    renamed.tier = "1".into();
    let saved = update_service(&app.db, &actor, svc.id, &renamed, svc.version)
        .await
        .unwrap();
    assert_eq!((saved.slug.as_str(), saved.tier), ("search", 1));
    let stale = update_service(
        &app.db,
        &actor,
        svc.id,
        &slo_form("Search v3", "", ""),
        svc.version,
    )
    .await
    .unwrap_err();
    assert!(matches!(stale, AppError::Conflict { .. }), "{stale:?}");

    // Runbooks show on incidents that affect the service.
    let reference = incident_at(&app, svc.id, 2, Utc::now() - Duration::hours(1), None).await;
    let view = get_incident(&app.db, reference).await.unwrap();
    let runbooks = runbooks_for(&app.db, &view.services).await.unwrap();
    assert_eq!(
        runbooks[0].runbooks[0].url,
        "https://runbooks.example.com/failover"
    );

    // With incidents it cannot be deleted, only archived; archived ones are not offered.
    let err = delete_service(&app.db, &actor, svc.id).await.unwrap_err();
    assert!(err.to_string().contains("Archive it instead"), "{err}");
    set_archived(&app.db, &actor, svc.id, true).await.unwrap();
    assert!(
        list_services(&app.db)
            .await
            .unwrap()
            .iter()
            .all(|s| s.id != svc.id)
    );
    let commander = app.with_user(Role::Responder).await;
    let severity_id = severities(&app.db).await.unwrap()[1].id;
    let err = declare_incident(
        &app.db,
        &commander,
        Declaration {
            title: "On an archived service".into(),
            severity_id: Some(severity_id),
            service_ids: vec![svc.id],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(err.field_message("service_ids").is_some());
    let unused = add_service(&app.db, &actor, &slo_form("Unused", "", ""))
        .await
        .unwrap();
    delete_service(&app.db, &actor, unused.id).await.unwrap();

    // Over HTTP: only admins add services; a bad field is a 422 naming it.
    let (responder, _) = app.signed_in(Role::Responder).await;
    let resp = app
        .call_with(
            &responder,
            "/rpc/create_service",
            &[("form[name]", "Queue")],
        )
        .await;
    assert_eq!(resp.status(), 403);
    let (admin, _) = app.signed_in(Role::Admin).await;
    let resp = app
        .call_with(
            &admin,
            "/rpc/create_service",
            &[("form[name]", "Queue"), ("form[tier]", "9")],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("tier"));
    let resp = app
        .call_with(
            &admin,
            "/rpc/create_service",
            &[
                ("form[name]", "Queue"),
                ("form[tier]", "1"),
                ("form[slo_target]", "99.9"),
                ("form[runbooks]", "https://wiki.example.com/queue"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("/services/queue"));
    let resp = app
        .call_with(
            &responder,
            "/rpc/archive_service",
            &[("id", "1"), ("slug", "x"), ("archive", "true")],
        )
        .await;
    assert_eq!(resp.status(), 403);
}

async fn reports_render_as_pages_and_csv(app: TestApp) {
    let actor = app::audit::service::Actor::default();
    let svc = add_service(&app.db, &actor, &slo_form("Checkout", "99.9", ""))
        .await
        .unwrap();
    incident_at(&app, svc.id, 0, Utc::now() - Duration::days(3), Some(45)).await;

    // Signed out: a download link sends you to sign in first.
    let resp = app.get("/reports/services.csv?window=90").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/login?next=/reports/services.csv%3Fwindow%3D90"
    );

    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let page = app
        .get_with(&viewer, "/dashboard?window=90&bucket=month")
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for needle in [
        "Incidents per month",
        "<svg",
        "Time to restore",
        "Checkout",
        "45m",
        "Error budgets most spent",
        "Show the numbers",
    ] {
        assert!(html.contains(needle), "dashboard lacks {needle}");
    }
    let page = app
        .get_with(&viewer, &format!("/services/{}", svc.slug))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for needle in [
        "SLO and error budget",
        "43m",
        "Failover",
        "MTTR (restore)",
        "Error budget burn-down",
        "What consumed the budget",
    ] {
        assert!(html.contains(needle), "service page lacks {needle}");
    }
    let page = app.get_with(&viewer, "/services").await;
    assert!(page.text().await.unwrap().contains("99.9%"));
    // Bad report parameters are shown beside their field over the default report.
    let page = app.get_with(&viewer, "/dashboard?window=7").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Choose 30, 90 or 365 days"), "{html}");
    assert!(html.contains(r#"aria-describedby="report-window-error""#));
    assert!(html.contains("All services, the last 30 days"));

    let csv = app
        .get_with(&viewer, "/reports/services.csv?window=30")
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("service,owner_team,tier"), "{text}");
    assert!(text.contains("Checkout,,2,false,1,0,2700,"), "{text}");
    let csv = app
        .get_with(&viewer, "/reports/incidents.csv?bucket=week")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("period_start,SEV1,SEV2,SEV3,SEV4,total"),
        "{csv}"
    );
    let csv = app
        .get_with(&viewer, &format!("/services/{}/budget.csv", svc.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains(",SEV1,2700"), "{csv}");
    let resp = app
        .get_with(&viewer, "/reports/restore.csv?window=12")
        .await;
    assert_eq!(resp.status(), 422);
    let resp = app.get_with(&viewer, "/services/nope/budget.csv").await;
    assert_eq!(resp.status(), 404);
}

async fn the_demo_loads_into_an_empty_database_only(app: TestApp) {
    let now = Utc::now();
    let demo = app::seed::demo::seed_demo(&app.db, now).await.unwrap();
    assert_eq!(demo.services, 5);
    let d = dashboard(
        &app.db,
        ReportQuery {
            period: Period::Last(90),
            ..ReportQuery::default()
        },
        now.timestamp(),
    )
    .await
    .unwrap();
    assert_eq!(d.overall.failures, demo.incidents as i64);
    assert_eq!(d.overall.unmitigated, 2);
    assert!(!d.burn_downs.is_empty());
    // The severe stories were paged by alerts; two lesser alerts were only recorded.
    let alerts = app::alerts::service::admin_view(&app.db).await.unwrap();
    assert_eq!(alerts.sources.len(), 1);
    assert!(
        alerts
            .recent
            .iter()
            .filter(|a| a.incident.is_some())
            .count()
            >= 2
    );
    assert_eq!(
        alerts
            .recent
            .iter()
            .filter(|a| a.action == app::alerts::AlertAction::Recorded)
            .count(),
        2
    );
    // A deploy history, and the deploy behind the first outage: confirmed, rolled back.
    assert!(demo.changes >= 100, "{} changes", demo.changes);
    let caused = app::changes::service::list_changes(
        &app.db,
        &app::changes::service::ChangeFilter {
            caused_incident: Some(true),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .changes;
    assert_eq!(caused.len(), 1);
    assert_eq!(caused[0].outcome, app::changes::ChangeOutcome::RolledBack);
    assert_eq!(caused[0].incidents[0].cause, app::changes::Cause::Confirmed);
    let before =
        app::changes::service::changes_before(&app.db, caused[0].incidents[0].incident, 24)
            .await
            .unwrap();
    assert!(before.changes.iter().any(|c| c.id == caused[0].id));
    // The public page is on: four components, the stories customers noticed published
    // at the moments they happened, one still open, maintenance announced.
    let page = app::status::service::public_view(&app.db, Utc::now())
        .await
        .unwrap()
        .expect("the demo switches the status page on");
    assert_eq!(page.status.components.len(), 4);
    assert_eq!(page.history.len(), 6);
    assert_eq!(page.status.open.len(), 1);
    assert_eq!(page.status.open[0].title, "Delayed payment notifications");
    let oldest = page.history.last().unwrap();
    assert!(
        oldest.published_at < now - chrono::Duration::days(80),
        "{oldest:?}"
    );
    assert_eq!(oldest.updates.len(), 4);
    assert!(oldest.updates[0].at > oldest.updates[3].at, "newest first");
    let payments = page
        .status
        .components
        .iter()
        .find(|c| c.name == "Payments")
        .unwrap();
    assert!(payments.uptime < 1.0);
    assert!(payments.days.iter().filter(|d| d.worst.is_some()).count() >= 3);
    // Maintenance announced for Search, not under way yet.
    assert_eq!(page.status.maintenance.len(), 1);
    let upgrade = &page.status.maintenance[0];
    assert_eq!(upgrade.phase, app::status::MaintenancePhase::Scheduled);
    assert_eq!(upgrade.components[0].1, "Search");
    assert!(upgrade.starts_at > now);
    // Two playbooks on the services that break; the search one followed to the end,
    // its ticks inside the outage.
    let playbooks = app::playbooks::service::list_playbooks(&app.db, false)
        .await
        .unwrap();
    assert_eq!(playbooks.len(), 2);
    assert!(playbooks.iter().all(|p| p.times_used >= 2), "{playbooks:?}");
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let outage = app::incidents::entities::incident::Entity::find()
        .filter(app::incidents::entities::incident::Column::Title.starts_with("Shakespeare"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let followed = app::playbooks::service::incident_playbooks(
        &app.db,
        app::incidents::IncidentRef(outage.id),
    )
    .await
    .unwrap()
    .checklists;
    assert_eq!(followed.len(), 1);
    assert_eq!(followed[0].title, "Search cascading failure");
    assert_eq!(followed[0].done(), followed[0].steps.len());
    for step in &followed[0].steps {
        let at = step.done.as_ref().unwrap().at;
        assert!(
            at > outage.declared_at && Some(at) < outage.mitigated_at,
            "{step:?}"
        );
    }
    // The demo's rule ran on every customer-facing outage, once each, on its timeline.
    let runs = app::incidents::entities::timeline_event::Entity::find()
        .filter(
            app::incidents::entities::timeline_event::Column::Kind
                .eq(app::incidents::EventKind::RuleRan),
        )
        .all(&app.db)
        .await
        .unwrap();
    assert!(!runs.is_empty());
    assert!(
        runs.iter().all(|e| e.body.starts_with(
            r"Rule **Customer\-facing outages\: tell customers** ran (an incident is declared): added the action item Send the customer follow\-up letter; drafted a status page update"
        )),
        "{:?}",
        runs.first().map(|e| &e.body)
    );
    let again = app::seed::demo::seed_demo(&app.db, now).await.unwrap_err();
    assert!(matches!(again, AppError::Conflict { .. }), "{again:?}");
}

/// October 2026 for one service, by hand: ten deploys that reached production (each
/// committed 3 h before it started and finished 30 min after), one of them the confirmed
/// cause of an outage mitigated in 90 minutes; a failed pipeline, a config change and a
/// September deploy that do not count.
async fn delivery_metrics_match_a_month_computed_by_hand(app: TestApp) {
    use app::changes::service::{NewChange, link_cause, record};
    use app::changes::{Cause, ChangeKind, ChangeOutcome};
    let payments = app::catalog::service::create_service(&app.db, "Payments", None)
        .await
        .unwrap();
    let actor = app.with_user(Role::Responder).await;
    let at = |day: u32, hour: u32| Utc.with_ymd_and_hms(2026, 10, day, hour, 0, 0).unwrap();
    let deploy = |started: DateTime<Utc>, kind: ChangeKind, outcome: ChangeOutcome| NewChange {
        kind: Some(kind),
        title: format!("Deploy at {started}"),
        started_at: Some(started),
        finished_at: Some(started + Duration::minutes(30)),
        committed_at: Some(started - Duration::hours(3)),
        outcome: Some(outcome),
        services: vec![payments.slug.clone()],
        ..Default::default()
    };
    let mut ids = Vec::new();
    for day in 1..=10 {
        let recorded = record(
            &app.db,
            None,
            &deploy(at(day, 12), ChangeKind::Deploy, ChangeOutcome::Succeeded),
        )
        .await
        .unwrap();
        ids.push(recorded.change.id);
    }
    for extra in [
        deploy(at(11, 12), ChangeKind::Deploy, ChangeOutcome::Failed),
        deploy(at(12, 12), ChangeKind::Config, ChangeOutcome::Succeeded),
        deploy(
            Utc.with_ymd_and_hms(2026, 9, 20, 12, 0, 0).unwrap(),
            ChangeKind::Deploy,
            ChangeOutcome::Succeeded,
        ),
    ] {
        record(&app.db, None, &extra).await.unwrap();
    }
    let outage = incident_at(&app, payments.id, 1, at(5, 13), Some(90)).await;
    link_cause(&app.db, &actor, outage, ids[4], Some(Cause::Confirmed))
        .await
        .unwrap();

    let (_, token) = crate::api::token_for(&app, Role::Viewer, "30").await;
    let path = format!(
        "/api/v1/services/{}/delivery?window=custom&from=2026-10-01&to=2026-10-30",
        payments.slug
    );
    let (status, d) = crate::api::api(&app, reqwest::Method::GET, &path, Some(&token), None).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["deploys"], 10);
    assert_eq!(d["failed"], 1);
    assert!(
        (d["per_day"].as_f64().unwrap() - 10.0 / 30.0).abs() < 1e-9,
        "{d}"
    );
    assert_eq!(d["frequency_band"], "high");
    assert_eq!(d["lead_time"]["median"], 3.5 * 3600.0);
    assert_eq!(d["lead_time"]["count"], 10);
    assert_eq!(d["lead_time_band"], "elite");
    assert_eq!(d["change_failure_rate"], 0.1);
    assert_eq!(d["failure_band"], "high");
    assert_eq!(d["restore"]["median"], 90.0 * 60.0);
    assert_eq!(d["restore_band"], "high");
    // Weeks from Monday 2026-09-28: 4 deploys that week (1-4 Oct), 6 the next, one failed.
    let periods = d["periods"].as_array().unwrap();
    assert_eq!(periods[0]["bucket"], "2026-09-28");
    assert_eq!(
        (periods[0]["fine"].as_i64(), periods[0]["failed"].as_i64()),
        (Some(4), Some(0))
    );
    assert_eq!(
        (periods[1]["fine"].as_i64(), periods[1]["failed"].as_i64()),
        (Some(5), Some(1))
    );
    assert_eq!(periods[0]["lead_time_median"], 3.5 * 3600.0);
    // The failure rate and time to restore per period: the outage started on 5 Oct.
    assert_eq!(periods[0]["change_failure_rate"], 0.0);
    assert!(periods[0]["restore_median"].is_null(), "{d}");
    assert_eq!(periods[1]["change_failure_rate"], 1.0 / 6.0);
    assert_eq!(periods[1]["restore_median"], 90.0 * 60.0);
    // A month without deploys says so rather than showing zeros.
    let (_, empty) = crate::api::api(
        &app,
        reqwest::Method::GET,
        &format!(
            "/api/v1/services/{}/delivery?window=custom&from=2026-08-01&to=2026-08-31",
            payments.slug
        ),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(empty["deploys"], 0);
    assert!(
        empty["per_day"].is_null()
            && empty["change_failure_rate"].is_null()
            && empty["frequency_band"].is_null()
    );
    for bad in [
        "window=7",
        "window=custom&from=2026-13-01&to=2026-10-01",
        "bucket=year",
    ] {
        let (status, _) = crate::api::api(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/services/{}/delivery?{bad}", payments.slug),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 422, "{bad}");
    }
    let (status, _) = crate::api::api(
        &app,
        reqwest::Method::GET,
        "/api/v1/services/nowhere/delivery",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // The service page and the dashboard show the same numbers; the CSV has the weeks.
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let query = "window=custom&from=2026-10-01&to=2026-10-30";
    let page = app
        .get_with(&viewer, &format!("/services/{}?{query}", payments.slug))
        .await
        .text()
        .await
        .unwrap();
    for text in [
        "Deployment frequency",
        "2.3 a week",
        "High (State of DevOps 2023)",
        "10%",
        "1 of 10 deploys",
        // The strip: every kind of change in the window, and the outage.
        "12 changes on 12 days, 1 linked to an incident; 1 incident.",
        "2026-10-05: 1 change, 1 linked to an incident",
    ] {
        assert!(page.contains(text), "{text}");
    }
    let dashboard = app
        .get_with(&viewer, &format!("/dashboard?{query}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(dashboard.contains("Delivery, every service") && dashboard.contains("2.3 a week"));
    let csv = app
        .get_with(
            &viewer,
            &format!("/services/{}/delivery.csv?{query}", payments.slug),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with(
            "period_start,deploys,caused_an_incident,lead_time_median_s,change_failure_rate,restore_median_s\r\n2026-09-28,4,0,12600,0.0000,\r\n2026-10-05,6,1,12600,0.1667,5400\r\n"
        ),
        "{csv}"
    );
}

/// The delivery read (SQL) against the formula run over the seeded entities, for one
/// service and for all, over two windows.
async fn delivery_equals_the_reference(app: &TestApp, end: i64) {
    use app::changes::entities::{change, change_service, incident_change};
    use app::changes::{ChangeKind, ChangeOutcome};
    use app::metrics::delivery::{CausedIncident, DeployFact, delivery};
    use std::collections::HashSet;
    let changes = change::Entity::find().all(&app.db).await.unwrap();
    let links = change_service::Entity::find().all(&app.db).await.unwrap();
    let causes = incident_change::Entity::find().all(&app.db).await.unwrap();
    let incidents = incident::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(changes.len(), 1_200);
    assert!(!causes.is_empty(), "some seeded deploys caused incidents");
    let services: HashMap<i64, i64> = links.iter().map(|l| (l.change_id, l.service_id)).collect();
    let by_id: HashMap<i64, &change::Model> = changes.iter().map(|c| (c.id, c)).collect();
    let caused_ids: HashSet<i64> = causes.iter().map(|c| c.change_id).collect();
    let service = links[0].service_id;
    for window in [
        Span {
            start: end - 30 * DAY,
            end,
        },
        Span {
            start: end - 200 * DAY,
            end,
        },
    ] {
        for scope in [Some(service), None] {
            let in_scope = |c: &change::Model| {
                c.kind == ChangeKind::Deploy
                    && scope.is_none_or(|s| services.get(&c.id) == Some(&s))
            };
            let deploys: Vec<DeployFact> = changes
                .iter()
                .filter(|c| {
                    in_scope(c) && c.started_secs >= window.start && c.started_secs < window.end
                })
                .map(|c| DeployFact {
                    at: c.started_secs,
                    finished: c.finished_secs,
                    committed: c.committed_secs,
                    reached_production: matches!(
                        c.outcome,
                        ChangeOutcome::Succeeded | ChangeOutcome::RolledBack
                    ),
                    caused_incident: caused_ids.contains(&c.id),
                })
                .collect();
            let caused_by: HashSet<i64> = causes
                .iter()
                .filter(|k| by_id.get(&k.change_id).is_some_and(|c| in_scope(c)))
                .map(|k| k.incident_id)
                .collect();
            let caused: Vec<CausedIncident> = incidents
                .iter()
                .filter(|i| caused_by.contains(&i.id))
                .map(|i| CausedIncident {
                    start: i.impact_started_at.unwrap_or(i.declared_at).timestamp(),
                    mitigated: i.mitigated_at.map(|t| t.timestamp()),
                })
                .collect();
            let expected = delivery(window, &deploys, &caused);
            let got = app::metrics::deploys::delivery_report(&app.db, scope, window, Bucket::Week)
                .await
                .unwrap();
            assert_eq!(got.delivery, expected, "{scope:?} {window:?}");
            // PostgreSQL answers the read a day a piece (`pack::pieces_by_day`), so no
            // message, and no connection's buffer, grows with the window; SQLite in one.
            let backend = app.db.get_database_backend();
            let pieces = app
                .db
                .query_all_raw(app::metrics::deploys::deploys_statement(
                    backend, scope, window,
                ))
                .await
                .unwrap()
                .len();
            let days: HashSet<i64> = deploys.iter().map(|d| d.at.div_euclid(DAY)).collect();
            let expected_pieces = match backend {
                sea_orm::DatabaseBackend::Postgres => days.len(),
                _ => 1,
            };
            assert!(days.len() > 1, "deploys on several days");
            assert_eq!(pieces, expected_pieces, "{scope:?} {window:?}");
            assert_eq!(
                got.buckets.iter().map(|b| b.fine + b.failed).sum::<i64>(),
                expected.deploys,
                "every deploy in a period"
            );
        }
    }
}
