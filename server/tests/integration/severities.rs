//! Admins shape the severity scale: edits are validated, versioned and audited; the
//! order can be changed; other roles cannot touch it.

use app::accounts::Role;
use app::audit::service::Actor;
use app::error::AppError;
use app::incidents::service::query::severities;
use app::incidents::service::severities::{Direction, SeverityEdit, reorder, update};

use crate::support::TestApp;

backend_tests!(
    an_admin_renames_describes_and_flags_a_severity,
    a_stale_or_invalid_severity_edit_is_refused,
    severities_are_reordered_one_step_at_a_time,
    only_admins_edit_severities_over_http,
    a_refused_levels_errors_show_in_its_own_form_without_javascript,
);

fn names(levels: &[app::incidents::SeverityView]) -> Vec<String> {
    levels.iter().map(|s| s.name.clone()).collect()
}

async fn an_admin_renames_describes_and_flags_a_severity(app: TestApp) {
    let before = severities(&app.db).await.unwrap();
    let sev3 = before[2].clone();
    assert_eq!(sev3.name, "SEV3");
    assert!(!sev3.requires_postmortem);
    update(
        &app.db,
        &Actor::default(),
        sev3.id,
        SeverityEdit {
            name: "  SEV3 minor ".into(),
            description: "Limited impact.".into(),
            requires_postmortem: true,
        },
        sev3.version,
    )
    .await
    .unwrap();
    let after = severities(&app.db).await.unwrap();
    assert_eq!(after[2].name, "SEV3 minor");
    assert_eq!(after[2].description, "Limited impact.");
    assert!(after[2].requires_postmortem);
    assert_eq!(after[2].version, sev3.version + 1);
    assert_eq!(after[2].position, sev3.position, "the order is unchanged");
    let log = app::audit::service::list(&app.db, 1).await.unwrap();
    assert!(
        log.entries.iter().any(|e| e.action == "severity.updated"),
        "the edit is audited"
    );
}

