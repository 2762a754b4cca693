//! The page's and each component's Atom and RSS feeds.

use app::accounts::Role;
use app::catalog::service::create_service;
use app::incidents::service::declare::Declaration;
use app::incidents::service::query::severities;
use app::workflow::declare_incident;

use super::{add_component, public, switch_on};
use crate::support::TestApp;

backend_tests!(feeds_follow_the_page_and_each_component_and_parse_as_atom_and_rss);

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
                severity_id: Some(severity_id),
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
    // Maintenance announced on the web component is an entry of the page's feed and of
    // that component's, not of the other's.
    let (responder, _) = app.signed_in(Role::Responder).await;
    let at = |days| {
        (chrono::Utc::now() + chrono::Duration::days(days))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let (starts, ends, web_id) = (at(1), at(2), web_component.to_string());
    let response = app
        .call_with(
            &responder,
            "/rpc/schedule_maintenance",
            &[
                ("form[title]", "Storage upgrade"),
                ("form[body]", "Uploads may pause."),
                ("form[starts_at]", starts.as_str()),
                ("form[ends_at]", ends.as_str()),
                ("form[components][]", web_id.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let entry_titles = |xml: &str, entry: &str| {
        roxmltree::Document::parse(xml)
            .unwrap()
            .descendants()
            .filter(|n| n.has_tag_name(entry))
            .map(|e| {
                e.children()
                    .find(|c| c.has_tag_name("title"))
                    .and_then(|t| t.text())
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    let (_, _, atom) = public(&app, "/status/feed.atom").await;
    let titles = entry_titles(&atom, "entry");
    assert_eq!(
        titles[0], "Scheduled maintenance: Storage upgrade",
        "{atom}"
    );
    assert_eq!(titles.len(), 3);
    let (_, _, rss) = public(
        &app,
        &format!("/status/components/{web_component}/feed.rss"),
    )
    .await;
    assert!(
        entry_titles(&rss, "item").contains(&"Scheduled maintenance: Storage upgrade".to_owned()),
        "{rss}"
    );
    assert!(rss.contains("/status/maintenance/"), "{rss}");
    let (_, _, api_atom) = public(
        &app,
        &format!("/status/components/{api_component}/feed.atom"),
    )
    .await;
    assert_eq!(entry_titles(&api_atom, "entry").len(), 1);

    // The page tells browsers and readers where its feeds are.
    let (_, _, page) = public(&app, "/status").await;
    assert!(
        page.contains("rel=\"alternate\" type=\"application/atom+xml\""),
        "{page}"
    );
    assert!(page.contains(&format!("/status/components/{web_component}/feed.rss")));
}
