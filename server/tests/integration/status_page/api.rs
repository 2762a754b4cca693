//! Publishing through the JSON API, and many scripts at once.

use app::accounts::Role;
use app::catalog::service::create_service;

use super::{add_component, public, switch_on};
use crate::support::TestApp;

backend_tests!(
    scripts_publish_through_the_api_and_concurrent_updates_never_overwrite,
    scripts_announce_move_and_end_maintenance,
);

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

/// `/api/v1/status-page/maintenance`: viewers read, responders announce (201 with its
/// address), move it with the version read (409 from a stale one) and end it; bad input
/// is 422 naming the field, an unknown window 404, and the public page follows.
async fn scripts_announce_move_and_end_maintenance(app: TestApp) {
    use crate::api::{api, token_for};
    use chrono::{Duration, Utc};
    use reqwest::Method;
    use serde_json::json;

    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let db = create_service(&app.db, "database", None).await.unwrap();
    let component = add_component(&app, &admin, &db.slug, "Database").await;
    let (_, responder) = token_for(&app, Role::Responder, "30").await;
    let (_, viewer) = token_for(&app, Role::Viewer, "30").await;
    let now = Utc::now();
    let window = json!({
        "title": "Database upgrade",
        "body": "Writes pause for up to a minute.",
        "starts_at": now + Duration::hours(1),
        "ends_at": now + Duration::hours(2),
        "components": [component],
        "counts_against_slo": true,
    });
    let list = "/api/v1/status-page/maintenance";
    let (status, _) = api(
        &app,
        Method::POST,
        list,
        Some(&viewer),
        Some(window.clone()),
    )
    .await;
    assert_eq!(status, 403);
    for (change, field) in [
        (json!({"title": ""}), "title"),
        (json!({"ends_at": now - Duration::hours(1)}), "ends_at"),
        (json!({"components": []}), "components"),
        (json!({"components": [999999]}), "components"),
    ] {
        let mut bad = window.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let (status, body) = api(&app, Method::POST, list, Some(&responder), Some(bad)).await;
        assert_eq!(status, 422, "{field}: {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }

    let (status, created) = api(
        &app,
        Method::POST,
        list,
        Some(&responder),
        Some(window.clone()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["phase"], "scheduled");
    assert_eq!(created["components"][0]["name"], "Database");
    assert_eq!(created["version"], 1);
    let path = format!("{list}/{}", created["id"]);
    let (status, read) = api(&app, Method::GET, &path, Some(&viewer), None).await;
    assert_eq!((status, &read["title"]), (200, &json!("Database upgrade")));
    let (status, all) = api(&app, Method::GET, list, Some(&viewer), None).await;
    assert_eq!(status, 200);
    assert_eq!(all["maintenance"].as_array().unwrap().len(), 1);

    // Moved to have started: in progress on the public page. The same change again, from
    // the version before, is refused.
    let mut moved = window.clone();
    moved["starts_at"] = json!(now - Duration::minutes(10));
    moved["version"] = json!(1);
    let (status, changed) = api(
        &app,
        Method::PUT,
        &path,
        Some(&responder),
        Some(moved.clone()),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["phase"], "in_progress");
    let (status, _) = api(&app, Method::PUT, &path, Some(&responder), Some(moved)).await;
    assert_eq!(status, 409);
    let (_, _, summary) = public(&app, "/status/api/v2/summary.json").await;
    assert!(summary.contains("\"under_maintenance\""), "{summary}");

    let finish = format!("{path}/finish");
    let (status, ended) = api(
        &app,
        Method::POST,
        &finish,
        Some(&responder),
        Some(json!({"version": 2})),
    )
    .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["phase"], "completed");
    assert!(ended["completed_at"].is_string());
    for missing in [format!("{list}/999999"), format!("{list}/nope")] {
        let (status, body) = api(&app, Method::GET, &missing, Some(&viewer), None).await;
        assert_eq!(status, 404, "{missing}: {body}");
    }
}
