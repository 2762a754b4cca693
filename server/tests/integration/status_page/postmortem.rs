//! A published incident's postmortem on its public page: only once the postmortem is
//! published, and only the sections admins chose; the rest stays internal.

use app::accounts::Role;
use app::catalog::service::create_service;
use app::postmortems::ReviewStep;
use app::postmortems::service::query::get_postmortem;
use app::postmortems::service::review::{set_reviewers, take_review_step};
use app::postmortems::service::write::{PostmortemEdit, create_postmortem, save_postmortem};
use serde_json::Value;

use super::{add_component, public, published, switch_on};
use crate::support::TestApp;

backend_tests!(only_the_chosen_sections_of_a_published_postmortem_are_public);

async fn only_the_chosen_sections_of_a_published_postmortem_are_public(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let checkout = create_service(&app.db, "checkout", None).await.unwrap();
    let component = add_component(&app, &admin, &checkout.slug, "Checkout").await;

    // The timeline (filled from the internal one) and unknown titles cannot be chosen.
    let settings = |sections: &'static [&'static str], version: &'static str| {
        let mut form = vec![
            ("form[enabled]", "on"),
            ("form[name]", "Acme status"),
            ("form[brand_colour]", "#1f4f8f"),
            ("form[version]", version),
        ];
        form.extend(sections.iter().map(|s| ("form[postmortem_sections][]", *s)));
        form
    };
    for bad in [&["Summary", "Timeline"][..], &["Our secrets"][..]] {
        let response = app
            .call_with(&admin, "/rpc/save_status_settings", &settings(bad, "1"))
            .await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.unwrap();
        assert!(body.contains("\"field\":\"postmortem_sections\""), "{body}");
    }
    let response = app
        .call_with(
            &admin,
            "/rpc/save_status_settings",
            &settings(&["Summary", "Impact"], "1"),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let author = app.with_user(Role::Responder).await;
    let reviewer = app.with_user(Role::Responder).await;
    let reference = app.declared_at(&author, "db-7 failover", 1).await;
    let post = app::status::Publication {
        title: Some("Orders failing".into()),
        state: "resolved".into(),
        components: Some(vec![component]),
        body: "Orders work again.".into(),
        ..Default::default()
    };
    let id = published(&app, &author, reference, &post).await;

    create_postmortem(&app.db, &author, reference)
        .await
        .unwrap();
    let pm = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();
    let section = |title: &str| pm.sections.iter().find(|s| s.title == title).unwrap().id;
    let edit = PostmortemEdit {
        title: Some(pm.title.clone()),
        sections: vec![
            (
                section("Summary"),
                "Orders failed for **20 minutes**.".into(),
            ),
            (section("Impact"), "About 3% of orders.".into()),
            (
                section("Root causes"),
                "INTERNAL-ROOT the db-7 replica config".into(),
            ),
        ],
    };
    save_postmortem(&app.db, &author, reference, edit, pm.version)
        .await
        .unwrap();
    let page = format!("/status/incidents/{id}");
    let (_, _, html) = public(&app, &page).await;
    assert!(!html.contains("Postmortem"), "not published yet: {html}");

    let version = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            get_postmortem(&db, reference, Role::Responder)
                .await
                .unwrap()
                .version
        }
    };
    set_reviewers(&app.db, reference, vec![reviewer.id.0], version(&app).await)
        .await
        .unwrap();
    for (who, step) in [
        (&author, ReviewStep::SubmitForReview),
        (&reviewer, ReviewStep::Approve),
        (&author, ReviewStep::Publish),
    ] {
        take_review_step(&app.db, who, reference, step, version(&app).await)
            .await
            .unwrap();
    }
    // A change inside Vigil shows on the public side within its freshness.
    tokio::time::sleep(std::time::Duration::from_secs(
        app::status::served::FRESH as u64 + 1,
    ))
    .await;

    let (status, _, html) = public(&app, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Postmortem"), "{html}");
    assert!(
        html.contains("Orders failed for <strong>20 minutes</strong>."),
        "{html}"
    );
    assert!(html.contains("About 3% of orders."), "{html}");
    assert!(!html.contains("INTERNAL-ROOT"), "{html}");
    let (_, _, body) = public(&app, "/status/api/v2/incidents.json").await;
    let incidents: Value = serde_json::from_str(&body).unwrap();
    let told = incidents["incidents"][0]["postmortem_body"]
        .as_str()
        .unwrap();
    assert!(told.starts_with("## Summary\n\nOrders failed"), "{told}");
    assert!(told.contains("## Impact"), "{told}");
    assert!(!body.contains("INTERNAL-ROOT"), "{body}");
    assert!(
        incidents["incidents"][0]["postmortem_published_at"].is_string(),
        "{body}"
    );
}
