//! Scheduled maintenance through the real routes, as the /maintenance page's forms post
//! it: announced, in progress (its components under maintenance unless an incident is
//! worse), ended early or called off; refused for viewers, by field for bad input, and
//! by version for a stale edit; counted as downtime, when chosen, on the page's uptime
//! and the reliability pages alike.

use app::accounts::Role;
use app::catalog::service::create_service;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::{add_component, public, switch_on};
use crate::support::TestApp;

backend_tests!(
    maintenance_is_announced_runs_and_ends_on_the_public_page,
    maintenance_that_counts_is_downtime_on_the_page_and_the_reliability_pages,
    a_refused_windows_errors_show_in_its_own_form_without_javascript,
);

/// A `datetime-local` value in UTC (the zone of a client that reported none).
fn local(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}

/// The form as the page posts it.
fn form<'a>(
    title: &'a str,
    starts: &'a str,
    ends: &'a str,
    components: &'a [String],
    counts: bool,
    version: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("form[title]", title),
        ("form[body]", "Checkout may pause for **a few seconds**."),
        ("form[starts_at]", starts),
        ("form[ends_at]", ends),
    ];
    form.extend(
        components
            .iter()
            .map(|c| ("form[components][]", c.as_str())),
    );
    if counts {
        form.push(("form[counts_against_slo]", "on"));
    }
    if let Some(version) = version {
        form.push(("form[version]", version));
    }
    form
}

