use app::accounts::Role;
use app::action_items::service::{ItemFields, create_action_item};
use app::catalog::service::create_service;
use app::incidents::IncidentRef;
use app::incidents::service::edit::Details;
use app::incidents::service::query::get_incident;
use app::incidents::service::timeline::{NewNote, add_note};
use app::workflow::update_details;

use crate::support::TestApp;

backend_tests!(
    pages_run_as_many_queries_for_a_long_incident_as_for_a_short_one,
    the_home_page_renders_the_shell_and_hydration_scripts,
    an_unknown_path_renders_the_not_found_page_with_404,
    the_theme_cookie_is_rendered_on_the_first_paint,
    a_page_that_fails_is_titled_by_its_error,
);

async fn a_page_that_fails_is_titled_by_its_error(app: TestApp) {
    let (client, _) = app.signed_in(Role::Responder).await;
    let responder = app.with_user(Role::Responder).await;
    let reference = app.declared(&responder, "No postmortem yet").await;
    let res = app
        .get_with(&client, &format!("/incidents/{reference}/postmortem"))
        .await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("<title>Not found · Vigil</title>"), "{html}");
}

async fn the_home_page_renders_the_shell_and_hydration_scripts(app: TestApp) {
    let (client, user) = app.signed_in(Role::Viewer).await;
    // Pages are compressed for a browser that accepts it, brotli first.
    for (accepts, sent) in [
        ("gzip, deflate, br", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let res = client
            .get(app.url("/"))
            .header("accept-encoding", accepts)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let encoding = res
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap());
        assert_eq!(encoding, sent, "{accepts}");
    }
    let res = app.get_with(&client, "/").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("<title>Vigil</title>"), "{html}");
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("Skip to content"));
    assert!(html.contains(">Overview</h1>"));
    assert!(
        html.contains("/pkg/vigil.js"),
        "hydration script is referenced"
    );
    assert!(html.contains("/pkg/vigil.css"), "stylesheet is referenced");
    assert!(
        !html.contains("data-theme="),
        "no explicit theme without a cookie"
    );
    assert!(
        html.contains(&user.name),
        "the header names the signed-in user"
    );
}

async fn an_unknown_path_renders_the_not_found_page_with_404(app: TestApp) {
    let (client, _) = app.signed_in(Role::Viewer).await;
    let res = app.get_with(&client, "/no/such/page").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(
        html.contains("<title>Page not found · Vigil</title>"),
        "{html}"
    );
}

async fn the_theme_cookie_is_rendered_on_the_first_paint(app: TestApp) {
    let res = app
        .client
        .get(app.url("/login"))
        .header("cookie", "vigil_theme=dark")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"data-theme="dark""#), "{html}");
}

/// The statements the server runs to render `path` for `client`, without the reads of
/// small tables kept between requests (`app::db::Kept`), which a view makes or not
/// depending on when they were last read.
async fn statements_for(app: &TestApp, client: &reqwest::Client, path: &str) -> Vec<String> {
    const KEPT: [&str; 6] = [
        "FROM \"severities\"",
        "FROM \"incident_types\"",
        "FROM \"custom_fields\"",
        "FROM \"custom_field_types\"",
        "FROM \"settings\"",
        "FROM \"status_components\"",
    ];
    let (status, statements) = app
        .statements_during(async { app.get_with(client, path).await.status() })
        .await;
    assert_eq!(status, 200, "{path}");
    statements
        .into_iter()
        .filter(|s| !KEPT.iter().any(|table| s.contains(table)))
        .collect()
}

/// Notes by `n` people, `n` action items with as many owners, `n` more services.
async fn grow(app: &TestApp, reference: IncidentRef, n: usize) {
    let mut services = get_incident(&app.db, reference).await.unwrap().services;
    for i in 0..n {
        let author = app.with_user(Role::Responder).await;
        add_note(
            &app.db,
            &author,
            reference,
            NewNote {
                body: format!("Note {i} with **markdown**"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        create_action_item(
            &app.db,
            &author,
            reference,
            ItemFields {
                title: format!("Follow-up {i}"),
                owner_id: Some(author.id.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        services.push(
            create_service(&app.db, &format!("grown {}", uuid::Uuid::new_v4()), None)
                .await
                .unwrap(),
        );
    }
    let actor = app.with_user(Role::Responder).await;
    let view = get_incident(&app.db, reference).await.unwrap();
    update_details(
        &app.db,
        &actor,
        reference,
        Details {
            title: view.title.clone(),
            summary: view.summary.clone(),
            customer_impact: view.customer_impact,
            service_ids: services.iter().map(|s| s.id).collect(),
            times: view.times,
        },
        view.version,
    )
    .await
    .unwrap();
}

/// No statement per note, action item, person or service: the incident page and the
/// list cost the same for an incident with one of each as for one with many.
async fn pages_run_as_many_queries_for_a_long_incident_as_for_a_short_one(app: TestApp) {
    let (client, _) = app.signed_in(Role::Responder).await;
    let actor = app.with_user(Role::Responder).await;
    let reference = app.declared(&actor, "Checkout is slow").await;
    grow(&app, reference, 1).await;
    let page = format!("/incidents/{reference}");
    let short = statements_for(&app, &client, &page).await;
    let short_list = statements_for(&app, &client, "/incidents").await;
    grow(&app, reference, 12).await;
    let long = statements_for(&app, &client, &page).await;
    let long_list = statements_for(&app, &client, "/incidents").await;
    assert_eq!(
        short.len(),
        long.len(),
        "incident page, short:\n{}\nlong:\n{}",
        short.join("\n"),
        long.join("\n")
    );
    assert_eq!(
        short_list.len(),
        long_list.len(),
        "{}",
        long_list.join("\n")
    );
    // Budgets, without the small tables kept between requests: the session with its
    // user, then the page's own reads, each once (the action items were read three times
    // when their resource lived inside a `Suspend`): the incident with its severity,
    // services, roles with people, runbooks, events with authors (the change marker is
    // made from them; their earlier texts are read too when a note was edited), the
    // postmortem, the action items with owners and titles, the changes before it (one
    // statement; two more for their services and links when there are any), the
    // incident's status page publication (the components too when the page is on), and
    // the playbooks with the incident's checklists (one statement; three more for ticks,
    // roles and people when a playbook is attached), and the custom fields' values and
    // people's names when a field exists. 11 here.
    assert!(long.len() <= 11, "incident page:\n{}", long.join("\n"));
    // The list: the session with its user, one read of the page's rows (open and
    // closed parts together), the capped count, the severities, the types and the
    // custom fields' labels (the filters' choices).
    assert!(long_list.len() <= 6, "list page:\n{}", long_list.join("\n"));
}
