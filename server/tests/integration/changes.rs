//! Changes on both backends: recorded over the API by a pipeline (re-sent events update
//! in place, even sixteen at once), refused field by field with nothing stored, listed
//! in pages and filtered, shown on the incident page for the window before it, and
//! marked as its cause (on the timeline, over the API and with a plain form).

use app::accounts::Role;
use app::catalog::service::create_service;
use app::incidents::service::query::get_incident;
use app::incidents::service::timeline::timeline_of;
use app::incidents::{EventKind, IncidentRef};
use chrono::{Duration, SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{api, token_for};
use crate::support::TestApp;

backend_tests!(
    a_pipeline_records_a_change_and_a_resent_event_updates_it,
    sixteen_senders_of_one_event_record_one_change,
    many_senders_of_new_and_resent_events_link_each_change_to_its_own_services,
    a_service_removed_elsewhere_a_moment_ago_is_a_field_error,
    bad_changes_are_refused_by_field_and_nothing_is_stored,
    changes_are_paged_newest_first_and_filtered,
    the_incident_shows_the_changes_before_it_and_the_commander_marks_the_cause,
    the_changes_page_filters_and_says_which_filter_it_refused,
    a_ci_script_records_a_change_with_the_vigil_command,
    an_incident_declared_from_a_change_names_it_the_suspected_cause,
);

fn at(hours_ago: i64) -> String {
    (Utc::now() - Duration::hours(hours_ago)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A service named `name`; answers its slug.
async fn service(app: &TestApp, name: &str) -> String {
    create_service(&app.db, name, None).await.unwrap().slug
}

async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    api(
        app,
        Method::POST,
        "/api/v1/changes",
        Some(token),
        Some(body),
    )
    .await
}

async fn a_pipeline_records_a_change_and_a_resent_event_updates_it(app: TestApp) {
    let slug = service(&app, "Checkout").await;
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    let started = at(1);
    let (status, first) = post(
        &app,
        &token,
        json!({
            "title": "Deploy checkout",
            "services": [slug],
            "version": "v1.4.2",
            "author": "ci-bot",
            "link": "https://ci.example/runs/77",
            "started_at": started,
            "source": "github-actions",
            "external_id": "run-77",
        }),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["kind"], "deploy");
    assert_eq!(first["outcome"], "in_progress");
    assert_eq!(first["services"][0]["slug"], slug.as_str());
    assert_eq!(first["started_at"], started.as_str());
    let id = first["id"].as_i64().unwrap();

    // The same run reports that it finished: the change is updated, not repeated.
    let (status, second) = post(
        &app,
        &token,
        json!({
            "title": "Deploy checkout",
            "services": [slug],
            "version": "v1.4.2",
            "started_at": started,
            "finished_at": at(0),
            "source": "github-actions",
            "external_id": "run-77",
        }),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["id"], id);
    assert_eq!(second["outcome"], "succeeded");
    let (status, read) = api(
        &app,
        Method::GET,
        &format!("/api/v1/changes/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read, second);
    let (_, listed) = api(&app, Method::GET, "/api/v1/changes", Some(&token), None).await;
    assert_eq!(listed["changes"].as_array().unwrap().len(), 1);

    // Another source may use the same id for a change of its own.
    let (status, other) = post(
        &app,
        &token,
        json!({"title": "Flag on", "kind": "feature_flag", "services": [slug],
               "source": "flags", "external_id": "run-77"}),
    )
    .await;
    assert_eq!(status, 201, "{other}");

    // A rollback names the change it reverts, which is then marked rolled back.
    let (status, rollback) = post(
        &app,
        &token,
        json!({"title": "Roll back checkout", "services": [slug], "reverts": id,
               "started_at": at(1), "finished_at": at(0)}),
    )
    .await;
    assert_eq!(status, 201, "{rollback}");
    assert_eq!(rollback["reverts"], id);
    assert_eq!(rollback["source"], "api");
    let (_, reverted) = api(
        &app,
        Method::GET,
        &format!("/api/v1/changes/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(reverted["outcome"], "rolled_back");

    // Reading takes a viewer; recording a responder.
    let (_, viewer) = token_for(&app, Role::Viewer, "30").await;
    let (status, _) = api(&app, Method::GET, "/api/v1/changes", Some(&viewer), None).await;
    assert_eq!(status, 200);
    let (status, _) = post(&app, &viewer, json!({"title": "x", "services": [slug]})).await;
    assert_eq!(status, 403);
    let (status, _) = api(&app, Method::GET, "/api/v1/changes", None, None).await;
    assert_eq!(status, 401);
    let (status, body) = api(
        &app,
        Method::GET,
        "/api/v1/changes/99999",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")));
    let (status, _) = api(
        &app,
        Method::GET,
        "/api/v1/changes/nope",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

async fn sixteen_senders_of_one_event_record_one_change(app: TestApp) {
    let slug = service(&app, "Ledger").await;
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    let mut senders = Vec::new();
    for n in 0..16 {
        let (app_url, token, slug) = (app.url("/api/v1/changes"), token.clone(), slug.clone());
        senders.push(tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(app_url)
                .bearer_auth(token)
                .json(&json!({
                    "title": format!("Deploy ledger (sender {n})"),
                    "services": [slug],
                    "source": "argocd",
                    "external_id": "ledger-sync-1",
                }))
                .send()
                .await
                .unwrap();
            response.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for sender in senders {
        statuses.push(sender.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
    let (_, listed) = api(&app, Method::GET, "/api/v1/changes", Some(&token), None).await;
    assert_eq!(listed["changes"].as_array().unwrap().len(), 1, "{listed}");
}

/// A new change and its services are written in one round trip, a re-sent event takes
/// the other path: with sixteen senders mixing both (and changes without an id) on the
/// same connections, every change ends with the services of its last report, no more.
async fn many_senders_of_new_and_resent_events_link_each_change_to_its_own_services(app: TestApp) {
    let (a, b, c) = (
        service(&app, "Alpha").await,
        service(&app, "Bravo").await,
        service(&app, "Charlie").await,
    );
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    let mut senders = Vec::new();
    for n in 0..16 {
        let (url, token) = (app.url("/api/v1/changes"), token.clone());
        let (a, b, c) = (a.clone(), b.clone(), c.clone());
        senders.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut statuses = Vec::new();
            for k in 0..4 {
                let id = format!("s{n}-{k}");
                let first = if k % 2 == 0 {
                    json!([a])
                } else {
                    json!([b, c])
                };
                for body in [
                    json!({"title": "New", "services": first, "source": "ci", "external_id": id}),
                    json!({"title": "Again", "services": [c], "source": "ci", "external_id": id}),
                    json!({"title": "No id", "services": [a, b]}),
                ] {
                    let sent = client.post(&url).bearer_auth(&token).json(&body).send();
                    statuses.push(sent.await.unwrap().status().as_u16());
                }
            }
            statuses
        }));
    }
    for sender in senders {
        assert_eq!(
            sender.await.unwrap(),
            [201, 200, 201].repeat(4),
            "new, re-sent, new"
        );
    }
    let (status, listed) = api(
        &app,
        Method::GET,
        "/api/v1/changes?limit=200",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let changes = listed["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 16 * 4 * 2);
    for change in changes {
        let mut slugs: Vec<&str> = change["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["slug"].as_str().unwrap())
            .collect();
        slugs.sort_unstable();
        let expected = if change["external_id"].is_null() {
            assert_eq!(change["title"], "No id");
            vec![a.as_str(), b.as_str()]
        } else {
            assert_eq!(change["title"], "Again");
            vec![c.as_str()]
        };
        assert_eq!(slugs, expected, "{change}");
    }
}

/// Services are kept by slug between requests for a few seconds; one removed meanwhile
/// by another replica (here: behind the server's back) is refused as a field error, not
/// a server error, and nothing is stored.
async fn a_service_removed_elsewhere_a_moment_ago_is_a_field_error(app: TestApp) {
    use sea_orm::ConnectionTrait;
    let slug = service(&app, "Short-lived").await;
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    // Refused for its link, after the service was looked up (and kept).
    let (status, body) = post(
        &app,
        &token,
        json!({"title": "Deploy", "services": [slug], "link": "ftp://x"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    app.db
        .execute_unprepared(&format!("DELETE FROM services WHERE slug = '{slug}'"))
        .await
        .unwrap();
    for body in [
        json!({"title": "Deploy", "services": [slug]}),
        json!({"title": "Deploy", "services": [slug], "source": "ci", "external_id": "1"}),
    ] {
        let (status, body) = post(&app, &token, body).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "services", "{body}");
    }
    let (_, listed) = api(&app, Method::GET, "/api/v1/changes", Some(&token), None).await;
    assert_eq!(listed["changes"], json!([]), "{listed}");
}

async fn bad_changes_are_refused_by_field_and_nothing_is_stored(app: TestApp) {
    let slug = service(&app, "Search").await;
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    let good = json!({"title": "Deploy search", "services": [slug]});
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("title", json!("  ")), "title"),
        (with("title", json!("Deploy\nFAKE LINE")), "title"),
        (with("title", json!("x".repeat(201))), "title"),
        (with("services", json!([])), "services"),
        (with("services", json!(["no-such-service"])), "services"),
        (with("services", json!(["nul\u{0}slug"])), "services"),
        (with("title", json!("nul\u{0}title")), "title"),
        (with("link", json!("javascript:alert(1)")), "link"),
        (with("version", json!("v1\u{202e}")), "version"),
        (with("started_at", json!(at(-48))), "started_at"),
        (with("source", json!("a b")), "source"),
        (with("reverts", json!(424242)), "reverts"),
        (with("kind", json!("earthquake")), "body"),
        (with("unknown", json!(1)), "body"),
    ];
    let mut finished_in_progress = with("outcome", json!("in_progress"));
    finished_in_progress["started_at"] = json!(at(1));
    finished_in_progress["finished_at"] = json!(at(0));
    for (body, field) in cases.into_iter().chain([(finished_in_progress, "outcome")]) {
        let (status, answer) = post(&app, &token, body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    let mut backwards = good.clone();
    backwards["started_at"] = json!(at(1));
    backwards["finished_at"] = json!(at(2));
    let (status, answer) = post(&app, &token, backwards).await;
    assert_eq!(
        (status, &answer["error"]["field"]),
        (422, &json!("finished_at"))
    );
    let mut late_commit = good.clone();
    late_commit["started_at"] = json!(at(2));
    late_commit["committed_at"] = json!(at(1));
    let (status, answer) = post(&app, &token, late_commit).await;
    assert_eq!(
        (status, &answer["error"]["field"]),
        (422, &json!("committed_at"))
    );
    let (status, _) = api(
        &app,
        Method::POST,
        "/api/v1/changes",
        Some(&token),
        Some(json!({"title": "x".repeat(70_000), "services": [slug]})),
    )
    .await;
    assert_eq!(status, 413);

    let (_, listed) = api(&app, Method::GET, "/api/v1/changes", Some(&token), None).await;
    assert_eq!(listed["changes"], json!([]), "nothing stored");
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("after=abc", "after"),
        ("kind=earthquake", "query"),
        ("service=nope", "service"),
        ("service=a%00b", "service"),
        ("since=yesterday", "query"),
    ] {
        let (status, answer) = api(
            &app,
            Method::GET,
            &format!("/api/v1/changes?{query}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(
            (status, &answer["error"]["field"]),
            (422, &json!(field)),
            "{query}"
        );
    }
}

async fn changes_are_paged_newest_first_and_filtered(app: TestApp) {
    let web = service(&app, "Web").await;
    let db = service(&app, "Database").await;
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    let mut ids = Vec::new();
    for n in 0..5i64 {
        let (kind, slug, finished) = if n % 2 == 0 {
            ("deploy", &web, json!(at(n)))
        } else {
            ("config", &db, Value::Null)
        };
        let mut body = json!({"title": format!("Change {n}"), "kind": kind,
                              "services": [slug], "started_at": at(n + 1)});
        if !finished.is_null() {
            body["finished_at"] = finished;
        }
        let (status, change) = post(&app, &token, body).await;
        assert_eq!(status, 201, "{change}");
        ids.push(change["id"].as_i64().unwrap());
    }
    // Newest first, two a page, each page after the last one's `next`.
    let (mut seen, mut path) = (Vec::new(), "/api/v1/changes?limit=2".to_owned());
    loop {
        let (status, page) = api(&app, Method::GET, &path, Some(&token), None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/changes?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every change once, newest first");

    let count = |query: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            let (status, page) = api(
                app,
                Method::GET,
                &format!("/api/v1/changes?{query}"),
                Some(&token),
                None,
            )
            .await;
            assert_eq!(status, 200, "{query}: {page}");
            page["changes"].as_array().unwrap().len()
        }
    };
    assert_eq!(count("kind=config").await, 2);
    assert_eq!(count("outcome=succeeded").await, 3);
    assert_eq!(count("outcome=in_progress").await, 2);
    assert_eq!(count("caused_incident=true").await, 0);
    // The service by its name, as the list page reads it, as well as by its slug.
    assert_eq!(count("service=database").await, 2);
    let (_, page) = api(
        &app,
        Method::GET,
        &format!("/api/v1/changes?service={db}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(page["changes"].as_array().unwrap().len(), 2);
    // Half an hour before the third change: a clock that ticks past a second
    // between the posts and this line must not move the boundary onto it.
    let since = (Utc::now() - Duration::minutes(3 * 60 + 30))
        .to_rfc3339_opts(SecondsFormat::Secs, true)
        .replace('+', "%2B");
    let (_, page) = api(
        &app,
        Method::GET,
        &format!("/api/v1/changes?since={since}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(page["changes"].as_array().unwrap().len(), 3, "{page}");
}

async fn the_incident_shows_the_changes_before_it_and_the_commander_marks_the_cause(app: TestApp) {
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    let commander = app.with_user(Role::Responder).await;
    let reference = app.declared(&commander, "Checkout errors").await;
    let incident = get_incident(&app.db, reference).await.unwrap();
    let mine = incident.services[0].slug.clone();
    let other = service(&app, "Unrelated").await;
    let record = |title: &'static str, slug: String, hours: i64| {
        let token = token.clone();
        let app = &app;
        async move {
            let (status, change) = post(
                app,
                &token,
                json!({"title": title, "services": [slug], "started_at": at(hours)}),
            )
            .await;
            assert_eq!(status, 201, "{change}");
            change["id"].as_i64().unwrap()
        }
    };
    let recent = record("Deploy <img src=x onerror=alert(1)>", mine.clone(), 2).await;
    let older = record("Older config", mine.clone(), 30).await;
    record("Elsewhere", other, 1).await;

    let path = format!("/api/v1/incidents/{reference}/changes");
    let (status, before) = api(&app, Method::GET, &path, Some(&token), None).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["window_hours"], 24);
    let ids = |v: &Value| -> Vec<i64> {
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(&before),
        vec![recent],
        "only its services, only the window"
    );
    let (_, wider) = api(
        &app,
        Method::GET,
        &format!("{path}?window_hours=72"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(ids(&wider), vec![recent, older]);
    for bad in ["0", "169", "x"] {
        let (status, _) = api(
            &app,
            Method::GET,
            &format!("{path}?window_hours={bad}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 422, "{bad}");
    }
    let (status, _) = api(
        &app,
        Method::GET,
        "/api/v1/incidents/INC-99999/changes",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Marked as the confirmed cause over the API: on the change, in the incident's list
    // whatever the window, and on its timeline.
    let link = format!("/api/v1/incidents/{reference}/changes/{older}");
    let (status, linked) = api(
        &app,
        Method::PUT,
        &link,
        Some(&token),
        Some(json!({"cause": "confirmed"})),
    )
    .await;
    assert_eq!(status, 200, "{linked}");
    assert_eq!(
        linked["incidents"],
        json!([{"incident": reference.to_string(), "cause": "confirmed"}])
    );
    let (_, before) = api(&app, Method::GET, &path, Some(&token), None).await;
    assert_eq!(ids(&before), vec![recent, older]);
    let (_, caused) = api(
        &app,
        Method::GET,
        "/api/v1/changes?caused_incident=true",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(ids(&caused), vec![older]);
    let events = timeline_of(&app.db, reference, Role::Viewer).await.unwrap();
    let marked = events
        .iter()
        .filter(|e| e.kind == EventKind::Change)
        .collect::<Vec<_>>();
    assert_eq!(marked.len(), 1);
    assert!(marked[0].body.contains("Older config") && marked[0].body.contains("confirmed cause"));
    let (status, _) = api(
        &app,
        Method::PUT,
        &link,
        Some(&token),
        Some(json!({"cause": "likely"})),
    )
    .await;
    assert_eq!(status, 422);
    let (_, viewer) = token_for(&app, Role::Viewer, "30").await;
    let (status, _) = api(
        &app,
        Method::PUT,
        &link,
        Some(&viewer),
        Some(json!({"cause": "confirmed"})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = api(
        &app,
        Method::PUT,
        &format!("/api/v1/incidents/{reference}/changes/99999"),
        Some(&token),
        Some(json!({"cause": "confirmed"})),
    )
    .await;
    assert_eq!(status, 404);

    // The page lists them, the hostile title as text, with the mark and its buttons.
    let (client, _) = app.signed_in(Role::Responder).await;
    let html = app
        .get_with(&client, &format!("/incidents/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Changes before this incident"));
    assert!(
        html.contains("Deploy &lt;img src=x onerror=alert(1)&gt;"),
        "escaped"
    );
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("Confirmed cause"));
    assert!(html.contains("Not the cause"));

    // A plain form (JavaScript off) marks the recent one suspected and comes back.
    let response = client
        .post(app.url("/rpc/link_change"))
        .header("origin", app.url(""))
        .header("accept", "text/html")
        .form(&[
            ("reference", reference.to_string().as_str()),
            ("change_id", recent.to_string().as_str()),
            ("cause", "suspected"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/incidents/{reference}#changes").as_str()
    );
    let (_, recent_view) = api(
        &app,
        Method::GET,
        &format!("/api/v1/changes/{recent}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(recent_view["incidents"][0]["cause"], "suspected");

    // Unlinked: gone from the change, recorded on the timeline.
    let (status, unlinked) = api(&app, Method::DELETE, &link, Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(unlinked["incidents"], json!([]));
    let events = timeline_of(&app.db, IncidentRef(reference.0), Role::Viewer)
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == EventKind::Change)
            .count(),
        3
    );

    // The recent one, still suspected, is rolled back by hand: on the change and on the
    // timeline of the incident it is linked to; again changes nothing; viewers cannot.
    let rollback = format!("/api/v1/changes/{recent}/rollback");
    let (status, rolled) = api(&app, Method::POST, &rollback, Some(&token), None).await;
    assert_eq!(status, 200, "{rolled}");
    assert_eq!(rolled["outcome"], "rolled_back");
    let (status, _) = api(&app, Method::POST, &rollback, Some(&token), None).await;
    assert_eq!(status, 200);
    let (status, _) = api(&app, Method::POST, &rollback, Some(&viewer), None).await;
    assert_eq!(status, 403);
    let (status, _) = api(
        &app,
        Method::POST,
        "/api/v1/changes/99999/rollback",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let events = timeline_of(&app.db, IncidentRef(reference.0), Role::Viewer)
        .await
        .unwrap();
    let rolled_back: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EventKind::Change && e.body.contains("was rolled back"))
        .collect();
    assert_eq!(rolled_back.len(), 1, "once, however often it is marked");
    assert!(rolled_back[0].body.contains("Deploy"));
    // A plain form from the incident page does the same and comes back to it.
    let response = client
        .post(app.url("/rpc/mark_change_rolled_back"))
        .header("origin", app.url(""))
        .header("accept", "text/html")
        .form(&[
            ("reference", reference.to_string().as_str()),
            ("change_id", older.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let (_, older_view) = api(
        &app,
        Method::GET,
        &format!("/api/v1/changes/{older}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(older_view["outcome"], "rolled_back");
}

async fn the_changes_page_filters_and_says_which_filter_it_refused(app: TestApp) {
    let web = service(&app, "Storefront").await;
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    for (title, kind) in [
        ("Ship <script>alert(1)</script>", "deploy"),
        ("Tune cache TTL", "config"),
    ] {
        let (status, _) = post(
            &app,
            &token,
            json!({"title": title, "kind": kind, "services": [web]}),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let page = |path: &'static str| {
        let (app, viewer) = (&app, viewer.clone());
        async move {
            let response = app.get_with(&viewer, path).await;
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.unwrap()
        }
    };
    let all = page("/changes").await;
    assert!(
        all.contains("Ship &lt;script&gt;alert(1)&lt;/script&gt;"),
        "escaped"
    );
    assert!(!all.contains("<script>alert(1)"));
    assert!(all.contains("Tune cache TTL"));
    let configs = page("/changes?kind=config&service=Storefront").await;
    assert!(configs.contains("Tune cache TTL") && !configs.contains("Ship &lt;script"));
    assert!(
        page("/changes?caused=yes")
            .await
            .contains("No changes match.")
    );
    let refused = page("/changes?kind=earthquake&service=Nowhere&caused=maybe").await;
    assert!(refused.contains("Choose a kind from the list."));
    assert!(refused.contains("No service is called “Nowhere”."));
    assert!(refused.contains("Choose yes, no or any."));
    assert!(refused.contains("No changes match."));
    // Signed out: to the sign-in page.
    assert_eq!(app.get("/changes").await.status(), 303);
}

/// Runs `vigil` with `args` off the test's runtime (the server answers on it).
async fn vigil(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(&args)
            .env_remove("VIGIL_TOKEN")
            .env_remove("VIGIL_URL")
            .output()
            .expect("vigil runs")
    })
    .await
    .unwrap()
}

async fn a_ci_script_records_a_change_with_the_vigil_command(app: TestApp) {
    let slug = service(&app, "Billing").await;
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    let args = |extra: &[&str]| {
        let mut args: Vec<String> = ["change", "record", "--url", &app.url(""), "--token", &token]
            .map(str::to_owned)
            .to_vec();
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args
    };
    let output = vigil(args(&[
        "--service",
        &slug,
        "--title",
        "Deploy billing",
        "--version",
        "v9",
        "--source",
        "jenkins",
        "--external-id",
        "build-12",
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("recorded change "), "{stdout}");
    let output = vigil(args(&[
        "--service",
        &slug,
        "--title",
        "Deploy billing",
        "--version",
        "v9",
        "--source",
        "jenkins",
        "--external-id",
        "build-12",
        "--outcome",
        "failed",
        "--finished-at",
        &at(0),
    ]))
    .await;
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("updated change "));
    let (_, listed) = api(&app, Method::GET, "/api/v1/changes", Some(&token), None).await;
    assert_eq!(listed["changes"].as_array().unwrap().len(), 1);
    assert_eq!(listed["changes"][0]["outcome"], "failed");

    // Refusals are one line naming the field, and a failing exit code.
    let output = vigil(args(&["--service", "nowhere", "--title", "Deploy"])).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("services: There is no service"), "{stderr}");
    let mut wrong = args(&["--service", &slug, "--title", "Deploy"]);
    wrong[5] = "vigil_api_0000".into();
    let output = vigil(wrong).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("401"));
}

async fn an_incident_declared_from_a_change_names_it_the_suspected_cause(app: TestApp) {
    let slug = service(&app, "Search").await;
    let (_, token) = token_for(&app, Role::Responder, "30").await;
    let (_, change) = post(
        &app,
        &token,
        json!({"title": "Reindex <em>all</em>", "services": [slug], "version": "r7"}),
    )
    .await;
    let id = change["id"].as_i64().unwrap();
    let service_id = app::catalog::service::get_service(&app.db, &slug)
        .await
        .unwrap()
        .id;
    let severity_id = app::incidents::service::query::severities(&app.db)
        .await
        .unwrap()[1]
        .id;

    // Over the API: declared and linked together; an unknown change declares nothing.
    let body = |change: i64| {
        json!({"title": "Search returns nothing", "severity_id": severity_id,
               "service_ids": [service_id], "suspected_change": change})
    };
    let (status, refused) = api(
        &app,
        Method::POST,
        "/api/v1/incidents",
        Some(&token),
        Some(body(99_999)),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["field"], "suspected_change");
    let (_, listed) = api(&app, Method::GET, "/api/v1/incidents", Some(&token), None).await;
    assert_eq!(listed["incidents"].as_array().unwrap().len(), 0);
    let (status, declared) = api(
        &app,
        Method::POST,
        "/api/v1/incidents",
        Some(&token),
        Some(body(id)),
    )
    .await;
    assert_eq!(status, 201, "{declared}");
    let (_, linked) = api(
        &app,
        Method::GET,
        &format!("/api/v1/changes/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        linked["incidents"],
        json!([{"incident": declared["reference"], "cause": "suspected"}])
    );
    let reference = IncidentRef::parse(declared["reference"].as_str().unwrap()).unwrap();
    let events = timeline_of(&app.db, reference, Role::Viewer).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == EventKind::Change && e.body.contains("suspected cause"))
    );

    // The form, opened from the change: it names the change (as text) and its services.
    let (responder, _) = app.signed_in(Role::Responder).await;
    let html = app
        .get_with(&responder, &format!("/incidents/new?change={id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Suspected cause"), "named");
    assert!(html.contains("Reindex &lt;em&gt;all&lt;/em&gt;"), "escaped");
    assert!(
        html.contains(&format!("value=\"{slug}\"")),
        "its services filled in"
    );
    // The changes list offers it to responders, not to viewers.
    let list = app
        .get_with(&responder, "/changes")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("/incidents/new?change={id}")));
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let list = app
        .get_with(&viewer, "/changes")
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains("/incidents/new?change="));
    // A plain form post from it declares and links.
    let form = [
        ("form[title]", "Search slow"),
        ("form[severity_id]", &severity_id.to_string()),
        ("form[services]", &slug),
        ("form[suspected_change]", &id.to_string()),
    ];
    let response = app
        .call_with(&responder, "/rpc/declare_incident", &form)
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let (_, linked) = api(
        &app,
        Method::GET,
        &format!("/api/v1/changes/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(linked["incidents"].as_array().unwrap().len(), 2);

    // The postmortem's facts name the change and how sure the responders are.
    let response = app
        .call_with(
            &responder,
            "/rpc/start_postmortem",
            &[("reference", &reference.to_string())],
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let html = app
        .get_with(&responder, &format!("/incidents/{reference}/postmortem"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Changes linked as causes"), "facts");
    assert!(html.contains("Reindex &lt;em&gt;all&lt;/em&gt;") && html.contains("Suspected cause"));
}
