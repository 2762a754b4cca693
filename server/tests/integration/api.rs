//! The JSON API with personal tokens, on both backends: token lifecycle and scoping,
//! each endpoint's happy path and its errors.

use app::accounts::Role;
use app::audit::entities::audit_log;
use app::catalog::form::ServiceForm;
use app::catalog::service::add_service;
use app::incidents::entities::severity;
use app::incidents::service::query::get_incident;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::support::TestApp;

backend_tests!(
    tokens_are_shown_once_scoped_to_their_owner_and_revocable,
    the_api_declares_lists_reads_moves_and_annotates_incidents,
    action_items_and_service_reliability_over_the_api,
    the_openapi_document_describes_every_route_and_is_browsable,
    admins_manage_services_and_read_the_audit_log_over_the_api,
    scripts_find_people_severities_and_everyones_action_items,
    a_script_marks_corrects_and_deletes_notes,
);

/// Signs in a new user with `role` and makes a token through the UI's server function.
pub async fn token_for(app: &TestApp, role: Role, expires: &str) -> (reqwest::Client, String) {
    let (client, _) = app.signed_in(role).await;
    let response = app
        .call_with(
            &client,
            "/rpc/create_api_token",
            &[("name", "deploy script"), ("expires_in_days", expires)],
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    (client, body["token"].as_str().unwrap().to_owned())
}

pub async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn tokens_are_shown_once_scoped_to_their_owner_and_revocable(app: TestApp) {
    let (viewer, token) = token_for(&app, Role::Viewer, "30").await;
    assert!(token.starts_with("vigil_api_"));
    let get = reqwest::Method::GET;

    // The token reads as its owner, and records its use.
    let (status, _) = api(&app, get.clone(), "/api/v1/incidents", Some(&token), None).await;
    assert_eq!(status, 200);
    let listed: Value = app
        .call_with(&viewer, "/rpc/list_api_tokens", &[])
        .await
        .json()
        .await
        .unwrap();
    let mine = &listed[0];
    assert_eq!(mine["name"], "deploy script");
    assert!(mine["last_used_at"].is_string());
    assert!(mine["expires_at"].is_string());
    assert!(
        !listed.to_string().contains(&token),
        "the secret is never listed"
    );

    // A viewer's token cannot write.
    let (status, body) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/incidents",
        Some(&token),
        Some(json!({"title": "x", "severity_id": 1, "service_ids": [1]})),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");

    // Bad input is a field error; unknown or missing tokens are 401.
    let response = app
        .call_with(
            &viewer,
            "/rpc/create_api_token",
            &[("name", " "), ("expires_in_days", "0")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("expires_in_days") && text.contains("\"name\""),
        "{text}"
    );
    for bad in [None, Some("vigil_api_nope"), Some("not-even-a-token")] {
        let (status, body) = api(&app, get.clone(), "/api/v1/incidents", bad, None).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }

    // Another user cannot revoke it; an admin sees and can.
    let (other, _) = app.signed_in(Role::Responder).await;
    let id = mine["id"].to_string();
    let response = app
        .call_with(&other, "/rpc/revoke_api_token", &[("id", id.as_str())])
        .await;
    assert_eq!(response.status(), 404);
    let (admin, _) = app.signed_in(Role::Admin).await;
    let everyone: Value = app
        .call_with(&admin, "/rpc/list_api_tokens", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        everyone
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == mine["id"])
    );
    let response = app
        .call_with(&admin, "/rpc/revoke_api_token", &[("id", id.as_str())])
        .await;
    assert_eq!(response.status(), 200);
    let (status, _) = api(&app, get.clone(), "/api/v1/incidents", Some(&token), None).await;
    assert_eq!(status, 401, "a revoked token stops working at once");
    let revoked = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("api_token.revoked"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(revoked.len(), 1);
    assert!(!revoked[0].details.contains(&token));

    // An expired token (made already past its day) is refused.
    let (_, short) = token_for(&app, Role::Viewer, "1").await;
    use sea_orm::{ActiveModelTrait, Set};
    let model = app::api_tokens::entities::api_token::Entity::find()
        .order_by_desc(app::api_tokens::entities::api_token::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    app::api_tokens::entities::api_token::ActiveModel {
        id: Set(model.id),
        expires_at: Set(Some(chrono::Utc::now() - chrono::Duration::minutes(1))),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let (status, _) = api(&app, get.clone(), "/api/v1/incidents", Some(&short), None).await;
    assert_eq!(status, 401);

    // Guessing from one address is cut off with 429; rejections are audited.
    let mut last = 0;
    for _ in 0..20 {
        last = api(
            &app,
            get.clone(),
            "/api/v1/incidents",
            Some("vigil_api_guess"),
            None,
        )
        .await
        .0;
    }
    assert_eq!(last, 429);
    let rejected = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("api_token.rejected"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rejected.len(), 20);
    assert!(
        rejected
            .iter()
            .all(|r| !r.details.contains("vigil_api_guess"))
    );
}

async fn the_api_declares_lists_reads_moves_and_annotates_incidents(app: TestApp) {
    let (_, token) = token_for(&app, Role::Responder, "").await;
    let service = add_service(
        &app.db,
        &app::audit::service::Actor::default(),
        &ServiceForm {
            name: "Checkout".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let sev1 = severity::Entity::find()
        .order_by_asc(severity::Column::Position)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    // Declare: field errors first, then created with its reference.
    let (status, body) = api(
        &app,
        post.clone(),
        "/api/v1/incidents",
        Some(&token),
        Some(json!({"title": "", "severity_id": sev1.id, "service_ids": []})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid");
    assert_eq!(body["error"]["field"], "title");
    let (status, body) = api(
        &app,
        post.clone(),
        "/api/v1/incidents",
        Some(&token),
        Some(json!({"title": 42})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "body");
    let (status, body) = api(
        &app,
        post.clone(),
        "/api/v1/incidents",
        Some(&token),
        Some(json!({
            "title": "Checkout errors",
            "severity_id": sev1.id,
            "service_ids": [service.id],
            "summary": "5xx above 5%",
        })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let reference = body["reference"].as_str().unwrap().to_owned();

    // List (with a filter) and read.
    let (status, body) = api(
        &app,
        get.clone(),
        "/api/v1/incidents?status=triage",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 1);
    assert_eq!(body["incidents"][0]["reference"], reference.as_str());
    let (status, body) = api(
        &app,
        get.clone(),
        "/api/v1/incidents?status=exploded",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (422, json!("status"))
    );
    let path = format!("/api/v1/incidents/{reference}");
    let (status, body) = api(&app, get.clone(), &path, Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["title"], "Checkout errors");
    assert_eq!(body["reference"], reference.as_str());
    let version = body["version"].as_i64().unwrap();
    let (status, _) = api(
        &app,
        get.clone(),
        "/api/v1/incidents/INC-99999",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Status: moves with the current version; a stale version is a conflict.
    let status_path = format!("{path}/status");
    let (status, body) = api(
        &app,
        post.clone(),
        &status_path,
        Some(&token),
        Some(json!({"status": "investigating", "version": version})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "investigating");
    let (status, body) = api(
        &app,
        post.clone(),
        &status_path,
        Some(&token),
        Some(json!({"status": "monitoring", "version": version})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    // A merge target that is not a reference, or names no incident, is the field's
    // error, as on the incident page (not a missing incident).
    for target in ["not a reference", "INC-99999"] {
        let (status, body) = api(
            &app,
            post.clone(),
            &status_path,
            Some(&token),
            Some(json!({"status": "merged", "version": version + 1, "merged_into": target})),
        )
        .await;
        assert_eq!(
            (status, &body["error"]["field"]),
            (422, &json!("merged_into")),
            "{target}: {body}"
        );
    }

    // Details, severity and roles: each names the version it read.
    let (_, current) = api(&app, get.clone(), &path, Some(&token), None).await;
    let version = current["version"].as_i64().unwrap();
    let (status, body) = api(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"version": version, "title": "Checkout 5xx errors", "customer_impact": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, current) = api(&app, get.clone(), &path, Some(&token), None).await;
    assert_eq!(current["title"], "Checkout 5xx errors");
    assert_eq!(
        current["summary"], "5xx above 5%",
        "fields not given keep their values"
    );
    assert_eq!(current["customer_impact"], true);
    let sev2 = severity::Entity::find()
        .order_by_asc(severity::Column::Position)
        .all(&app.db)
        .await
        .unwrap()[1]
        .clone();
    let (status, body) = api(
        &app,
        post.clone(),
        &format!("{path}/severity"),
        Some(&token),
        Some(json!({"severity_id": sev2.id, "version": body["version"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["severity"], sev2.name.as_str());
    let scribe = app.with_user(Role::Responder).await;
    let (status, err) = api(
        &app,
        post.clone(),
        &format!("{path}/roles"),
        Some(&token),
        Some(json!({"role": "chef", "user_id": scribe.id.0, "version": body["version"]})),
    )
    .await;
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("role"))
    );
    let (status, body) = api(
        &app,
        post.clone(),
        &format!("{path}/roles"),
        Some(&token),
        Some(json!({"role": "scribe", "user_id": scribe.id.0, "version": body["version"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, current) = api(&app, get.clone(), &path, Some(&token), None).await;
    assert!(current["roles"].to_string().contains(&scribe.display_name));

    // Timeline: add a note, read it back.
    let timeline_path = format!("{path}/timeline");
    let (status, body) = api(
        &app,
        post.clone(),
        &timeline_path,
        Some(&token),
        Some(json!({"body": "Rolled back **deploy 42**"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api(&app, get.clone(), &timeline_path, Some(&token), None).await;
    assert_eq!(status, 200);
    let events = body["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["body"] == "Rolled back **deploy 42**")
    );
    let (status, _) = api(
        &app,
        post.clone(),
        &timeline_path,
        Some(&token),
        Some(json!({"body": "   "})),
    )
    .await;
    assert_eq!(status, 422);

    // Action items: a bad kind names its field; a good item lists under the incident.
    let items_path = format!("{path}/action-items");
    let (status, body) = api(
        &app,
        post.clone(),
        &items_path,
        Some(&token),
        Some(json!({"title": "Alert on 5xx ratio", "kind": "wish"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (422, json!("kind"))
    );
    let (status, body) = api(
        &app,
        post.clone(),
        &items_path,
        Some(&token),
        Some(json!({"title": "Alert on 5xx ratio", "kind": "detect", "priority": "high", "due_on": "2030-01-31"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api(&app, get.clone(), &items_path, Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["items"][0]["title"], "Alert on 5xx ratio");

    // The postmortem: 404 before it exists, then as JSON and as Markdown.
    let pm_path = format!("{path}/postmortem");
    let (status, body) = api(&app, get.clone(), &pm_path, Some(&token), None).await;
    assert_eq!(status, 404, "{body}");
    let author = app.with_user(Role::Responder).await;
    app::postmortems::service::write::create_postmortem(
        &app.db,
        &author,
        app::incidents::IncidentRef::parse(&reference).unwrap(),
    )
    .await
    .unwrap();
    let (status, body) = api(&app, get.clone(), &pm_path, Some(&token), None).await;
    assert_eq!(status, 200, "{body}");
    let markdown = reqwest::Client::new()
        .get(app.url(&format!("{pm_path}.md")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(markdown.status(), 200);
    assert!(
        markdown.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    assert!(
        markdown
            .text()
            .await
            .unwrap()
            .contains("Checkout 5xx errors")
    );

    // Services, and an unknown endpoint is a JSON 404.
    let (status, body) = api(&app, get.clone(), "/api/v1/services", Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["services"][0]["name"], "Checkout");
    let (status, body) = api(&app, get, "/api/v1/nothing-here", Some(&token), None).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");

    // Oversized bodies are refused before parsing.
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&token)
        .body("x".repeat(200 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

async fn action_items_and_service_reliability_over_the_api(app: TestApp) {
    use reqwest::Method;
    let (_, token) = token_for(&app, Role::Responder, "").await;
    let (_, viewer) = token_for(&app, Role::Viewer, "").await;
    let commander = app.with_user(Role::Responder).await;
    let reference = app.declared_at(&commander, "Search slow", 1).await;
    let items_path = format!("/api/v1/incidents/{reference}/action-items");
    let (status, body) = api(
        &app,
        Method::POST,
        &items_path,
        Some(&token),
        Some(json!({"title": "Cache the query", "kind": "prevent", "priority": "medium", "due_on": "2031-05-01"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let path = format!("/api/v1/action-items/{}", body["id"]);

    let (status, item) = api(&app, Method::GET, &path, Some(&viewer), None).await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(
        (&item["status"], &item["version"], &item["due_on"]),
        (&json!("open"), &json!(1), &json!("2031-05-01"))
    );
    assert_eq!(item["incident"], reference.to_string());
    // One shape for an item wherever it comes from: as added, read alone, in the list.
    assert_eq!(item, body, "GET answers what POST did");
    let (_, list) = api(&app, Method::GET, &items_path, Some(&viewer), None).await;
    assert_eq!(list["items"][0], item);
    assert_eq!(item["owner"], Value::Null);

    // A viewer reads but does not write; a responder's PATCH changes only what it names.
    let (status, _) = api(
        &app,
        Method::PATCH,
        &path,
        Some(&viewer),
        Some(json!({"version": 1, "status": "done"})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, item) = api(
        &app,
        Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"version": 1, "status": "done", "due_on": null})),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["status"], "done");
    assert_eq!(item["version"], 2);
    assert_eq!(item["title"], "Cache the query");
    assert_eq!(item["priority"], "medium");
    assert_eq!(item["due_on"], Value::Null);
    assert!(item["completed_at"].is_string());
    let events = api(
        &app,
        Method::GET,
        &format!("/api/v1/incidents/{reference}/timeline"),
        Some(&token),
        None,
    )
    .await
    .1
    .to_string();
    assert!(
        events.contains("Action item completed: Cache the query"),
        "{events}"
    );

    let (status, body) = api(
        &app,
        Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"version": 1, "title": "Someone else's edit"})),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("conflict")),
        "{body}"
    );
    let (status, body) = api(
        &app,
        Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"version": 2, "kind": "wish"})),
    )
    .await;
    assert_eq!((status, &body["error"]["field"]), (422, &json!("kind")));
    let (status, body) = api(
        &app,
        Method::GET,
        "/api/v1/action-items/x1",
        Some(&token),
        None,
    )
    .await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")));

    // A service and its reliability numbers, over a window the caller chooses.
    let incident = get_incident(&app.db, reference).await.unwrap();
    let slug = &incident.services[0].slug;
    let (status, body) = api(
        &app,
        Method::GET,
        &format!("/api/v1/services/{slug}"),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["slug"], json!(slug));
    let (status, body) = api(
        &app,
        Method::GET,
        &format!("/api/v1/services/{slug}/reliability?window=90"),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["service"]["slug"], json!(slug));
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(
        (time(&body["window"]["end"]) - time(&body["window"]["start"])).num_seconds(),
        90 * 86_400
    );
    assert_eq!(body["failures"], 0, "no impact recorded yet: {body}");
    assert_eq!(
        body["mttf_seconds"],
        Value::Null,
        "no failure, no MTTF: {body}"
    );
    assert_eq!(body["availability"], 1.0);

    // Once the incident's times say two hours of impact, every number the service page
    // shows is in the answer, by the definitions of docs/metrics.md.
    let (_, current) = api(
        &app,
        Method::GET,
        &format!("/api/v1/incidents/{reference}"),
        Some(&token),
        None,
    )
    .await;
    let now = chrono::Utc::now();
    let ago = |minutes: i64| (now - chrono::Duration::minutes(minutes)).to_rfc3339();
    let (status, written) = api(
        &app,
        Method::PATCH,
        &format!("/api/v1/incidents/{reference}"),
        Some(&token),
        Some(json!({"version": current["version"], "times": {
            "impact_started_at": ago(180), "detected_at": ago(170), "declared_at": ago(160),
            "acknowledged_at": ago(150), "mitigated_at": ago(60),
            "resolved_at": null, "closed_at": null,
        }})),
    )
    .await;
    assert_eq!(status, 200, "{written}");
    let (status, body) = api(
        &app,
        Method::GET,
        &format!("/api/v1/services/{slug}/reliability?window=90"),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let window = 90 * 86_400;
    assert_eq!(
        (
            &body["failures"],
            &body["unmitigated"],
            &body["downtime_seconds"]
        ),
        (&json!(1), &json!(0), &json!(7_200)),
        "{body}"
    );
    assert_eq!(body["uptime_seconds"], window - 7_200);
    assert_eq!(body["restore"]["mean"], 7_200.0);
    assert_eq!(body["detect"]["mean"], 600.0);
    assert_eq!(body["acknowledge"]["mean"], 1_200.0);
    let availability = body["availability"].as_f64().unwrap();
    assert!((availability - (window - 7_200) as f64 / window as f64).abs() < 1e-12);
    assert_eq!(body["mttf_seconds"], (window - 7_200) as f64);
    assert_eq!(body["mtbf_seconds"], (window - 7_200 + 7_200) as f64);
    let (status, body) = api(
        &app,
        Method::GET,
        &format!("/api/v1/services/{slug}/reliability?window=7"),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!((status, &body["error"]["field"]), (422, &json!("window")));
    let (status, body) = api(
        &app,
        Method::GET,
        &format!("/api/v1/services/{slug}/reliability?to="),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!((status, &body["error"]["field"]), (422, &json!("to")));
    let (status, _) = api(
        &app,
        Method::GET,
        "/api/v1/services/no-such-service",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

async fn the_openapi_document_describes_every_route_and_is_browsable(app: TestApp) {
    // Public, like any API's description: it holds no data.
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let schemas = &doc["components"]["schemas"];
    for name in ["ApiError", "NewIncident", "StatusChange", "ActionItemPatch"] {
        assert!(schemas[name].is_object(), "schema {name}");
    }
    assert_eq!(
        schemas["NewIncident"]["required"],
        json!(["title", "service_ids"])
    );
    assert_eq!(
        schemas["NewActionItem"]["required"],
        json!(["title", "kind", "priority"]),
        "what the server requires, the document requires"
    );
    let item = &schemas["ActionItemView"]["properties"];
    assert!(item["owner"].is_object(), "{item}");
    assert!(
        item.get("owner_value").is_none(),
        "the form's text is not documented"
    );

    // Every documented operation is served (none falls through to the JSON 404), and
    // the routes and the document come from one registration.
    let (_, token) = token_for(&app, Role::Viewer, "").await;
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    let mut wrong_tokens = 0;
    for (path, item) in paths {
        let concrete = path
            .replace("{reference}", "INC-999")
            .replace("{id}", "999")
            .replace("{slug}", "no-such-service")
            .replace("{step}", "0");
        for (method, op) in item.as_object().unwrap() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            assert!(
                op["responses"]["401"].is_object(),
                "{method} {path} documents 401"
            );
            let body = (method != reqwest::Method::GET).then(|| json!({}));
            // Authentication is enforced on every operation: without a token 401; with
            // a wrong one 401, until this address has sent 20 of them (then 429).
            let (status, _) = api(&app, method.clone(), &concrete, None, body.clone()).await;
            assert_eq!(status, 401, "{method} {path} without a token");
            wrong_tokens += 1;
            let (status, _) = api(
                &app,
                method.clone(),
                &concrete,
                Some("vigil_api_0000000000000000000000000000000000000000000000000000000000000000"),
                body.clone(),
            )
            .await;
            let refused = if wrong_tokens <= 20 { 401 } else { 429 };
            assert_eq!(
                status, refused,
                "{method} {path}: wrong token {wrong_tokens}"
            );
            let (status, answer) = api(&app, method.clone(), &concrete, Some(&token), body).await;
            assert!(
                !answer.to_string().contains("No such API endpoint"),
                "{method} {path} is documented but not served"
            );
            let documented = op["responses"][status.to_string()].is_object();
            assert!(
                documented,
                "{method} {path} answered {status}, which it does not document: {answer}"
            );
            operations += 1;
        }
    }
    assert_eq!(operations, 80);

    // Every JSON answer is a typed schema (a `$ref` or a type), not "any JSON".
    let mut untyped = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            for (code, response) in op["responses"].as_object().unwrap() {
                let schema = &response["content"]["application/json"]["schema"];
                if code.starts_with('2') && !schema.is_null() {
                    let typed = schema.get("$ref").is_some() || schema.get("type").is_some();
                    if !typed {
                        untyped.push(format!("{method} {path} {code}: {schema}"));
                    }
                }
            }
        }
    }
    assert!(untyped.is_empty(), "{untyped:#?}");
    for (name, field, kind) in [
        ("Status", "enum", "resolved"),
        ("ItemKind", "enum", "prevent"),
        ("IncidentRole", "enum", "scribe"),
        ("AlertState", "enum", "firing"),
        ("AlertAction", "enum", "recorded"),
        ("PostmortemStatus", "enum", "in_review"),
    ] {
        assert!(
            schemas[name][field].to_string().contains(kind),
            "{name}: {}",
            schemas[name]
        );
    }
    assert_eq!(schemas["IncidentRef"]["type"], "string");
    assert_eq!(
        schemas["ServiceReliability"]["properties"]["window"]["$ref"],
        "#/components/schemas/Window"
    );
    assert_eq!(
        schemas["Window"]["properties"]["start"]["format"],
        "date-time"
    );
    let (status, body) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/nope",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(body.to_string().contains("/api/v1/docs"));

    let page = reqwest::Client::new()
        .get(app.url("/api/v1/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("style-src 'self'") && !csp.contains("script-src"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<code>POST /api/v1/incidents</code>"),
        "{html}"
    );
    assert!(html.contains("id=\"schema-ActionItemPatch\""));
    assert!(!html.contains("<script"));
}

async fn admins_manage_services_and_read_the_audit_log_over_the_api(app: TestApp) {
    use reqwest::Method;
    let (_, admin) = token_for(&app, Role::Admin, "").await;
    let (_, responder) = token_for(&app, Role::Responder, "").await;
    let new = json!({
        "name": "Payments API", "owner_team": "Payments", "tier": 1,
        "slo": {"target_ppm": 999_500, "window_days": 28},
        "runbooks": [{"title": "Fail over", "url": "https://wiki.example.com/failover"}],
    });

    // Only admins write the catalogue; the role is checked before the body is read.
    let (status, body) = api(
        &app,
        Method::POST,
        "/api/v1/services",
        Some(&responder),
        Some(new.clone()),
    )
    .await;
    assert_eq!((status, &body["error"]["code"]), (403, &json!("forbidden")));
    let (status, created) = api(
        &app,
        Method::POST,
        "/api/v1/services",
        Some(&admin),
        Some(new.clone()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["slug"], "payments-api");
    assert_eq!(
        created["slo"],
        json!({"target_ppm": 999_500, "window_days": 28})
    );
    assert_eq!(created["runbooks"][0]["title"], "Fail over");

    // The admin form's rules and messages, on the API's field names.
    let (status, body) = api(
        &app,
        Method::POST,
        "/api/v1/services",
        Some(&admin),
        Some(new),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("name")),
        "{body}"
    );
    for (bad, field) in [
        (json!({"name": "X", "tier": 9}), "tier"),
        (
            json!({"name": "X", "slo": {"target_ppm": 1_000_000, "window_days": 30}}),
            "slo",
        ),
        (
            json!({"name": "X", "slo": {"target_ppm": 999_000, "window_days": 7}}),
            "slo",
        ),
        (
            json!({"name": "X", "runbooks": [{"title": "a", "url": "javascript:alert(1)"}]}),
            "runbooks",
        ),
        (
            json!({"name": "X", "runbooks": [{"title": "a\nb", "url": "https://x.example"}]}),
            "runbooks",
        ),
        (
            json!({"name": "X", "failure_severity_position": 0}),
            "failure_severity_position",
        ),
    ] {
        let (status, body) = api(
            &app,
            Method::POST,
            "/api/v1/services",
            Some(&admin),
            Some(bad.clone()),
        )
        .await;
        assert_eq!(
            (status, &body["error"]["field"]),
            (422, &json!(field)),
            "{bad}: {body}"
        );
    }

    // A PATCH changes what it names, clears with null, and refuses a stale version.
    let path = "/api/v1/services/payments-api";
    let (status, saved) = api(
        &app,
        Method::PATCH,
        path,
        Some(&admin),
        Some(json!({"version": created["version"], "name": "Payments", "slo": null})),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (&saved["name"], &saved["slug"], &saved["slo"]),
        (&json!("Payments"), &json!("payments-api"), &Value::Null)
    );
    assert_eq!(
        saved["owner_team"], "Payments",
        "fields not given keep their values"
    );
    assert_eq!(saved["runbooks"], created["runbooks"]);
    let (status, body) = api(
        &app,
        Method::PATCH,
        path,
        Some(&admin),
        Some(json!({"version": created["version"], "tier": 3})),
    )
    .await;
    assert_eq!((status, &body["error"]["code"]), (409, &json!("conflict")));

    // Archived services stay readable (history, numbers) and come back.
    let (status, archived) = api(
        &app,
        Method::POST,
        &format!("{path}/archive"),
        Some(&admin),
        Some(json!({"archived": true})),
    )
    .await;
    assert_eq!(
        (status, &archived["archived"]),
        (200, &json!(true)),
        "{archived}"
    );
    let (_, listed) = api(
        &app,
        Method::GET,
        "/api/v1/services",
        Some(&responder),
        None,
    )
    .await;
    assert!(
        listed["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["slug"] == "payments-api" && s["archived"] == true)
    );
    let (_, restored) = api(
        &app,
        Method::POST,
        &format!("{path}/archive"),
        Some(&admin),
        Some(json!({"archived": false})),
    )
    .await;
    assert_eq!(restored["archived"], false);

    // Each write is in the audit log, which only admins read, newest first, by cursor.
    let (status, _) = api(&app, Method::GET, "/api/v1/audit", Some(&responder), None).await;
    assert_eq!(status, 403);
    let (status, log) = api(
        &app,
        Method::GET,
        "/api/v1/audit?limit=2",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 200, "{log}");
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["service.restored", "service.archived"]);
    let next = log["next"].as_i64().unwrap();
    let (_, older) = api(
        &app,
        Method::GET,
        &format!("/api/v1/audit?limit=200&before={next}"),
        Some(&admin),
        None,
    )
    .await;
    let older: Vec<&str> = older["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(&older[..2], ["service.updated", "service.created"]);
    assert!(
        !older.contains(&"service.archived"),
        "no entry twice: {older:?}"
    );
    let (status, body) = api(
        &app,
        Method::GET,
        "/api/v1/audit?limit=201",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!((status, &body["error"]["field"]), (422, &json!("limit")));
    let (status, body) = api(
        &app,
        Method::GET,
        "/api/v1/audit?before=0",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!((status, &body["error"]["field"]), (422, &json!("before")));
    let entry = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("service.created"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(entry.ip.is_some(), "the admin's address is recorded");
}

async fn scripts_find_people_severities_and_everyones_action_items(app: TestApp) {
    use reqwest::Method;
    let (_, viewer) = token_for(&app, Role::Viewer, "").await;
    let (_, token) = token_for(&app, Role::Responder, "").await;
    let owner = app.with_user(Role::Responder).await;

    let (status, body) = api(&app, Method::GET, "/api/v1/severities", Some(&viewer), None).await;
    assert_eq!(status, 200, "{body}");
    let positions: Vec<i64> = body["severities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["position"].as_i64().unwrap())
        .collect();
    assert!(
        positions.len() >= 2 && positions.windows(2).all(|w| w[0] < w[1]),
        "{positions:?}"
    );
    let (status, body) = api(&app, Method::GET, "/api/v1/users", Some(&viewer), None).await;
    assert_eq!(status, 200, "{body}");
    let listed = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == owner.id.0)
        .unwrap();
    assert_eq!(
        (&listed["display_name"], &listed["role"]),
        (&json!(owner.display_name), &json!("responder"))
    );
    assert!(listed.get("password_hash").is_none());

    // Two incidents, items on both: the cross-incident list filters as the page does.
    let first = app.declared_at(&owner, "Search slow", 1).await;
    let second = app.declared_at(&owner, "Queue backlog", 1).await;
    for (reference, title, owner_id) in [
        (first, "Index the column", Some(owner.id.0)),
        (second, "Alert on backlog", None),
    ] {
        let (status, body) = api(
            &app,
            Method::POST,
            &format!("/api/v1/incidents/{reference}/action-items"),
            Some(&token),
            Some(
                json!({"title": title, "owner_id": owner_id, "kind": "detect", "priority": "low"}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let titles = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, body) = api(
        &app,
        Method::GET,
        "/api/v1/action-items",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 2);
    let (_, body) = api(
        &app,
        Method::GET,
        &format!("/api/v1/action-items?owner_id={}", owner.id.0),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(titles(&body), ["Index the column"]);
    assert_eq!(
        body["items"][0]["owner"],
        json!({"id": owner.id.0, "name": owner.display_name})
    );
    // One shape for an owner: the page's form text is not part of the API's answer.
    assert!(body["items"][0].get("owner_value").is_none(), "{body}");
    let id = body["items"][0]["id"].as_i64().unwrap();
    let (status, one) = api(
        &app,
        Method::GET,
        &format!("/api/v1/action-items/{id}"),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["owner"], body["items"][0]["owner"]);
    assert!(one.get("owner_value").is_none(), "{one}");
    let (_, body) = api(
        &app,
        Method::GET,
        &format!("/api/v1/action-items?incident={second}&status=pending"),
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(titles(&body), ["Alert on backlog"]);
    let (_, body) = api(
        &app,
        Method::GET,
        "/api/v1/action-items?status=done",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(body["total"], 0);
    // A page far past the end (found by schemathesis: its offset overflowed) is empty,
    // in the API and on the pages that page by number.
    let (status, body) = api(
        &app,
        Method::GET,
        "/api/v1/action-items?page=100000",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!((status, &body["items"]), (200, &json!([])), "{body}");
    for page in [
        "0",
        "100001",
        "9223372036854775808",
        "18446744073709551615",
        "-1",
    ] {
        let path = format!("/api/v1/action-items?page={page}");
        let (status, body) = api(&app, Method::GET, &path, Some(&viewer), None).await;
        let field = if page == "-1" { "query" } else { "page" };
        assert_eq!(
            (status, &body["error"]["field"]),
            (422, &json!(field)),
            "{page}: {body}"
        );
    }
    let (client, _) = app.signed_in(Role::Admin).await;
    for page in ["/action-items", "/postmortems", "/admin/audit"] {
        let url = app.url(&format!("{page}?page=18446744073709551615"));
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
    }
    for (query, field) in [
        ("status=someday", "status"),
        ("incident=PRB-1", "incident"),
        ("overdue=maybe", "query"),
    ] {
        let (status, body) = api(
            &app,
            Method::GET,
            &format!("/api/v1/action-items?{query}"),
            Some(&viewer),
            None,
        )
        .await;
        assert_eq!(
            (status, &body["error"]["field"]),
            (422, &json!(field)),
            "{query}: {body}"
        );
    }
}

/// A script corrects and deletes notes as the page does: only the incident's own notes,
/// the earlier text kept as a revision, the same limits as adding one.
async fn a_script_marks_corrects_and_deletes_notes(app: TestApp) {
    let (_, token) = token_for(&app, Role::Responder, "").await;
    let (_, viewer) = token_for(&app, Role::Viewer, "").await;
    let ic = app.with_user(Role::Responder).await;
    let first = app.declared_at(&ic, "Checkout down", 1).await;
    let other = app.declared_at(&ic, "Search slow", 1).await;
    let timeline = format!("/api/v1/incidents/{first}/timeline");

    let (status, note) = api(
        &app,
        reqwest::Method::POST,
        &timeline,
        Some(&token),
        Some(json!({"body": "Rolled back 1.4.2", "marker": "repair", "highlighted": true})),
    )
    .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(
        (&note["marker"], &note["highlighted"]),
        (&json!("repair"), &json!(true))
    );
    let path = format!("{timeline}/{}", note["id"]);

    let (status, edited) = api(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(&token),
        Some(json!({"body": "Rolled back 1.4.2 to 1.4.1", "version": note["version"]})),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["body"], "Rolled back 1.4.2 to 1.4.1");
    assert_eq!(
        edited["revisions"],
        json!(["Rolled back 1.4.2"]),
        "{edited}"
    );
    assert_eq!(edited["version"], 2);

    // Two people correcting the note from the same version at once: one edit is saved,
    // every other one is refused with 409 and saves nothing.
    let attempts = (0..6).map(|n| {
        api(
            &app,
            reqwest::Method::PATCH,
            &path,
            Some(&token),
            Some(json!({"body": format!("Correction {n}"), "version": 2})),
        )
    });
    let answers = futures_util::future::join_all(attempts).await;
    let saved: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(saved.len(), 1, "{answers:?}");
    for (status, answer) in answers.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, 409, "{answer}");
        assert_eq!(answer["error"]["code"], "conflict", "{answer}");
    }
    let (_, events) = api(&app, reqwest::Method::GET, &timeline, Some(&token), None).await;
    let stored = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == note["id"])
        .unwrap();
    assert_eq!(stored["body"], saved[0]["body"]);
    assert_eq!(stored["version"], 3);
    assert_eq!(
        stored["revisions"],
        json!(["Rolled back 1.4.2", "Rolled back 1.4.2 to 1.4.1"]),
        "one revision per saved edit, none for the refused ones"
    );

    // Refusals: a viewer, another incident's path, empty and overlong text, no number,
    // a stale or missing version.
    let body = json!({"body": "x", "version": 3});
    for (who, path, body, expected) in [
        (&viewer, path.clone(), body.clone(), 403),
        (
            &token,
            format!("/api/v1/incidents/{other}/timeline/{}", note["id"]),
            body.clone(),
            404,
        ),
        (&token, format!("{timeline}/abc"), body.clone(), 404),
        (
            &token,
            path.clone(),
            json!({"body": "   ", "version": 3}),
            422,
        ),
        (
            &token,
            path.clone(),
            json!({"body": "a".repeat(20_001), "version": 3}),
            422,
        ),
        (
            &token,
            path.clone(),
            json!({"body": "x", "version": 2}),
            409,
        ),
        (&token, path.clone(), json!({"body": "x"}), 422),
    ] {
        let (status, answer) =
            api(&app, reqwest::Method::PATCH, &path, Some(who), Some(body)).await;
        assert_eq!(status, expected, "{path}: {answer}");
    }
    let (status, _) = api(&app, reqwest::Method::DELETE, &path, Some(&viewer), None).await;
    assert_eq!(status, 403);
    let (status, _) = api(&app, reqwest::Method::DELETE, &path, Some(&token), None).await;
    assert_eq!(status, 204);
    let (status, _) = api(&app, reqwest::Method::DELETE, &path, Some(&token), None).await;
    assert_eq!(status, 404, "deleted already");
    let (_, events) = api(&app, reqwest::Method::GET, &timeline, Some(&viewer), None).await;
    assert!(
        !events.to_string().contains("Rolled back"),
        "viewers no longer see it: {events}"
    );
}