async fn json(app: &TestApp, path: &str) -> Value {
    let (status, _, body) = public(app, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

async fn maintenance_is_announced_runs_and_ends_on_the_public_page(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let checkout = create_service(&app.db, "checkout", None).await.unwrap();
    let search = create_service(&app.db, "search", None).await.unwrap();
    let component = add_component(&app, &admin, &checkout.slug, "Checkout").await;
    add_component(&app, &admin, &search.slug, "Search").await;
    let chosen = [component.to_string()];
    let now = Utc::now();
    let (starts, ends) = (
        local(now + Duration::hours(2)),
        local(now + Duration::hours(4)),
    );

    // Viewers read the list but change nothing.
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let refused = app
        .call_with(
            &viewer,
            "/rpc/schedule_maintenance",
            &form("Database upgrade", &starts, &ends, &chosen, false, None),
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        app.call_with(&viewer, "/rpc/maintenance_board", &[])
            .await
            .status(),
        200
    );

    // Bad input is refused field by field, and nothing is saved.
    let (responder, _) = app.signed_in(Role::Responder).await;
    let long = "x".repeat(201);
    let month = local(now + Duration::days(40));
    let unknown = ["999999".to_owned()];
    type Form<'a> = Vec<(&'a str, &'a str)>;
    let cases: [(Form, &[&str]); 4] = [
        (
            form("", &ends, &starts, &[], false, None),
            &["title", "ends_at", "components"],
        ),
        (
            form(&long, "yesterday", "", &unknown, false, None),
            &["title", "starts_at", "ends_at"],
        ),
        (
            form("Too long", &starts, &month, &chosen, false, None),
            &["ends_at"],
        ),
        (
            form("Unknown component", &starts, &ends, &unknown, false, None),
            &["components"],
        ),
    ];
    for (bad, fields) in cases {
        let response = app
            .call_with(&responder, "/rpc/schedule_maintenance", &bad)
            .await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.unwrap();
        for field in fields {
            assert!(
                body.contains(&format!("\"field\":\"{field}\"")),
                "{field}: {body}"
            );
        }
    }
    assert!(
        app::status::service::maintenances(&app.db, now)
            .await
            .unwrap()
            .is_empty()
    );

    // Announced: listed on the page and in Statuspage's shape; nothing is under
    // maintenance yet.
    let response = app
        .call_with(
            &responder,
            "/rpc/schedule_maintenance",
            &form("Database upgrade", &starts, &ends, &chosen, false, None),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let id = app::status::service::maintenances(&app.db, Utc::now())
        .await
        .unwrap()[0]
        .id;
    let (_, _, page) = public(&app, "/status").await;
    assert!(page.contains("Scheduled maintenance"), "{page}");
    assert!(page.contains("Database upgrade"), "{page}");
    assert!(page.contains("<strong>a few seconds</strong>"), "{page}");
    assert!(page.contains("All systems operational"), "{page}");
    let summary = json(&app, "/status/api/v2/summary.json").await;
    let announced = &summary["scheduled_maintenances"][0];
    assert_eq!(announced["status"], "scheduled");
    assert_eq!(announced["impact"], "maintenance");
    assert_eq!(announced["name"], "Database upgrade");
    assert_eq!(announced["components"][0]["name"], "Checkout");
    assert_eq!(
        announced["scheduled_for"].as_str().unwrap()[..16],
        starts[..16]
    );
    assert_eq!(summary["components"][0]["status"], "operational");
    let listed = json(&app, "/status/api/v2/scheduled-maintenances.json").await;
    assert_eq!(listed["scheduled_maintenances"][0]["id"], format!("m{id}"));

    // Moved to start an hour ago: in progress, its component under maintenance. An
    // edit from the version before is refused.
    let (started, _) = (local(now - Duration::hours(1)), ());
    let id_text = id.to_string();
    let mut moved = form(
        "Database upgrade",
        &started,
        &ends,
        &chosen,
        true,
        Some("1"),
    );
    moved.push(("id", &id_text));
    let response = app
        .call_with(&responder, "/rpc/edit_maintenance", &moved)
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let stale = app
        .call_with(&responder, "/rpc/edit_maintenance", &moved)
        .await;
    assert_eq!(stale.status(), 409);
    let (_, _, page) = public(&app, "/status").await;
    assert!(page.contains("Maintenance in progress"), "{page}");
    assert!(page.contains("data-state=\"under_maintenance\""), "{page}");
    let summary = json(&app, "/status/api/v2/summary.json").await;
    assert_eq!(summary["status"]["indicator"], "maintenance");
    assert_eq!(summary["components"][0]["status"], "under_maintenance");
    assert_eq!(summary["components"][1]["status"], "operational");
    assert_eq!(
        summary["scheduled_maintenances"][0]["status"],
        "in_progress"
    );
    let (status, _, own) = public(&app, &format!("/status/maintenance/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        own.contains("In progress") && own.contains("Affects Checkout"),
        "{own}"
    );
    assert!(!own.contains("SLO"), "internal: {own}");

    // An incident on the same component is worse than maintenance: it wins.
    let commander = app.with_user(Role::Responder).await;
    let severity_id = app::incidents::service::query::severities(&app.db)
        .await
        .unwrap()[0]
        .id;
    let reference = app::workflow::declare_incident(
        &app.db,
        &commander,
        app::incidents::service::declare::Declaration {
            title: "checkout down".into(),
            severity_id: Some(severity_id),
            service_ids: vec![checkout.id],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let post = app::status::Publication {
        title: Some("Checkout unavailable".into()),
        state: "investigating".into(),
        components: Some(vec![component]),
        body: "Looking into it.".into(),
        ..Default::default()
    };
    app::status::service::publish(&app.db, &commander, reference, &post)
        .await
        .unwrap();
    let summary = json(&app, "/status/api/v2/summary.json").await;
    assert_eq!(summary["components"][0]["status"], "major_outage");

    // Ended early: off the page, its own page says so, and it can change no more.
    let response = app
        .call_with(
            &responder,
            "/rpc/finish_maintenance",
            &[("id", &id_text), ("version", "2")],
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let summary = json(&app, "/status/api/v2/summary.json").await;
    assert_eq!(summary["scheduled_maintenances"], serde_json::json!([]));
    let (_, _, own) = public(&app, &format!("/status/maintenance/{id}")).await;
    assert!(own.contains("Completed"), "{own}");
    let again = app
        .call_with(
            &responder,
            "/rpc/finish_maintenance",
            &[("id", &id_text), ("version", "3")],
        )
        .await;
    assert_eq!(again.status(), 409);

    // One not started yet is called off: gone from the page, its link still answers.
    let later = (
        local(now + Duration::days(2)),
        local(now + Duration::days(3)),
    );
    let response = app
        .call_with(
            &responder,
            "/rpc/schedule_maintenance",
            &form("Network work", &later.0, &later.1, &chosen, false, None),
        )
        .await;
    assert_eq!(response.status(), 200);
    let other = app::status::service::maintenances(&app.db, Utc::now())
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.title == "Network work")
        .unwrap()
        .id
        .to_string();
    let response = app
        .call_with(
            &responder,
            "/rpc/finish_maintenance",
            &[("id", &other), ("version", "1")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let (_, _, page) = public(&app, "/status").await;
    assert!(!page.contains("Network work"), "{page}");
    let (_, _, own) = public(&app, &format!("/status/maintenance/{other}")).await;
    assert!(own.contains("Called off"), "{own}");
    assert_eq!(public(&app, "/status/maintenance/999999").await.0, 404);
    assert_eq!(public(&app, "/status/maintenance/x").await.0, 404);
}

/// A window that counts is downtime on the component's uptime and on its service's
/// reliability page, equally; one that does not colours its days but costs nothing.
async fn maintenance_that_counts_is_downtime_on_the_page_and_the_reliability_pages(app: TestApp) {
    use app::metrics::report::{Period, ReportQuery};

    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let checkout = create_service(&app.db, "checkout", None).await.unwrap();
    let search = create_service(&app.db, "search", None).await.unwrap();
    let counted = add_component(&app, &admin, &checkout.slug, "Checkout").await;
    let free = add_component(&app, &admin, &search.slug, "Search").await;
    let (responder, _) = app.signed_in(Role::Responder).await;
    let now = Utc::now();
    let (starts, ends) = (
        local(now - Duration::hours(3)),
        local(now + Duration::hours(1)),
    );
    for (title, component, counts) in [("Counted", counted, true), ("Free", free, false)] {
        let response = app
            .call_with(
                &responder,
                "/rpc/schedule_maintenance",
                &form(
                    title,
                    &starts,
                    &ends,
                    &[component.to_string()],
                    counts,
                    None,
                ),
            )
            .await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    for m in app::status::service::maintenances(&app.db, Utc::now())
        .await
        .unwrap()
    {
        let response = app
            .call_with(
                &responder,
                "/rpc/finish_maintenance",
                &[("id", &m.id.to_string()), ("version", "1")],
            )
            .await;
        assert_eq!(response.status(), 200);
    }

    let at = Utc::now();
    let report = |slug: String| {
        let db = app.db.clone();
        async move {
            app::metrics::service::service_report(
                &db,
                &slug,
                ReportQuery {
                    period: Period::Last(90),
                    ..Default::default()
                },
                at.timestamp(),
            )
            .await
            .unwrap()
        }
    };
    let checkout_report = report(checkout.slug.clone()).await;
    let search_report = report(search.slug.clone()).await;
    let started = DateTime::parse_from_rfc3339(&format!("{starts}:00Z"))
        .unwrap()
        .timestamp();
    let down = checkout_report.reliability.downtime;
    assert!(
        (at.timestamp() - started - 2..=at.timestamp() - started).contains(&down),
        "three hours and the seconds since, not {down}"
    );
    assert_eq!(checkout_report.reliability.failures, 0, "no failure");
    assert_eq!(search_report.reliability.downtime, 0);

    let view = app::status::service::public_view(&app.db, at)
        .await
        .unwrap()
        .unwrap();
    let shown = |id: i64| view.status.components.iter().find(|c| c.id == id).unwrap();
    assert_eq!(
        shown(counted).uptime,
        checkout_report.reliability.availability().unwrap(),
        "the two must agree"
    );
    assert_eq!(shown(free).uptime, 1.0);
    let today = shown(free).days.last().unwrap();
    let earlier = &shown(free).days[shown(free).days.len() - 2];
    assert!(
        [today.worst, earlier.worst].contains(&Some(app::status::ComponentState::Maintenance)),
        "the window colours its day"
    );
    assert_eq!(
        shown(free).days.iter().map(|d| d.down).sum::<i64>(),
        0,
        "and costs nothing"
    );
}

/// Every window's edit form posts to one server function; without JavaScript the refusal
/// comes back keyed to the window sent and shows, open, in its form beside the fields.
async fn a_refused_windows_errors_show_in_its_own_form_without_javascript(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let checkout = create_service(&app.db, "checkout", None).await.unwrap();
    let chosen = [add_component(&app, &admin, &checkout.slug, "Checkout")
        .await
        .to_string()];
    let now = Utc::now();
    let (starts, ends) = (
        local(now + Duration::hours(2)),
        local(now + Duration::hours(4)),
    );
    let (responder, _) = app.signed_in(Role::Responder).await;
    for title in ["Database upgrade", "Cache resize"] {
        let res = app
            .call_with(
                &responder,
                "/rpc/schedule_maintenance",
                &form(title, &starts, &ends, &chosen, false, None),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    let windows = app::status::service::maintenances(&app.db, now)
        .await
        .unwrap();
    let second = windows.iter().find(|m| m.title == "Cache resize").unwrap();
    let first = windows.iter().find(|m| m.title != "Cache resize").unwrap();
    let id = second.id.to_string();
    let mut bad = form("", &ends, &starts, &chosen, false, Some("1"));
    bad.push(("id", &id));
    let html = app
        .post_without_js(&responder, "/rpc/edit_maintenance", "/maintenance", &bad)
        .await;
    let mine = TestApp::part(&html, &format!("id=\"maintenance-{id}\""), "</li>");
    assert!(mine.contains("field--invalid"), "{mine}");
    assert!(
        mine.contains("<details open class=\"maintenance__edit\""),
        "{mine}"
    );
    let theirs = TestApp::part(&html, &format!("id=\"maintenance-{}\"", first.id), "</li>");
    assert!(!theirs.contains("field__error"), "{theirs}");
    assert!(!theirs.contains("field--invalid"), "{theirs}");
    let list = TestApp::part(&html, "maintenance-ahead-title", "<ul");
    assert!(
        !list.contains("alert--error"),
        "nothing above the list: {list}"
    );
    let after = app::status::service::maintenances(&app.db, now)
        .await
        .unwrap();
    assert!(
        after
            .iter()
            .any(|m| m.title == "Cache resize" && m.version == 1)
    );
}
