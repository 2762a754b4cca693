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

use crate::support::{TestApp, new_client};

backend_tests!(
    a_published_incident_shows_on_the_public_page_and_nothing_internal_leaks,
    states_follow_the_severity_mapping_unless_the_commander_chooses,
    only_admins_set_up_the_page_and_bad_settings_are_refused_by_field,
    a_refused_components_error_shows_in_its_row_without_javascript,
);

mod api;
mod feeds;
mod host;
mod hostile;
mod maintenance;
mod postmortem;
mod subscriber_hooks;
mod subscribers;
mod uptime;

/// A public page as an anonymous visitor gets it: status, headers and text.
pub(super) async fn public(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = new_client().get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// Publishes `post` for incident `reference`; the published incident's public id.
pub(super) async fn published(
    app: &TestApp,
    who: &app::accounts::CurrentUser,
    reference: app::incidents::IncidentRef,
    post: &app::status::Publication,
) -> i64 {
    app::status::service::publish(&app.db, who, reference, post)
        .await
        .unwrap();
    app::status::service::public_view(&app.db, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap()
        .history[0]
        .id
}

pub(super) async fn switch_on(app: &TestApp, admin: &reqwest::Client, version: &str, on: bool) {
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

pub(super) async fn add_component(
    app: &TestApp,
    admin: &reqwest::Client,
    service: &str,
    name: &str,
) -> i64 {
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
            severity_id: Some(severity.id),
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
        "/status/history".to_owned(),
        "/status/feed.atom".to_owned(),
        "/status/feed.rss".to_owned(),
        format!("/status/components/{payments}/feed.atom"),
        format!("/status/components/{payments}/feed.rss"),
        "/status/subscribe".to_owned(),
        "/status/subscribe?sent=email".to_owned(),
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
    let (status, _, history) = public(&app, "/status/history").await;
    assert_eq!(status, 200);
    assert!(history.contains("Card payments are failing"), "{history}");
    assert!(history.contains("Payments work again."), "{history}");

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
                    severity_id: Some(severity_id),
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

/// Every component row's form posts to one server function; without JavaScript the
/// refusal comes back keyed to the component sent and shows in that row only.
async fn a_refused_components_error_shows_in_its_row_without_javascript(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    let checkout = create_service(&app.db, "checkout", None).await.unwrap();
    let search = create_service(&app.db, "search", None).await.unwrap();
    add_component(&app, &admin, &checkout.slug, "Checkout").await;
    let id = add_component(&app, &admin, &search.slug, "Search")
        .await
        .to_string();
    let html = app
        .post_without_js(
            &admin,
            "/rpc/update_status_component",
            "/admin/status-page",
            &[
                ("id", id.as_str()),
                ("form[name]", "   "),
                ("form[group]", "Core"),
                ("form[position]", "1"),
            ],
        )
        .await;
    let message = "Give the component a name.";
    assert_eq!(html.matches(message).count(), 1, "{html}");
    let row = TestApp::part(&html, "<strong>Search</strong>", "</li>");
    assert!(row.contains(message), "{row}");
    let other = TestApp::part(&html, "<strong>Checkout</strong>", "</li>");
    assert!(!other.contains("alert--error"), "{other}");
    let names: Vec<String> = app::status::service::components(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        names.contains(&"Search".to_owned()),
        "nothing saved: {names:?}"
    );
}
