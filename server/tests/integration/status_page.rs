//! The public status page on both backends: off until an admin switches it on; an
//! incident published from its page (plain form posts, as without JavaScript) shows on
//! the components it names, in the state its severity maps to or the commander chose;
//! updates move it on until resolved; two people posting at once never overwrite each
//! other; and nothing internal (titles, notes, people, services not shown) reaches any
//! public answer.

use app::accounts::Role;
use app::catalog::service::create_service;
use app::incidents::EventKind;
use app::incidents::service::declare::Declaration;
use app::incidents::service::query::severities;
use app::incidents::service::timeline::{NewNote, add_note, timeline_of};
use app::status::entities::status_incident;
use app::workflow::declare_incident;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::support::{STATUS_HOST, TestApp, new_client};

backend_tests!(
    a_published_incident_shows_on_the_public_page_and_nothing_internal_leaks,
    states_follow_the_severity_mapping_unless_the_commander_chooses,
    only_admins_set_up_the_page_and_bad_settings_are_refused_by_field,
    uptime_on_the_page_is_the_services_availability_on_the_same_incidents,
    feeds_follow_the_page_and_each_component_and_parse_as_atom_and_rss,
    on_its_own_host_name_only_the_public_pages_answer,
    scripts_publish_through_the_api_and_concurrent_updates_never_overwrite,
);

