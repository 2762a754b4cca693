//! Hostile text through every field that reaches the public side (the page's name and
//! links, components' names, groups and descriptions, titles and updates, maintenance
//! windows), posted
//! through the real routes: every public answer carries it as text, never as markup.

use app::accounts::Role;
use app::catalog::service::create_service;
use app::status::Publication;

use super::{public, published};
use crate::support::TestApp;

backend_tests!(hostile_text_in_every_public_field_stays_text_on_every_public_route);

async fn hostile_text_in_every_public_field_stays_text_on_every_public_route(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    let response = app
        .call_with(
            &admin,
            "/rpc/save_status_settings",
            &[
                ("form[enabled]", "on"),
                ("form[name]", "Acme <script>alert(1)</script>"),
                ("form[brand_colour]", "#1f4f8f"),
                (
                    "form[links]",
                    "Help\"><script>alert(2)</script> | https://help.example.com/?a=1&b=2",
                ),
                ("form[version]", "0"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let service = create_service(&app.db, "api", None).await.unwrap();
    let response = app
        .call_with(
            &admin,
            "/rpc/add_status_component",
            &[
                ("form[service]", service.slug.as_str()),
                ("form[name]", "<img src=x onerror=alert(3)>"),
                ("form[group]", "</h3><script>alert(4)</script>"),
                ("form[description]", "<b onmouseover=alert(5)>hi</b>"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let component = app::status::service::components(&app.db).await.unwrap()[0].id;
    let commander = app.with_user(Role::Responder).await;
    let reference = app.declared(&commander, "internal").await;
    let title = "\"><svg onload=alert(6)> ]]> & <!-- x";
    let post = Publication {
        title: Some(title.into()),
        state: "investigating".into(),
        components: Some(vec![component]),
        body: "<iframe src=javascript:alert(7)></iframe> [x](javascript:alert(8)) <script>alert(9)</script>"
            .into(),
        ..Default::default()
    };
    let id = published(&app, &commander, reference, &post).await;

    // Maintenance, announced from the page's form with the same text.
    let soon = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M");
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M");
    let (soon, later, component_id) = (soon.to_string(), later.to_string(), component.to_string());
    let response = app
        .call_with(
            &admin,
            "/rpc/schedule_maintenance",
            &[
                ("form[title]", title),
                ("form[body]", post.body.as_str()),
                ("form[starts_at]", soon.as_str()),
                ("form[ends_at]", later.as_str()),
                ("form[components][]", component_id.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let maintenance = app::status::service::maintenances(&app.db, chrono::Utc::now())
        .await
        .unwrap()[0]
        .id;

    let markup = [
        "<script",
        "<img src",
        "<svg onload",
        "<iframe",
        "<b on",
        "href=\"javascript:",
        "src=javascript:",
        "<!-- x",
    ];
    for path in [
        "/status".to_owned(),
        format!("/status/incidents/{id}"),
        format!("/status/maintenance/{maintenance}"),
        "/status/history".to_owned(),
        "/status/feed.atom".to_owned(),
        "/status/feed.rss".to_owned(),
        format!("/status/components/{component}/feed.atom"),
        format!("/status/components/{component}/feed.rss"),
        "/status/subscribe".to_owned(),
    ] {
        let (status, _, text) = public(&app, &path).await;
        assert_eq!(status, 200, "{path}");
        for bad in markup {
            assert!(!text.contains(bad), "{path} carries {bad:?}: {text}");
        }
        if path.ends_with(".atom") || path.ends_with(".rss") {
            roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
        }
    }
    let (_, _, page) = public(&app, "/status").await;
    assert!(
        page.contains("&lt;img src=x onerror=alert(3)&gt;"),
        "{page}"
    );
    assert!(
        page.contains("Acme &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    // JSON is not HTML: the words come back exactly as written, and parse.
    for path in [
        "/status/api/v2/summary.json",
        "/status/api/v2/incidents.json",
    ] {
        let (status, headers, text) = public(&app, path).await;
        assert_eq!(status, 200);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["incidents"][0]["name"], title, "{path}");
    }
    let (_, _, text) = public(&app, "/status/api/v2/scheduled-maintenances.json").await;
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["scheduled_maintenances"][0]["name"], title);
    // The style sheet takes only a colour; the admin page refuses anything else.
    let response = app
        .call_with(
            &admin,
            "/rpc/save_status_settings",
            &[
                ("form[enabled]", "on"),
                ("form[name]", "Acme"),
                ("form[brand_colour]", "red;}body{display:none"),
                ("form[logo_url]", "javascript:alert(10)"),
                ("form[version]", "1"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let (_, _, css) = public(&app, "/status/style.css").await;
    assert!(!css.contains("body{display:none"), "{css}");
}