async fn a_stale_or_invalid_severity_edit_is_refused(app: TestApp) {
    let levels = severities(&app.db).await.unwrap();
    let sev2 = levels[1].clone();
    let edit = |name: &str| SeverityEdit {
        name: name.into(),
        description: sev2.description.clone(),
        requires_postmortem: true,
    };
    let err = update(&app.db, &Actor::default(), sev2.id, edit(" "), sev2.version)
        .await
        .unwrap_err();
    assert!(err.field_message("name").is_some(), "{err:?}");
    let err = update(
        &app.db,
        &Actor::default(),
        sev2.id,
        edit("sev1"),
        sev2.version,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.field_message("name").as_deref(),
        Some("Another severity already has this name.")
    );
    let long = SeverityEdit {
        description: "x".repeat(501),
        ..edit("SEV2")
    };
    let err = update(&app.db, &Actor::default(), sev2.id, long, sev2.version)
        .await
        .unwrap_err();
    assert!(err.field_message("description").is_some());

    update(
        &app.db,
        &Actor::default(),
        sev2.id,
        edit("Major"),
        sev2.version,
    )
    .await
    .unwrap();
    let stale = update(
        &app.db,
        &Actor::default(),
        sev2.id,
        edit("Big"),
        sev2.version,
    )
    .await;
    match stale {
        Err(AppError::Conflict { message }) => assert!(message.contains("Major"), "{message}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(severities(&app.db).await.unwrap()[1].name, "Major");
    let missing = update(&app.db, &Actor::default(), 424242, edit("X"), 1).await;
    assert!(matches!(missing, Err(AppError::NotFound(_))), "{missing:?}");
}

async fn severities_are_reordered_one_step_at_a_time(app: TestApp) {
    let levels = severities(&app.db).await.unwrap();
    let (sev1, sev4) = (levels[0].id, levels[3].id);
    reorder(&app.db, &Actor::default(), sev4, Direction::Up)
        .await
        .unwrap();
    let after = severities(&app.db).await.unwrap();
    assert_eq!(names(&after), ["SEV1", "SEV2", "SEV4", "SEV3"]);
    assert_eq!(
        after.iter().map(|s| s.position).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    // At either end nothing moves.
    reorder(&app.db, &Actor::default(), sev1, Direction::Up)
        .await
        .unwrap();
    assert_eq!(
        names(&severities(&app.db).await.unwrap()),
        ["SEV1", "SEV2", "SEV4", "SEV3"]
    );
    reorder(&app.db, &Actor::default(), sev1, Direction::Down)
        .await
        .unwrap();
    assert_eq!(
        names(&severities(&app.db).await.unwrap()),
        ["SEV2", "SEV1", "SEV4", "SEV3"]
    );
}

async fn only_admins_edit_severities_over_http(app: TestApp) {
    let sev1 = severities(&app.db).await.unwrap()[0].clone();
    let (id, version) = (sev1.id.to_string(), sev1.version.to_string());
    let form = [
        ("id", id.as_str()),
        ("version", version.as_str()),
        ("name", "Critical"),
        ("description", "All hands."),
        ("requires_postmortem", "on"),
    ];
    let (responder, _) = app.signed_in(Role::Responder).await;
    let res = app
        .call_with(&responder, "/rpc/update_severity", &form)
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(severities(&app.db).await.unwrap()[0].name, "SEV1");

    let (admin, _) = app.signed_in(Role::Admin).await;
    let page = app.get_with(&admin, "/admin/severities").await;
    let status = page.status();
    let html = page.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Save SEV1"));
    let res = app.call_with(&admin, "/rpc/update_severity", &form).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(severities(&app.db).await.unwrap()[0].name, "Critical");
    // Sending the same version again is a stale edit: 409 with the message as JSON.
    let res = app.call_with(&admin, "/rpc/update_severity", &form).await;
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("changed by someone else")
    );

    // Without JavaScript the form posts and lands back on the page.
    let res = admin
        .post(app.url("/rpc/move_severity"))
        .header("accept", "text/html")
        .header("referer", app.url("/admin/severities"))
        .form(&[("id", id.as_str()), ("direction", "down")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/severities");
    assert_eq!(severities(&app.db).await.unwrap()[1].name, "Critical");
}

/// Every level's form posts to one server function; without JavaScript the refusal
/// comes back in the redirect's URL, keyed to the level sent, and shows in its form
/// beside the field, not in the other levels' forms nor above the list.
async fn a_refused_levels_errors_show_in_its_own_form_without_javascript(app: TestApp) {
    let levels = severities(&app.db).await.unwrap();
    let sev2 = levels[1].clone();
    let (id, version) = (sev2.id.to_string(), sev2.version.to_string());
    let (admin, _) = app.signed_in(Role::Admin).await;
    let long = "<b>x</b>".repeat(10);
    let html = app
        .post_without_js(
            &admin,
            "/rpc/update_severity",
            "/admin/severities",
            &[
                ("id", id.as_str()),
                ("version", version.as_str()),
                ("name", long.as_str()),
                ("description", &"d".repeat(501)),
            ],
        )
        .await;
    let message = "Keep the name under 50 characters.";
    assert_eq!(html.matches(message).count(), 1, "{html}");
    let sev2_form = TestApp::part(&html, "data-severity=\"SEV2\"", "</li>");
    assert!(sev2_form.contains(message), "{sev2_form}");
    assert!(sev2_form.contains("Keep the description under 500 characters."));
    assert!(sev2_form.contains("field--invalid"));
    let sev1_form = TestApp::part(&html, "data-severity=\"SEV1\"", "</li>");
    assert!(!sev1_form.contains("field__error"), "{sev1_form}");
    assert!(!html.contains("<b>x</b>"), "the refused name is escaped");
    assert_eq!(severities(&app.db).await.unwrap()[1].name, "SEV2");
}
