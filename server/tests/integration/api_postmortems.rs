//! Postmortems over the JSON API, on both backends: a script can do what the
//! postmortem page does (start, save against a version, refresh the timeline, choose
//! reviewers, take every review step, comment), with the page's verdicts.

use app::accounts::{CurrentUser, Role};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::api;
use crate::support::TestApp;

backend_tests!(
    a_script_writes_reviews_and_publishes_a_postmortem,
    postmortem_writes_refuse_what_the_page_refuses,
    a_script_reads_the_history_and_keeps_the_template,
    concurrent_saves_of_one_version_keep_exactly_one,
);

/// A new person with `role` and an API token of theirs.
async fn member(app: &TestApp, role: Role) -> (CurrentUser, String) {
    let user = app.with_user(role).await;
    let token = app::api_tokens::service::create(&app.db, &user, "script", "", None)
        .await
        .unwrap()
        .token;
    (user, token)
}

/// Sends `body` to the postmortem path `tail` of `reference` and returns the answer.
async fn send(
    app: &TestApp,
    method: Method,
    reference: &str,
    tail: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let path = format!("/api/v1/incidents/{reference}/postmortem{tail}");
    api(app, method, &path, Some(token), body).await
}

async fn a_script_writes_reviews_and_publishes_a_postmortem(app: TestApp) {
    let (author, token) = member(&app, Role::Responder).await;
    let (reviewer, reviewer_token) = member(&app, Role::Responder).await;
    let (_, viewer) = member(&app, Role::Viewer).await;
    let reference = app
        .declared_at(&author, "Checkout down", 1)
        .await
        .to_string();

    // Viewers cannot start one; a responder can, once.
    let (status, _) = send(&app, Method::POST, &reference, "", &viewer, None).await;
    assert_eq!(status, 403);
    let (status, pm) = send(&app, Method::POST, &reference, "", &token, None).await;
    assert_eq!(status, 201, "{pm}");
    assert_eq!(pm["status"], "draft");
    assert_eq!(pm["incident"]["reference"], json!(reference));
    let (status, body) = send(&app, Method::POST, &reference, "", &token, None).await;
    assert_eq!((status, &body["error"]["code"]), (409, &json!("conflict")));
    // A draft is not for viewers (as on the page).
    let (status, _) = send(&app, Method::GET, &reference, "", &viewer, None).await;
    assert_eq!(status, 403);

    // Saving one section keeps the others; Markdown comes back sanitised.
    let sections = pm["sections"].as_array().unwrap().clone();
    let (first, second) = (sections[0]["id"].clone(), sections[1]["id"].clone());
    let (status, saved) = send(
        &app,
        Method::PATCH,
        &reference,
        "",
        &token,
        Some(json!({
            "version": pm["version"],
            "sections": [{"id": first, "body": "The **pool** ran dry <script>alert(1)</script>"}],
        })),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["title"], pm["title"], "no title: unchanged");
    assert!(saved["version"].as_i64() > pm["version"].as_i64());
    let html = saved["sections"][0]["body_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>pool</strong>") && !html.contains("<script"),
        "{html}"
    );
    assert_eq!(saved["sections"][1]["body"], sections[1]["body"]);
    assert_eq!(saved["sections"][1]["id"], second);

    // A save against the version before is refused and changes nothing.
    let (status, body) = send(
        &app,
        Method::PATCH,
        &reference,
        "",
        &token,
        Some(json!({"version": pm["version"], "title": "Overwritten"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (_, now) = send(&app, Method::GET, &reference, "", &token, None).await;
    assert_eq!(now["title"], pm["title"]);

    // The timeline section follows the incident's timeline when asked.
    let (status, _) = api(
        &app,
        Method::POST,
        &format!("/api/v1/incidents/{reference}/timeline"),
        Some(&token),
        Some(json!({"body": "Failed over to the replica"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, refreshed) = send(
        &app,
        Method::POST,
        &reference,
        "/timeline",
        &token,
        Some(json!({"version": saved["version"]})),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert!(
        refreshed["sections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["body"]
                .as_str()
                .unwrap()
                .contains("Failed over to the replica")),
        "{refreshed}"
    );

    // Review: reviewers first, then submit, approve, publish.
    let version = refreshed["version"].clone();
    let (status, body) = send(
        &app,
        Method::POST,
        &reference,
        "/review",
        &token,
        Some(json!({"version": version, "step": "submit_for_review"})),
    )
    .await;
    assert_eq!(status, 422, "no reviewers yet: {body}");
    let (status, pm) = send(
        &app,
        Method::PUT,
        &reference,
        "/reviewers",
        &token,
        Some(json!({"version": version, "reviewer_ids": [reviewer.id.0]})),
    )
    .await;
    assert_eq!(status, 200, "{pm}");
    assert_eq!(pm["reviewers"][0]["user_id"], reviewer.id.0);
    let mut pm = pm;
    for (who, step, after) in [
        (&token, "submit_for_review", "in_review"),
        (&reviewer_token, "approve", "approved"),
        (&token, "publish", "published"),
    ] {
        let (status, next) = send(
            &app,
            Method::POST,
            &reference,
            "/review",
            who,
            Some(json!({"version": pm["version"], "step": step})),
        )
        .await;
        assert_eq!(status, 200, "{step}: {next}");
        assert_eq!(next["status"], after, "{step}");
        pm = next;
    }
    assert!(pm["published_at"].is_string());
    assert!(pm["reviewers"][0]["approved_at"].is_string());

    // Published: viewers read it and find it in the list.
    let (status, read) = send(&app, Method::GET, &reference, "", &viewer, None).await;
    assert_eq!((status, &read["status"]), (200, &json!("published")));
    let (status, list) = api(
        &app,
        Method::GET,
        "/api/v1/postmortems?status=published&q=pool",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["postmortems"][0]["incident"], json!(reference));

    // Comments, in any status; sanitised like the sections.
    let (status, commented) = send(
        &app,
        Method::POST,
        &reference,
        "/comments",
        &reviewer_token,
        Some(json!({"body": "Good *find* <img src=x onerror=alert(1)>"})),
    )
    .await;
    assert_eq!(status, 201, "{commented}");
    let last = commented["comments"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let html = last["body_html"].as_str().unwrap();
    assert!(
        html.contains("<em>find</em>") && !html.contains("onerror"),
        "{html}"
    );
    assert_eq!(last["author"], json!(reviewer.display_name));

    // Reopened, it is a draft again.
    let (status, reopened) = send(
        &app,
        Method::POST,
        &reference,
        "/review",
        &token,
        Some(json!({"version": commented["version"], "step": "reopen"})),
    )
    .await;
    assert_eq!(status, 200, "{reopened}");
    assert_eq!(reopened["status"], "draft");
}

async fn postmortem_writes_refuse_what_the_page_refuses(app: TestApp) {
    let (author, token) = member(&app, Role::Responder).await;
    let (_, viewer) = member(&app, Role::Viewer).await;
    let reference = app.declared_at(&author, "Queue stuck", 1).await.to_string();

    // No postmortem yet: every write but the start is a 404.
    let (status, _) = send(
        &app,
        Method::PATCH,
        &reference,
        "",
        &token,
        Some(json!({"version": 1})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(&app, Method::POST, "INC-99999", "", &token, None).await;
    assert_eq!(status, 404);
    let (_, pm) = send(&app, Method::POST, &reference, "", &token, None).await;
    let version = pm["version"].clone();

    // Viewers write nothing, whatever the body.
    for (method, tail) in [
        (Method::PATCH, ""),
        (Method::POST, "/timeline"),
        (Method::PUT, "/reviewers"),
        (Method::POST, "/review"),
        (Method::POST, "/comments"),
    ] {
        let (status, _) = send(
            &app,
            method.clone(),
            &reference,
            tail,
            &viewer,
            Some(json!({})),
        )
        .await;
        assert_eq!(status, 403, "{method} {tail}");
    }

    // Bad input is a 422 naming the field, and nothing changes.
    let long = "x".repeat(201);
    for (method, tail, body, field) in [
        (
            Method::PATCH,
            "",
            json!({"version": version, "title": "  "}),
            "title",
        ),
        (
            Method::PATCH,
            "",
            json!({"version": version, "title": long}),
            "title",
        ),
        (
            Method::PATCH,
            "",
            json!({"version": version, "title": "a\u{7}b"}),
            "title",
        ),
        (
            Method::PATCH,
            "",
            json!({"version": version, "sections": [{"id": 999_999_999, "body": "x"}]}),
            "sections",
        ),
        (Method::PATCH, "", json!({"title": "No version"}), "body"),
        (
            Method::PUT,
            "/reviewers",
            json!({"version": version, "reviewer_ids": [999_999_999]}),
            "reviewer_ids",
        ),
        (
            Method::POST,
            "/review",
            json!({"version": version, "step": "merge"}),
            "body",
        ),
        (
            Method::POST,
            "/review",
            json!({"version": version, "step": "publish"}),
            "step",
        ),
        (Method::POST, "/comments", json!({"body": "   "}), "body"),
        (
            Method::POST,
            "/comments",
            json!({"body": "y".repeat(10_001)}),
            "body",
        ),
    ] {
        let (status, answer) = send(
            &app,
            method.clone(),
            &reference,
            tail,
            &token,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 422, "{method} {tail} {body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    // A whole document is more than a form field: a 90,000-character section saves, a
    // body over 2 MiB is a 413 in the API's error shape.
    let sections: Vec<Value> = pm["sections"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|s| json!({"id": s["id"], "body": "é".repeat(90_000)}))
        .collect();
    let (status, saved) = send(
        &app,
        Method::PATCH,
        &reference,
        "",
        &token,
        Some(json!({"version": version, "sections": sections})),
    )
    .await;
    assert_eq!(status, 200, "{}", saved["error"]);
    let version = saved["version"].clone();
    let (status, answer) = send(
        &app,
        Method::PATCH,
        &reference,
        "",
        &token,
        Some(json!({"version": version, "title": "x".repeat(2_200_000)})),
    )
    .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (413, &json!("payload_too_large"))
    );

    let (_, after) = send(&app, Method::GET, &reference, "", &token, None).await;
    assert_eq!(after["version"], version);
    assert_eq!(after["title"], pm["title"]);
    assert!(after["reviewers"].as_array().unwrap().is_empty());
    assert!(after["comments"].as_array().unwrap().is_empty());

    // The list's filters are checked as the document says.
    for query in ["status=bogus", "page=0", "page=100001"] {
        let (status, _) = api(
            &app,
            Method::GET,
            &format!("/api/v1/postmortems?{query}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 422, "{query}");
    }
    // A page past the end is empty, not an error.
    let (status, page) = api(
        &app,
        Method::GET,
        "/api/v1/postmortems?page=100000",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(page["postmortems"].as_array().unwrap().is_empty());
}

/// The revision history and its changes, and the template admins keep, as the history
/// page and the template page show them.
async fn a_script_reads_the_history_and_keeps_the_template(app: TestApp) {
    let (author, token) = member(&app, Role::Responder).await;
    let (_, viewer) = member(&app, Role::Viewer).await;
    let (_, admin) = member(&app, Role::Admin).await;
    let reference = app.declared(&author, "History").await.to_string();
    let (_, pm) = send(&app, Method::POST, &reference, "", &token, None).await;
    let first = pm["sections"][0]["id"].clone();
    let (status, saved) = send(
        &app,
        Method::PATCH,
        &reference,
        "",
        &token,
        Some(json!({"version": pm["version"], "sections": [{"id": first, "body": "old line\nkept"}]})),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (_, saved) = send(
        &app,
        Method::PATCH,
        &reference,
        "",
        &token,
        Some(json!({"version": saved["version"], "sections": [{"id": first, "body": "new line\nkept"}]})),
    )
    .await;
    let newest = saved["version"].as_i64().unwrap();

    let (status, history) = send(&app, Method::GET, &reference, "/history", &token, None).await;
    assert_eq!(status, 200, "{history}");
    let versions: Vec<i64> = history["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions.first(), Some(&newest), "newest first");
    assert_eq!(
        history["revisions"][0]["author"],
        json!(author.display_name)
    );
    assert_eq!(history["compared"], Value::Null);

    let tail = format!("/history?from={}&to={newest}", newest - 1);
    let (status, diff) = send(&app, Method::GET, &reference, &tail, &token, None).await;
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff["compared"], json!([newest - 1, newest]));
    let changed: Vec<&Value> = diff["diff"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["changed"] == json!(true))
        .collect();
    assert_eq!(changed.len(), 1, "{diff}");
    let lines = changed[0]["lines"].as_array().unwrap();
    assert!(
        lines.contains(&json!({"change": "removed", "text": "old line"})),
        "{diff}"
    );
    assert!(
        lines.contains(&json!({"change": "added", "text": "new line"})),
        "{diff}"
    );
    assert!(
        lines.contains(&json!({"change": "same", "text": "kept"})),
        "{diff}"
    );

    for (tail, field) in [
        ("/history?from=1".to_owned(), "to"),
        ("/history?to=2".to_owned(), "from"),
        ("/history?from=0&to=1".to_owned(), "from"),
        (format!("/history?from=1&to={}", newest + 5), "from"),
    ] {
        let (status, body) = send(&app, Method::GET, &reference, &tail, &token, None).await;
        assert_eq!(
            (status, &body["error"]["field"]),
            (422, &json!(field)),
            "{tail}: {body}"
        );
    }
    let (status, _) = send(&app, Method::GET, &reference, "/history", &viewer, None).await;
    assert_eq!(status, 403, "viewers do not read drafts' history");

    // The template: admins only, checked as the template page checks it.
    let path = "/api/v1/postmortem-template";
    let (status, _) = api(&app, Method::GET, path, Some(&token), None).await;
    assert_eq!(status, 403);
    let (status, template) = api(&app, Method::GET, path, Some(&admin), None).await;
    assert_eq!(status, 200);
    assert!(
        template["sections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["title"] == "Root causes"),
        "the SRE book's sections by default"
    );
    let mine = json!({"sections": [
        {"title": "What happened", "guidance": "In plain words.", "starter": "- "},
        {"title": "Timeline", "guidance": ""},
    ]});
    let (status, saved) = api(&app, Method::PUT, path, Some(&admin), Some(mine)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["sections"][0]["title"], "What happened");
    assert_eq!(saved["sections"][1]["starter"], "");
    let other = app.declared(&author, "After the change").await.to_string();
    let (_, started) = send(&app, Method::POST, &other, "", &token, None).await;
    assert_eq!(
        started["sections"][0]["title"], "What happened",
        "{started}"
    );

    let long = "x".repeat(101);
    let many: Vec<Value> = (0..31)
        .map(|n| json!({"title": format!("S{n}"), "guidance": ""}))
        .collect();
    for body in [
        json!({"sections": []}),
        json!({"sections": [{"title": " ", "guidance": "no title"}]}),
        json!({"sections": [{"title": "", "guidance": ""}, {"title": "A", "guidance": ""}]}),
        json!({"sections": [{"title": long, "guidance": ""}]}),
        json!({"sections": [{"title": "a\u{7}b", "guidance": ""}]}),
        json!({"sections": [{"title": "Same", "guidance": ""}, {"title": "same", "guidance": ""}]}),
        json!({"sections": many}),
    ] {
        let (status, refused) =
            api(&app, Method::PUT, path, Some(&admin), Some(body.clone())).await;
        assert_eq!(
            (status, &refused["error"]["field"]),
            (422, &json!("sections")),
            "{body}: {refused}"
        );
    }
    let (_, still) = api(&app, Method::GET, path, Some(&admin), None).await;
    assert_eq!(still, saved, "a refused template changes nothing");
    let (status, reset) = api(&app, Method::DELETE, path, Some(&admin), None).await;
    assert_eq!(status, 200);
    assert_eq!(reset, template, "back to the built-in template");
}

/// Eight scripts save the same section against the same version at once: exactly one
/// save lands, every other is told 409 with nothing overwritten, and the history holds
/// one new revision.
async fn concurrent_saves_of_one_version_keep_exactly_one(app: TestApp) {
    let (author, token) = member(&app, Role::Responder).await;
    let reference = app.declared(&author, "Raced").await.to_string();
    let (_, pm) = send(&app, Method::POST, &reference, "", &token, None).await;
    let (version, section) = (pm["version"].clone(), pm["sections"][0]["id"].clone());
    let saves = (0..8).map(|n| {
        let body = json!({"version": version, "sections": [{"id": section, "body": format!("writer {n}")}]});
        let (app, reference, token) = (&app, &reference, &token);
        async move { send(app, Method::PATCH, reference, "", token, Some(body)).await }
    });
    let answers = futures_util::future::join_all(saves).await;
    let landed: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(landed.len(), 1, "{answers:?}");
    assert!(
        answers.iter().all(|(status, body)| *status == 200
            || (*status == 409 && body["error"]["code"] == "conflict")),
        "{answers:?}"
    );
    let winner = landed[0]["sections"][0]["body"].clone();
    let (_, now) = send(&app, Method::GET, &reference, "", &token, None).await;
    assert_eq!(
        now["sections"][0]["body"], winner,
        "the saved text is the winner's"
    );
    assert_eq!(now["version"], json!(version.as_i64().unwrap() + 1));
    let (_, history) = send(&app, Method::GET, &reference, "/history", &token, None).await;
    assert_eq!(
        history["revisions"].as_array().unwrap().len(),
        2,
        "{history}"
    );
}
