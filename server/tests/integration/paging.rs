//! Lists a script walks by position (`after` an answer's `next`), on both backends: every
//! row once, in the order the numbered pages show, with writes in between.

use app::accounts::Role;
use app::action_items::ItemStatus;
use app::action_items::service::{ItemFields, create_action_item};
use app::postmortems::service::write::create_postmortem;
use chrono::NaiveDate;
use reqwest::Method;
use serde_json::Value;

use crate::api::{api, token_for};
use crate::support::TestApp;

backend_tests!(
    action_items_are_walked_by_position_each_once,
    postmortems_are_walked_by_position_each_once,
);

/// The `id` of every row in the answer's `key` list.
fn ids(body: &Value, key: &str, id: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[id].to_string())
        .collect()
}

/// Follows `next` from the first answer of `path` to the last; the ids of `key` met.
async fn walk(app: &TestApp, token: &str, path: &str, key: &str, id: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..100 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &next {
            None => path.to_owned(),
            Some(at) => format!("{path}{sep}after={at}"),
        };
        let (status, body) = api(app, Method::GET, &url, Some(token), None).await;
        assert_eq!(status, 200, "{url}: {body}");
        seen.extend(ids(&body, key, id));
        match body["next"].as_str() {
            Some(at) => next = Some(at.to_owned()),
            None => return seen,
        }
    }
    panic!("{path}: `next` never ended");
}

/// The ids of `key` over the numbered pages, page 1 to the last.
async fn numbered(app: &TestApp, token: &str, path: &str, key: &str, id: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for page in 1.. {
        let (status, body) = api(
            app,
            Method::GET,
            &format!("{path}?page={page}"),
            Some(token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        seen.extend(ids(&body, key, id));
        if page >= body["pages"].as_u64().unwrap() {
            return seen;
        }
    }
    unreachable!()
}

async fn action_items_are_walked_by_position_each_once(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let (_, token) = token_for(&app, Role::Viewer, "").await;
    // 60 items over three incidents: pending and done, dated (some on the same day) and
    // undated, so every part of the order's keyset is crossed.
    for i in 0..3 {
        let reference = app.declared_at(&ic, &format!("Incident {i}"), 2).await;
        for j in 0..20 {
            let n = i * 20 + j;
            let fields = ItemFields {
                title: format!("Item {n}"),
                due_on: (n % 3 != 0)
                    .then(|| NaiveDate::from_ymd_opt(2026, 12, 1 + (n % 5) as u32).unwrap()),
                status: if n % 4 == 0 {
                    ItemStatus::Done
                } else {
                    ItemStatus::Open
                },
                ..Default::default()
            };
            create_action_item(&app.db, &ic, reference, fields)
                .await
                .unwrap();
        }
    }
    let by_page = numbered(&app, &token, "/api/v1/action-items", "items", "id").await;
    assert_eq!(by_page.len(), 60);
    let by_position = walk(&app, &token, "/api/v1/action-items", "items", "id").await;
    assert_eq!(by_position, by_page, "the same rows in the same order");

    // One incident's items, and a filter, walk the same way.
    let (_, first) = api(
        &app,
        Method::GET,
        "/api/v1/action-items?status=pending",
        Some(&token),
        None,
    )
    .await;
    let pending = walk(
        &app,
        &token,
        "/api/v1/action-items?status=pending",
        "items",
        "id",
    )
    .await;
    assert_eq!(pending.len() as u64, first["total"].as_u64().unwrap());
    assert_eq!(pending.len(), 45);

    // A position read, then a new item sorted before it: the walk goes on from where
    // it was, without repeating what it has seen.
    let (_, page) = api(
        &app,
        Method::GET,
        "/api/v1/action-items",
        Some(&token),
        None,
    )
    .await;
    let after = page["next"].as_str().unwrap().to_owned();
    let reference = app.declared_at(&ic, "Later", 2).await;
    create_action_item(
        &app.db,
        &ic,
        reference,
        ItemFields {
            title: "Urgent".into(),
            due_on: NaiveDate::from_ymd_opt(2020, 1, 1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (status, rest) = api(
        &app,
        Method::GET,
        &format!("/api/v1/action-items?after={after}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(rest["items"][0]["id"].to_string(), by_page[25]);
    assert_eq!(rest["page"], 0);

    for bad in ["x", "p.2026-13-01.1", "p._"] {
        let (status, body) = api(
            &app,
            Method::GET,
            &format!("/api/v1/action-items?after={bad}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(
            (status, &body["error"]["field"]),
            (422, &"after".into()),
            "{bad}"
        );
    }
    let (status, _) = api(
        &app,
        Method::GET,
        &format!("/api/v1/incidents/{reference}/action-items?after=x"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 422);
}

async fn postmortems_are_walked_by_position_each_once(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let (_, token) = token_for(&app, Role::Responder, "").await;
    for i in 0..45 {
        let reference = app.declared_at(&ic, &format!("Outage {i}"), 2).await;
        create_postmortem(&app.db, &ic, reference).await.unwrap();
    }
    let by_page = numbered(
        &app,
        &token,
        "/api/v1/postmortems",
        "postmortems",
        "incident",
    )
    .await;
    assert_eq!(by_page.len(), 45);
    let by_position = walk(
        &app,
        &token,
        "/api/v1/postmortems",
        "postmortems",
        "incident",
    )
    .await;
    assert_eq!(by_position, by_page);
    let mut unique = by_position.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 45, "each once");

    let (status, body): (u16, Value) = api(
        &app,
        Method::GET,
        "/api/v1/postmortems?after=1.2.3",
        Some(&token),
        None,
    )
    .await;
    assert_eq!((status, &body["error"]["field"]), (422, &"after".into()));
    // A status filter names a status from the document's list; an empty one is none.
    for path in ["/api/v1/postmortems?status=", "/api/v1/incidents?status="] {
        let (status, body) = api(&app, Method::GET, path, Some(&token), None).await;
        assert_eq!(
            (status, &body["error"]["field"]),
            (422, &"status".into()),
            "{path}"
        );
    }
}