/// A public page as an anonymous visitor gets it: status, headers and text.
async fn public(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = new_client().get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

async fn switch_on(app: &TestApp, admin: &reqwest::Client, version: &str, on: bool) {
    let mut form = vec![
        ("form[name]", "Acme status"),
        ("form[brand_colour]", "#1f4f8f"),
        ("form[links]", "Help | https://help.example.com"),
        ("form[version]", version),
    ];
    if on {
        form.push(("form[enabled]", "on"));
    }
    let response = app
        .call_with(admin, "/rpc/save_status_settings", &form)
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn add_component(app: &TestApp, admin: &reqwest::Client, service: &str, name: &str) -> i64 {
    let response = app
        .call_with(
            admin,
            "/rpc/add_status_component",
            &[
                ("form[service]", service),
                ("form[name]", name),
                ("form[group]", "Core"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    app::status::service::components(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap()
        .id
}

async fn a_published_incident_shows_on_the_public_page_and_nothing_internal_leaks(app: TestApp) {
    // Off until an admin switches it on: nothing public answers.
    assert_eq!(public(&app, "/status").await.0, 404);
    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let checkout = create_service(&app.db, "Checkout db-7 internal", Some("Payments SRE"))
        .await
        .unwrap();
    let ledger = create_service(&app.db, "Secret ledger", None)
        .await
        .unwrap();
    let payments = add_component(&app, &admin, &checkout.slug, "Payments").await;

    let (page_status, headers, page) = public(&app, "/status").await;
    assert_eq!(page_status, 200);
    assert!(page.contains("All systems operational"), "{page}");
    assert!(
        page.contains("Payments") && page.contains("Acme status"),
        "{page}"
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
    assert!(headers.get("set-cookie").is_none());
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );

    // Declared with internal words, a note and a service not shown; published by a
    // responder through the incident page's form.
    let (responder, person) = app.signed_in(Role::Responder).await;
    let commander = app.with_user(Role::Responder).await;
    let severity = severities(&app.db).await.unwrap()[1].clone();
    let reference = declare_incident(
        &app.db,
        &commander,
        Declaration {
            title: "INTERNAL-TITLE primary failover on db-7".into(),
            severity_id: severity.id,
            service_ids: vec![checkout.id, ledger.id],
            summary: "INTERNAL-SUMMARY".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    add_note(
        &app.db,
        &commander,
        reference,
        NewNote {
            body: "INTERNAL-NOTE the replica lag alert fired".into(),
            occurred_at: None,
            marker: None,
            highlighted: false,
        },
    )
    .await
    .unwrap();
    let incident = app::incidents::service::query::get_incident(&app.db, reference)
        .await
        .unwrap();
    let card = app::status::service::incident_card(&app.db, &incident)
        .await
        .unwrap();
    assert_eq!(
        card.suggested,
        vec![payments],
        "its services' components are offered"
    );
    assert!(card.published.is_none());

    // A form missing what customers need is refused field by field; nothing published.
    let refused = app
        .call_with(
            &responder,
            "/rpc/publish_status",
            &[
                ("reference", &reference.to_string()),
                ("form[state]", "panicking"),
                ("form[body]", " "),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    for field in ["state", "body", "title", "components"] {
        assert!(
            body.contains(&format!("\"field\":\"{field}\"")),
            "{field}: {body}"
        );
    }
    assert_eq!(
        status_incident::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );

    let payments_id = payments.to_string();
    let published = app
        .call_with(
            &responder,
            "/rpc/publish_status",
            &[
                ("reference", &reference.to_string()),
                ("form[title]", "Card payments are failing"),
                ("form[state]", "investigating"),
                ("form[components][]", &payments_id),
                ("form[impact]", ""),
                (
                    "form[body]",
                    "We are **looking** into failed payments.<script>alert(1)</script>",
                ),
            ],
        )
        .await;
    assert_eq!(
        published.status(),
        200,
        "{}",
        published.text().await.unwrap()
    );
    let row = status_incident::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();

    let (_, _, page) = public(&app, "/status").await;
    assert!(page.contains("Card payments are failing"), "{page}");
    assert!(page.contains("<strong>looking</strong>"), "{page}");
    assert!(
        page.contains("data-state=\"partial_outage\""),
        "SEV2 shows a partial outage: {page}"
    );
    assert!(page.contains("Partial outage"), "{page}");
    let (status, _, detail) = public(&app, &format!("/status/incidents/{}", row.id)).await;
    assert_eq!(status, 200);
    assert!(detail.contains("Investigating"), "{detail}");

    // The same in Statuspage's JSON shapes, for widgets and monitors.
    let (status, headers, summary) = public(&app, "/status/api/v2/summary.json").await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], "*");
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["status"]["indicator"], "major", "{summary}");
    assert_eq!(summary["components"][0]["status"], "partial_outage");
    assert_eq!(summary["components"][0]["name"], "Payments");
    assert_eq!(summary["incidents"][0]["name"], "Card payments are failing");
    assert_eq!(summary["incidents"][0]["status"], "investigating");
    assert_eq!(summary["incidents"][0]["impact"], "major");
    assert_eq!(summary["incidents"][0]["components"][0]["name"], "Payments");
    assert!(
        summary["incidents"][0]["incident_updates"][0]["body"]
            .as_str()
            .unwrap()
            .contains("**looking**")
    );

    // The internal timeline records it.
    let timeline = timeline_of(&app.db, reference, Role::Viewer).await.unwrap();
    let event = timeline
        .iter()
        .find(|e| e.kind == EventKind::StatusPage)
        .expect("recorded on the timeline");
    assert!(
        event.body.contains("Card payments are failing"),
        "{}",
        event.body
    );

    // An update: identified, then two people post against the same version.
    let post = |state: &'static str, body: &'static str, version: String| {
        let responder = responder.clone();
        let reference = reference.to_string();
        let app = &app;
        async move {
            app.call_with(
                &responder,
                "/rpc/publish_status",
                &[
                    ("reference", reference.as_str()),
                    ("form[state]", state),
                    ("form[body]", body),
                    ("form[version]", version.as_str()),
                ],
            )
            .await
        }
    };
    assert_eq!(
        post("identified", "We found the cause.", "1".into())
            .await
            .status(),
        200
    );
    let stale = post("monitoring", "A fix is out.", "1".into()).await;
    assert_eq!(stale.status(), 409, "an update over a newer one is refused");
    assert_eq!(
        post("monitoring", "A fix is out.", "2".into())
            .await
            .status(),
        200
    );
    let (_, _, page) = public(&app, "/status").await;
    assert!(
        page.contains("A fix is out.") && page.contains("Monitoring"),
        "{page}"
    );
    assert!(
        !page.contains("We found the cause."),
        "the front page shows the latest update only"
    );

    // Nothing internal in any public answer.
    let public_paths = [
        "/status".to_owned(),
        format!("/status/incidents/{}", row.id),
        "/status/style.css".to_owned(),
        "/status/api/v2/summary.json".to_owned(),
        "/status/api/v2/incidents.json".to_owned(),
        "/status/incidents/999999".to_owned(),
        "/status/feed.atom".to_owned(),
        "/status/feed.rss".to_owned(),
        format!("/status/components/{payments}/feed.atom"),
        format!("/status/components/{payments}/feed.rss"),
    ];
    for path in &public_paths {
        let (_, _, text) = public(&app, path).await;
        for secret in [
            "INTERNAL-TITLE",
            "INTERNAL-SUMMARY",
            "INTERNAL-NOTE",
            "Checkout db-7 internal",
            "Payments SRE",
            "Secret ledger",
            &person.name,
            &person.email,
            &commander.display_name,
            &commander.email,
            &reference.to_string(),
        ] {
            assert!(!text.contains(secret), "{path} shows {secret:?}: {text}");
        }
    }

    for path in [
        "/status".to_owned(),
        format!("/status/incidents/{}", row.id),
        "/status/feed.atom".to_owned(),
        "/status/feed.rss".to_owned(),
    ] {
        let (_, _, html) = public(&app, &path).await;
        assert!(!html.contains("<script>alert(1)"), "{path}: {html}");
    }

    // Resolved: every component operational again, the incident among the past ones.
    assert_eq!(
        post("resolved", "Payments work again.", "3".into())
            .await
            .status(),
        200
    );
    let (_, _, page) = public(&app, "/status").await;
    assert!(page.contains("All systems operational"), "{page}");
    assert!(page.contains("Past incidents") && page.contains("Card payments are failing"));
    assert!(page.contains("data-state=\"operational\""), "{page}");

    let (_, _, history) = public(&app, "/status/api/v2/incidents.json").await;
    let history: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(history["incidents"][0]["status"], "resolved");
    assert_eq!(
        history["incidents"][0]["incident_updates"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert!(history["incidents"][0]["resolved_at"].is_string());
    assert!(history["incidents"][0]["monitoring_at"].is_string());
    let (_, _, summary) = public(&app, "/status/api/v2/summary.json").await;
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["status"]["indicator"], "none");
    assert_eq!(summary["incidents"].as_array().unwrap().len(), 0);

    // A viewer cannot publish; an unknown incident is 404.
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let forbidden = app
        .call_with(
            &viewer,
            "/rpc/publish_status",
            &[
                ("reference", &reference.to_string()),
                ("form[state]", "investigating"),
                ("form[body]", "x"),
            ],
        )
        .await;
    assert_eq!(forbidden.status(), 403);
    let missing = app
        .call_with(
            &responder,
            "/rpc/publish_status",
            &[
                ("reference", "INC-999999"),
                ("form[state]", "investigating"),
                ("form[body]", "x"),
            ],
        )
        .await;
    assert_eq!(missing.status(), 404);

    // Switched off: nothing public answers again, the history kept.
    switch_on(&app, &admin, "1", false).await;
    assert_eq!(public(&app, "/status").await.0, 404);
    assert_eq!(public(&app, "/status/api/v2/summary.json").await.0, 404);
    assert_eq!(
        public(&app, &format!("/status/incidents/{}", row.id))
            .await
            .0,
        404
    );
    assert_eq!(
        status_incident::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
}

async fn states_follow_the_severity_mapping_unless_the_commander_chooses(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let api = create_service(&app.db, "api-gw", None).await.unwrap();
    let web = create_service(&app.db, "web-fe", None).await.unwrap();
    let api_id = add_component(&app, &admin, &api.slug, "API")
        .await
        .to_string();
    let web_id = add_component(&app, &admin, &web.slug, "Dashboard")
        .await
        .to_string();
    let severities = severities(&app.db).await.unwrap();
    let commander = app.with_user(Role::Responder).await;
    let (responder, _) = app.signed_in(Role::Responder).await;
    let declare = |title: &'static str, position: usize, service: i64| {
        let commander = commander.clone();
        let severity_id = severities[position].id;
        let db = app.db.clone();
        async move {
            declare_incident(
                &db,
                &commander,
                Declaration {
                    title: title.into(),
                    severity_id,
                    service_ids: vec![service],
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    // The lowest severity maps to degraded performance by default.
    let minor = declare("slow api", severities.len() - 1, api.id).await;
    let sev1 = declare("web down", 0, web.id).await;
    for (reference, component, impact, title) in [
        (minor, api_id.as_str(), "", "Slow API responses"),
        (sev1, web_id.as_str(), "partial_outage", "Dashboard errors"),
    ] {
        let response = app
            .call_with(
                &responder,
                "/rpc/publish_status",
                &[
                    ("reference", reference.to_string().as_str()),
                    ("form[title]", title),
                    ("form[state]", "investigating"),
                    ("form[components][]", component),
                    ("form[impact]", impact),
                    ("form[body]", "Looking into it."),
                ],
            )
            .await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    let status = app::status::service::public_view(&app.db, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap()
        .status;
    let state_of = |name: &str| {
        status
            .components
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .state
    };
    use app::status::ComponentState;
    assert_eq!(state_of("API"), ComponentState::Degraded);
    // SEV1 would be a major outage; the commander chose partial.
    assert_eq!(state_of("Dashboard"), ComponentState::Partial);
    assert_eq!(status.overall, ComponentState::Partial);

    // An admin maps the lowest severity to a major outage: the page follows at once.
    let settings = app::status::service::settings(&app.db).await.unwrap();
    let mut form: Vec<(String, String)> = vec![
        ("form[enabled]".into(), "on".into()),
        ("form[name]".into(), "Acme".into()),
        ("form[brand_colour]".into(), "#ffd700".into()),
        ("form[version]".into(), settings.version.to_string()),
    ];
    for impact in &settings.impacts {
        form.push(("form[impact_ids][]".into(), impact.severity_id.to_string()));
        let state = if impact.severity_id == severities.last().unwrap().id {
            "major_outage"
        } else {
            impact.state.as_str()
        };
        form.push(("form[impact_states][]".into(), state.into()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = app
        .call_with(&admin, "/rpc/save_status_settings", &form)
        .await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let (_, _, page) = public(&app, "/status").await;
    assert!(page.contains("Major outage"), "{page}");
    let (_, _, css) = public(&app, "/status/style.css").await;
    assert!(css.contains("--brand:#ffd700;--brand-ink:#111111"), "{css}");
}

async fn only_admins_set_up_the_page_and_bad_settings_are_refused_by_field(app: TestApp) {
    let (responder, _) = app.signed_in(Role::Responder).await;
    let refused = app
        .call_with(
            &responder,
            "/rpc/save_status_settings",
            &[
                ("form[enabled]", "on"),
                ("form[name]", "Mine"),
                ("form[brand_colour]", "#000000"),
                ("form[version]", "0"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 403);
    let service = create_service(&app.db, "Checkout", None).await.unwrap();
    let refused = app
        .call_with(
            &responder,
            "/rpc/add_status_component",
            &[("form[service]", service.slug.as_str())],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(public(&app, "/status").await.0, 404);

    let (admin, _) = app.signed_in(Role::Admin).await;
    let response = app
        .call_with(
            &admin,
            "/rpc/save_status_settings",
            &[
                ("form[enabled]", "on"),
                ("form[name]", ""),
                ("form[logo_url]", "javascript:alert(1)"),
                ("form[brand_colour]", "red"),
                (
                    "form[links]",
                    "Home | https://example.com\nEvil | javascript:alert(1)",
                ),
                ("form[impact_ids][]", "999999"),
                ("form[impact_states][]", "major_outage"),
                ("form[version]", "0"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    for field in ["name", "logo_url", "brand_colour", "links", "impacts"] {
        assert!(
            body.contains(&format!("\"field\":\"{field}\"")),
            "{field}: {body}"
        );
    }
    assert!(body.contains("Line 2"), "{body}");
    assert_eq!(public(&app, "/status").await.0, 404, "nothing was saved");

    // Two admins saving from the same version: the second is told.
    switch_on(&app, &admin, "0", true).await;
    let stale = app
        .call_with(
            &admin,
            "/rpc/save_status_settings",
            &[
                ("form[name]", "Other"),
                ("form[brand_colour]", "#000000"),
                ("form[version]", "0"),
            ],
        )
        .await;
    assert_eq!(stale.status(), 409);

    // A service is shown once; the admin page lists it under its public name.
    add_component(&app, &admin, &service.slug, "Payments").await;
    let again = app
        .call_with(
            &admin,
            "/rpc/add_status_component",
            &[("form[service]", service.slug.as_str())],
        )
        .await;
    assert_eq!(again.status(), 422);
    assert!(again.text().await.unwrap().contains("already on the page"));
    let page = app.get_with(&admin, "/admin/status-page").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Payments") && html.contains("Open the public page"),
        "{html}"
    );
    assert_eq!(
        app.get_with(&responder, "/admin/status-page")
            .await
            .status(),
        403
    );
}

/// The page's 90-day uptime of a component is the reliability page's availability of
/// its service over the same 90 days, when every incident of the service is published:
/// overlapping impact windows count once, one reaching back past the window counts from
/// its start, an open one up to now. The days with incidents are coloured.
async fn uptime_on_the_page_is_the_services_availability_on_the_same_incidents(app: TestApp) {
    use app::incidents::service::edit::{Details, update_details};
    use app::metrics::report::{Period, ReportQuery};
    use app::status::Publication;
    use chrono::{Duration, Utc};

    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let checkout = create_service(&app.db, "checkout", None).await.unwrap();
    let search = create_service(&app.db, "search", None).await.unwrap();
    let component = add_component(&app, &admin, &checkout.slug, "Checkout").await;
    add_component(&app, &admin, &search.slug, "Search").await;
    let commander = app.with_user(Role::Responder).await;
    let severity_id = severities(&app.db).await.unwrap()[0].id;
    let now = Utc::now();
    let (day, hour) = (Duration::days(1), Duration::hours(1));
    let windows = [
        (now - day * 10, Some(now - day * 10 + hour * 3)),
        (now - day * 5, Some(now - day * 5 + hour * 2)),
        (now - day * 5 + hour, Some(now - day * 5 + hour * 4)),
        (now - day * 91, Some(now - day * 89)),
        (now - hour * 2, None),
    ];
    for (n, (start, mitigated)) in windows.into_iter().enumerate() {
        let reference = declare_incident(
            &app.db,
            &commander,
            Declaration {
                title: format!("checkout trouble {n}"),
                severity_id,
                service_ids: vec![checkout.id],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let incident = app::incidents::service::query::get_incident(&app.db, reference)
            .await
            .unwrap();
        let mut times = incident.times.clone();
        times.impact_started_at = Some(start);
        times.detected_at = Some(start);
        times.declared_at = start;
        times.acknowledged_at = None;
        times.mitigated_at = mitigated;
        let details = Details {
            title: incident.title.clone(),
            summary: String::new(),
            customer_impact: true,
            service_ids: vec![checkout.id],
            times,
        };
        update_details(&app.db, &commander, reference, details, incident.version)
            .await
            .unwrap();
        let mut post = Publication {
            title: Some(format!("Checkout trouble {n}")),
            state: "investigating".into(),
            components: Some(vec![component]),
            body: "Looking into it.".into(),
            ..Default::default()
        };
        app::status::service::publish(&app.db, &commander, reference, &post)
            .await
            .unwrap();
        if mitigated.is_some() {
            post.state = "resolved".into();
            post.body = "Fixed.".into();
            post.version = Some(1);
            app::status::service::publish(&app.db, &commander, reference, &post)
                .await
                .unwrap();
        }
    }

    let report = app::metrics::service::service_report(
        &app.db,
        &checkout.slug,
        ReportQuery {
            period: Period::Last(90),
            ..Default::default()
        },
        now.timestamp(),
    )
    .await
    .unwrap();
    let availability = report.reliability.availability().unwrap();
    // 3 h, 4 h (two overlapping), 1 day of the one reaching back, 2 h open.
    let down = (3 + 4 + 24 + 2) * 3600;
    let window = 90 * 86_400;
    assert_eq!(report.reliability.downtime, down);
    assert_eq!(availability, (window - down) as f64 / window as f64);

    let view = app::status::service::public_view(&app.db, now)
        .await
        .unwrap()
        .unwrap();
    let shown = |name: &str| {
        view.status
            .components
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .clone()
    };
    let checkout_shown = shown("Checkout");
    assert_eq!(checkout_shown.uptime, availability, "the two must agree");
    assert_eq!(shown("Search").uptime, 1.0);
    let troubled = checkout_shown
        .days
        .iter()
        .filter(|d| d.worst.is_some())
        .count();
    // Ten and five days ago (each within one or two UTC days), the day that reached
    // into the window, and today.
    assert!((3..=7).contains(&troubled), "{troubled} days coloured");
    assert!(
        checkout_shown.days.iter().map(|d| d.down).sum::<i64>() <= down,
        "the bars start at midnight, inside the window"
    );

    let (status, headers, page) = public(&app, "/status").await;
    assert_eq!(status, 200);
    // Compressed once per rendering, in what the client accepts; a cache holding the
    // same rendering revalidates without the body.
    let etag = headers["etag"].to_str().unwrap().to_owned();
    for (accept, encoding) in [("br;q=1, gzip", "br"), ("gzip", "gzip")] {
        let response = new_client()
            .get(app.url("/status"))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert_eq!(response.headers()["vary"], "accept-encoding");
        let compressed = response.bytes().await.unwrap();
        assert!(
            compressed.len() * 4 < page.len(),
            "{} of {}",
            compressed.len(),
            page.len()
        );
    }
    let again = new_client()
        .get(app.url("/status"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(
        again.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("s-maxage")
    );
    // The page was rendered a moment later: the open incident has grown by as much.
    let shown_uptime = (0..30).any(|late| {
        let uptime = (window - down - late) as f64 / window as f64;
        page.contains(&format!(
            "Checkout: {} uptime over the last 90 days",
            app::metrics::pages::percent(uptime)
        ))
    });
    assert!(shown_uptime, "{page}");
    assert!(page.contains("class=\"bar bar--major\""), "{page}");
    assert!(
        page.contains("Search: 100% uptime over the last 90 days"),
        "{page}"
    );
}

/// The page's feeds and each component's: Atom and RSS that parse, one entry per
/// incident with its latest state, hostile titles escaped, 404 for what is not shown.
async fn feeds_follow_the_page_and_each_component_and_parse_as_atom_and_rss(app: TestApp) {
    use app::status::Publication;

    let (admin, _) = app.signed_in(Role::Admin).await;
    assert_eq!(
        public(&app, "/status/feed.atom").await.0,
        404,
        "off: no feed"
    );
    switch_on(&app, &admin, "0", true).await;
    let api = create_service(&app.db, "api", None).await.unwrap();
    let web = create_service(&app.db, "web", None).await.unwrap();
    let hidden = create_service(&app.db, "hidden", None).await.unwrap();
    let api_component = add_component(&app, &admin, &api.slug, "API").await;
    let web_component = add_component(&app, &admin, &web.slug, "Web & <apps>").await;
    let commander = app.with_user(Role::Responder).await;
    let severity_id = severities(&app.db).await.unwrap()[0].id;
    for (title, component, service) in [
        ("Slow API", api_component, api.id),
        (
            "</title><script>alert(1)</script> ]]> & more",
            web_component,
            web.id,
        ),
    ] {
        let reference = declare_incident(
            &app.db,
            &commander,
            Declaration {
                title: "internal words".into(),
                severity_id,
                service_ids: vec![service, hidden.id],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let post = Publication {
            title: Some(title.into()),
            state: "identified".into(),
            components: Some(vec![component]),
            body: "We know **why**. <script>alert(2)</script>".into(),
            ..Default::default()
        };
        app::status::service::publish(&app.db, &commander, reference, &post)
            .await
            .unwrap();
    }

    let atom_ns = "http://www.w3.org/2005/Atom";
    let (status, headers, atom) = public(&app, "/status/feed.atom").await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let doc = roxmltree::Document::parse(&atom).unwrap_or_else(|e| panic!("{e}: {atom}"));
    let feed = doc.root_element();
    assert_eq!(
        (feed.tag_name().namespace(), feed.tag_name().name()),
        (Some(atom_ns), "feed")
    );
    let child = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.children()
            .find(|c| c.has_tag_name((atom_ns, name)))
            .unwrap_or_else(|| panic!("no {name}"))
            .text()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(child(feed, "title"), "Acme status");
    assert!(chrono::DateTime::parse_from_rfc3339(&child(feed, "updated")).is_ok());
    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name((atom_ns, "entry")))
        .collect();
    assert_eq!(entries.len(), 2);
    // Newest first; the title comes back exactly as written, after parsing.
    assert_eq!(
        child(entries[0], "title"),
        "Identified: </title><script>alert(1)</script> ]]> & more"
    );
    let content = child(entries[0], "content");
    assert!(content.contains("<strong>why</strong>"), "{content}");
    assert!(!content.contains("<script>"), "sanitised: {content}");
    assert!(
        child(entries[0], "id").ends_with(&format!("/status/incidents/{}", {
            app::status::service::public_view(&app.db, chrono::Utc::now())
                .await
                .unwrap()
                .unwrap()
                .history[0]
                .id
        }))
    );

    let (status, headers, rss) = public(&app, "/status/feed.rss").await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    let doc = roxmltree::Document::parse(&rss).unwrap_or_else(|e| panic!("{e}: {rss}"));
    let root = doc.root_element();
    assert_eq!(
        (root.tag_name().name(), root.attribute("version")),
        ("rss", Some("2.0"))
    );
    let channel = root.children().find(|c| c.has_tag_name("channel")).unwrap();
    let items: Vec<_> = channel
        .children()
        .filter(|c| c.has_tag_name("item"))
        .collect();
    assert_eq!(items.len(), 2);
    for item in &items {
        for field in ["title", "link", "guid", "pubDate", "description"] {
            assert!(
                item.children().any(|c| c.has_tag_name(field)),
                "no {field}: {rss}"
            );
        }
        let date = item.children().find(|c| c.has_tag_name("pubDate")).unwrap();
        assert!(chrono::DateTime::parse_from_rfc2822(date.text().unwrap()).is_ok());
    }

    // One component's feed: only its incident, under the component's name.
    let (status, _, api_feed) = public(
        &app,
        &format!("/status/components/{api_component}/feed.atom"),
    )
    .await;
    assert_eq!(status, 200);
    let doc = roxmltree::Document::parse(&api_feed).unwrap();
    let entries: Vec<_> = doc
        .root_element()
        .children()
        .filter(|c| c.has_tag_name((atom_ns, "entry")))
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(child(entries[0], "title"), "Identified: Slow API");
    assert_eq!(child(doc.root_element(), "title"), "Acme status: API");
    let (status, _, web_feed) = public(
        &app,
        &format!("/status/components/{web_component}/feed.rss"),
    )
    .await;
    assert_eq!(status, 200);
    let doc = roxmltree::Document::parse(&web_feed).unwrap();
    let channel = doc.root_element().first_element_child().unwrap();
    let title = channel
        .children()
        .find(|c| c.has_tag_name("title"))
        .unwrap();
    assert_eq!(title.text(), Some("Acme status: Web & <apps>"));
    for path in [
        "/status/components/999999/feed.atom",
        "/status/components/x/feed.rss",
        "/status/components/-1/feed.atom",
    ] {
        assert_eq!(public(&app, path).await.0, 404, "{path}");
    }
    // The page tells browsers and readers where its feeds are.
    let (_, _, page) = public(&app, "/status").await;
    assert!(
        page.contains("rel=\"alternate\" type=\"application/atom+xml\""),
        "{page}"
    );
    assert!(page.contains(&format!("/status/components/{web_component}/feed.rss")));
}

/// `--status-host`: under the name customers are given, the page, its feeds and JSON
/// answer (its links name that host), `/` goes to the page, and nothing else of Vigil
/// does (sign-in, pages, API, server functions); the main address is unchanged.
async fn on_its_own_host_name_only_the_public_pages_answer(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let on = |host: &'static str, method: reqwest::Method, path: &str| {
        new_client()
            .request(method, app.url(path))
            .header("host", host)
            .send()
    };
    let root = on(STATUS_HOST, reqwest::Method::GET, "/").await.unwrap();
    assert_eq!(root.status(), 308);
    assert_eq!(root.headers()["location"], "/status");
    for host in [STATUS_HOST, "Status.Vigil.Test:8443"] {
        for path in [
            "/status",
            "/status/style.css",
            "/status/api/v2/summary.json",
            "/livez",
        ] {
            let response = on(host, reqwest::Method::GET, path).await.unwrap();
            assert_eq!(response.status(), 200, "{host}{path}");
            assert!(
                response.headers().get("set-cookie").is_none(),
                "{host}{path}"
            );
        }
        for (method, path) in [
            (reqwest::Method::GET, "/login"),
            (reqwest::Method::GET, "/incidents"),
            (reqwest::Method::GET, "/admin/status-page"),
            (reqwest::Method::GET, "/api/v1/incidents"),
            (reqwest::Method::GET, "/api/v1/openapi.json"),
            (reqwest::Method::GET, "/metrics"),
            (reqwest::Method::GET, "/pkg/vigil.js"),
            (reqwest::Method::GET, "/statusx"),
            (reqwest::Method::POST, "/rpc/sign_in"),
            (reqwest::Method::POST, "/api/v1/alerts/alertmanager"),
        ] {
            let response = on(host, method.clone(), path).await.unwrap();
            assert_eq!(response.status(), 404, "{method} {host}{path}");
        }
    }
    let feed = on(STATUS_HOST, reqwest::Method::GET, "/status/feed.atom")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains(&format!("http://{STATUS_HOST}/status")),
        "links name the status host: {feed}"
    );
    // The main address serves everything as before.
    assert_eq!(public(&app, "/login").await.0, 200);
    assert_eq!(public(&app, "/status").await.0, 200);
}

/// `/api/v1/incidents/{ref}/status-page`: viewers read the card, responders publish and
/// update with the same checks as the page (a bad field is 422 naming it, an update
/// needs the version read); sixteen scripts updating from one version at once: one
/// wins, fifteen get 409, and exactly one update is added.
async fn scripts_publish_through_the_api_and_concurrent_updates_never_overwrite(app: TestApp) {
    use crate::api::{api, token_for};
    use reqwest::Method;
    use serde_json::json;

    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let api_service = create_service(&app.db, "api", None).await.unwrap();
    let component = add_component(&app, &admin, &api_service.slug, "API").await;
    let (_, responder) = token_for(&app, Role::Responder, "30").await;
    let (_, viewer) = token_for(&app, Role::Viewer, "30").await;
    let commander = app.with_user(Role::Responder).await;
    let reference = app.declared(&commander, "db-7 failover").await;
    let path = format!("/api/v1/incidents/{reference}/status-page");

    let (status, card) = api(&app, Method::GET, &path, Some(&viewer), None).await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["enabled"], true);
    assert!(card["published"].is_null());
    assert_eq!(card["components"][0]["id"], component);
    let first = json!({
        "title": "Slow API responses",
        "state": "investigating",
        "components": [component],
        "body": "We are **looking** into it.",
    });
    let (status, _) = api(
        &app,
        Method::POST,
        &path,
        Some(&viewer),
        Some(first.clone()),
    )
    .await;
    assert_eq!(status, 403);
    for (bad, field) in [
        (
            json!({"state": "investigating", "components": [component], "body": "x"}),
            "title",
        ),
        (
            json!({"title": "t", "state": "investigating", "components": [], "body": "x"}),
            "components",
        ),
        (
            json!({"title": "t", "state": "investigating", "components": [999999], "body": "x"}),
            "components",
        ),
        (
            json!({"title": "t", "state": "investigating", "components": [component], "body": "  "}),
            "body",
        ),
        (
            json!({"title": "t", "state": "investigating", "components": [component], "body": "x", "impact": "operational"}),
            "impact",
        ),
        (
            json!({"title": "a\u{7}b", "state": "investigating", "components": [component], "body": "x"}),
            "title",
        ),
    ] {
        let (status, body) = api(&app, Method::POST, &path, Some(&responder), Some(bad)).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }
    let (status, body) = api(
        &app,
        Method::POST,
        &path,
        Some(&responder),
        Some(json!({"state": "bogus", "body": "x"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = api(
        &app,
        Method::POST,
        "/api/v1/incidents/INC-999999/status-page",
        Some(&responder),
        Some(first.clone()),
    )
    .await;
    assert_eq!(status, 404, "{body}");

    let (status, card) = api(&app, Method::POST, &path, Some(&responder), Some(first)).await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["published"]["version"], 1);
    assert_eq!(card["published"]["title"], "Slow API responses");
    let (status, body) = api(
        &app,
        Method::POST,
        &path,
        Some(&responder),
        Some(json!({"state": "identified", "body": "Found it."})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("version")),
        "{body}"
    );

    let mut posts = Vec::new();
    for n in 0..16 {
        let (app, path, token) = (&app, path.clone(), responder.clone());
        posts.push(async move {
            api(
                app,
                Method::POST,
                &path,
                Some(&token),
                Some(json!({
                    "state": "identified",
                    "body": format!("Update number {n}."),
                    "version": 1,
                })),
            )
            .await
        });
    }
    let answers = futures_util::future::join_all(posts).await;
    let won = answers.iter().filter(|(s, _)| *s == 200).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 409 && b["error"]["code"] == "conflict")
        .count();
    assert_eq!((won, refused), (1, 15), "{answers:?}");
    let (_, card) = api(&app, Method::GET, &path, Some(&viewer), None).await;
    assert_eq!(card["published"]["version"], 2);
    assert_eq!(card["published"]["updates"].as_array().unwrap().len(), 2);
    let (_, _, page) = public(&app, "/status").await;
    assert!(page.contains("Update number"), "{page}");
    assert!(page.contains("Identified"), "{page}");
}
