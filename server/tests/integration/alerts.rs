//! Alert ingestion over HTTP on both backends: Alertmanager, Grafana and PagerDuty
//! payloads written from their documented formats, for firing, repeat, group and
//! resolve; tokens, rules and refusals.

use std::collections::BTreeMap;

use app::accounts::Role;
use app::alerts::entities::alert;
use app::alerts::service::{SourceForm, create_source};
use app::audit::entities::audit_log;
use app::catalog::form::ServiceForm;
use app::catalog::service::add_service;
use app::incidents::IncidentRef;
use app::incidents::entities::{incident, severity, timeline_event};
use app::incidents::service::query::get_incident;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Statement,
};
use serde_json::{Value, json};

use crate::support::TestApp;

backend_tests!(
    alertmanager_alerts_open_deduplicate_group_and_resolve,
    pagerduty_events_trigger_acknowledge_and_resolve,
    bad_tokens_and_payloads_are_refused_whole,
    admins_manage_sources_and_others_cannot,
    admins_read_received_alerts_over_the_api,
    unreadable_stored_rules_refuse_alerts_instead_of_recording_them,
    a_payload_of_repeats_keeps_each_alerts_own_labels,
);

/// A source of `kind` for a new "Checkout" service; critical pages at the top
/// severity, warning is recorded only. Returns (token, checkout service id).
pub async fn source(app: &TestApp, kind: &str, auto_resolve: bool) -> (String, i64) {
    let admin = app.with_user(Role::Admin).await;
    let service = add_service(
        &app.db,
        &app::audit::service::Actor::default(),
        &ServiceForm {
            name: format!("Checkout {kind}"),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let top = severity::Entity::find()
        .order_by_asc(severity::Column::Position)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let issued = create_source(
        &app.db,
        &admin,
        SourceForm {
            name: format!("{kind} production"),
            kind: kind.to_owned(),
            service_id: service.id.to_string(),
            rules: BTreeMap::from([
                ("critical".to_owned(), top.id.to_string()),
                ("warning".to_owned(), "record".to_owned()),
            ]),
            auto_resolve,
        },
        None,
    )
    .await
    .unwrap();
    assert!(issued.token.starts_with("vigil_alert_"));
    (issued.token, service.id)
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(app.url(path)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn alertmanager(status: &str, alerts: Value) -> Value {
    alertmanager_group("CheckoutErrors", "Checkout 5xx above 5%", status, alerts)
}

/// Alertmanager's webhook body for the alert group `group`.
pub fn alertmanager_group(group: &str, summary: &str, status: &str, alerts: Value) -> Value {
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{group}\"}}"),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "vigil",
        "groupLabels": {"alertname": group},
        "commonLabels": {"alertname": group, "severity": "critical"},
        "commonAnnotations": {"summary": summary},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts,
    })
}

/// One alert of that body, from `instance`.
pub fn am_alert(status: &str, instance: &str, fingerprint: &str) -> Value {
    json!({
        "status": status,
        "labels": {"instance": instance},
        "annotations": {"description": format!("{instance} is failing")},
        "startsAt": "2026-11-22T10:00:00Z",
        "endsAt": if status == "resolved" { "2026-11-22T10:30:00Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://prometheus.example:9090/graph",
        "fingerprint": fingerprint,
    })
}

async fn timeline_bodies(app: &TestApp, incident_id: i64) -> Vec<String> {
    timeline_event::Entity::find()
        .filter(timeline_event::Column::IncidentId.eq(incident_id))
        .order_by_asc(timeline_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.body)
        .collect()
}

async fn alertmanager_alerts_open_deduplicate_group_and_resolve(app: TestApp) {
    let (token, checkout) = source(&app, "alertmanager", false).await;
    // The service's playbook arrives with the incident an alert opens.
    let writer = app.with_user(app::accounts::Role::Responder).await;
    let playbook = app::playbooks::form::PlaybookSpec {
        title: "Checkout errors".into(),
        body: String::new(),
        steps: app::playbooks::form::parse_steps("Look at the error rate").unwrap(),
    };
    app::playbooks::service::create_playbook(&app.db, &writer.actor(None), &playbook, &[checkout])
        .await
        .unwrap();

    // Firing: one incident, on the source's service, detected when the alert started.
    let (status, body) = post(
        &app,
        "/hooks/alerts",
        Some(&token),
        alertmanager("firing", json!([am_alert("firing", "web-1", "fp-1")])),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["alerts"][0]["action"], "opened", "{body}");
    let reference = body["alerts"][0]["incident"].as_str().unwrap().to_owned();
    let id = IncidentRef::parse(&reference).unwrap();
    let detail = get_incident(&app.db, id).await.unwrap();
    assert_eq!(detail.title, "Checkout 5xx above 5%");
    assert_eq!(
        detail.services.iter().map(|s| s.id).collect::<Vec<_>>(),
        [checkout]
    );
    let row = incident::Entity::find_by_id(id.0)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.detected_at.map(|t| t.to_rfc3339()),
        Some("2026-11-22T10:00:00+00:00".to_owned())
    );
    assert!(
        timeline_bodies(&app, id.0)
            .await
            .iter()
            .any(|b| b.starts_with("Opened by alert: “Checkout 5xx above 5%”"))
    );
    let checklists = app::playbooks::service::incident_playbooks(&app.db, id)
        .await
        .unwrap()
        .checklists;
    assert_eq!(checklists.len(), 1);
    assert_eq!(checklists[0].title, "Checkout errors");

    // The same alert again: no new incident, the stored alert counts the repeat.
    let (status, body) = post(
        &app,
        "/hooks/alerts",
        Some(&token),
        alertmanager("firing", json!([am_alert("firing", "web-1", "fp-1")])),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["alerts"][0]["action"], "repeated");
    assert_eq!(body["alerts"][0]["incident"], reference.as_str());
    let stored = alert::Entity::find()
        .filter(alert::Column::Fingerprint.eq("fp-1"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].repeats, 1);
    assert!(stored[0].raw.contains("web-1"));

    // Another alert of the same group joins the open incident.
    let (_, body) = post(
        &app,
        "/hooks/alerts",
        Some(&token),
        alertmanager(
            "firing",
            json!([
                am_alert("firing", "web-1", "fp-1"),
                am_alert("firing", "web-2", "fp-2")
            ]),
        ),
    )
    .await;
    assert_eq!(body["alerts"][1]["action"], "attached", "{body}");
    assert_eq!(body["alerts"][1]["incident"], reference.as_str());
    assert_eq!(incident::Entity::find().count(&app.db).await.unwrap(), 1);

    // Resolving is recorded on the timeline; the incident stays open for a person.
    let (_, body) = post(
        &app,
        "/hooks/alerts",
        Some(&token),
        alertmanager(
            "resolved",
            json!([
                am_alert("resolved", "web-1", "fp-1"),
                am_alert("resolved", "web-2", "fp-2")
            ]),
        ),
    )
    .await;
    assert_eq!(body["alerts"][0]["action"], "resolved", "{body}");
    let events = timeline_bodies(&app, id.0).await;
    assert!(
        events
            .iter()
            .any(|b| b.starts_with("Alert resolved: “Checkout 5xx above 5%”")),
        "{events:?}"
    );
    let row = incident::Entity::find_by_id(id.0)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, app::incidents::Status::Triage);

    // A warning is only recorded; a label naming another service routes there.
    let payments = add_service(
        &app.db,
        &app::audit::service::Actor::default(),
        &ServiceForm {
            name: "Payments".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut warning = alertmanager("firing", json!([am_alert("firing", "db-1", "fp-3")]));
    warning["commonLabels"]["severity"] = json!("warning");
    warning["groupKey"] = json!("other-group");
    let (_, body) = post(&app, "/hooks/alerts", Some(&token), warning).await;
    assert_eq!(body["alerts"][0]["action"], "recorded", "{body}");
    assert_eq!(body["alerts"][0]["incident"], Value::Null);
    let mut routed = alertmanager("firing", json!([am_alert("firing", "pay-1", "fp-4")]));
    routed["commonLabels"]["service"] = json!("payments");
    routed["groupKey"] = json!("payments-group");
    let (_, body) = post(&app, "/hooks/alerts", Some(&token), routed).await;
    assert_eq!(body["alerts"][0]["action"], "opened", "{body}");
    let other = IncidentRef::parse(body["alerts"][0]["incident"].as_str().unwrap()).unwrap();
    let detail = get_incident(&app.db, other).await.unwrap();
    assert_eq!(detail.services[0].id, payments.id);

    // Grafana's webhook (same shape, its own fields) works on a Grafana source.
    let (grafana, _) = source(&app, "grafana", false).await;
    let (status, body) = post(
        &app,
        "/hooks/alerts",
        Some(&grafana),
        json!({
            "receiver": "vigil", "status": "firing", "orgId": 1, "version": "1",
            "groupKey": "{}/{}:{alertname=\"Disk full\"}", "title": "[FIRING:1] Disk full",
            "state": "alerting", "message": "Disk full",
            "alerts": [{
                "status": "firing",
                "labels": {"alertname": "Disk full", "severity": "critical"},
                "annotations": {"summary": "Disk full on db-1"},
                "startsAt": "2026-11-22T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://grafana.example/alerting/1/edit",
                "fingerprint": "g-1", "silenceURL": "http://grafana.example/silence",
                "values": {"A": 97}, "valueString": "[ var='A' value=97 ]"
            }]
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["alerts"][0]["action"], "opened");
}

async fn pagerduty_events_trigger_acknowledge_and_resolve(app: TestApp) {
    let (token, _) = source(&app, "pagerduty", true).await;
    let trigger = json!({
        "routing_key": token,
        "event_action": "trigger",
        "dedup_key": "srv01/disk",
        "payload": {
            "summary": "Disk full on srv01",
            "source": "srv01.example.com",
            "severity": "critical",
            "timestamp": "2026-11-22T10:00:00.000+0000",
            "component": "disk",
            "custom_details": {"free": "0%"}
        },
        "client": "Monitoring", "client_url": "https://monitoring.example.com"
    });
    let (status, body) = post(&app, "/hooks/pagerduty/v2/enqueue", None, trigger.clone()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "success");
    assert_eq!(body["dedup_key"], "srv01/disk");
    let reference = IncidentRef::parse(body["incident"].as_str().unwrap()).unwrap();

    // A repeat trigger is deduplicated.
    let (status, body) = post(&app, "/hooks/pagerduty/v2/enqueue", None, trigger).await;
    assert_eq!(status, 202);
    assert_eq!(
        body["incident"].as_str(),
        Some(reference.to_string().as_str())
    );
    assert_eq!(incident::Entity::find().count(&app.db).await.unwrap(), 1);

    // Acknowledge and resolve by dedup key (bearer token works too).
    for action in ["acknowledge", "resolve"] {
        let (status, body) = post(
            &app,
            "/hooks/pagerduty/v2/enqueue",
            Some(&token),
            json!({"event_action": action, "dedup_key": "srv01/disk"}),
        )
        .await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["dedup_key"], "srv01/disk");
    }
    let events = timeline_bodies(&app, reference.0).await;
    assert!(
        events
            .iter()
            .any(|b| b.starts_with("Alert acknowledged by the sender"))
    );
    assert!(events.iter().any(|b| b.starts_with("Alert resolved")));

    // A trigger without a dedup key gets one back.
    let (status, body) = post(
        &app,
        "/hooks/pagerduty/v2/enqueue",
        None,
        json!({"routing_key": token, "event_action": "trigger",
               "payload": {"summary": "CPU high", "source": "srv02", "severity": "warning"}}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["dedup_key"].as_str().unwrap().len(), 32);
    assert_eq!(body["incident"], Value::Null, "warning is recorded only");
}

async fn bad_tokens_and_payloads_are_refused_whole(app: TestApp) {
    let (token, _) = source(&app, "alertmanager", false).await;
    let firing = alertmanager("firing", json!([am_alert("firing", "web-1", "fp-1")]));

    for bad in [None, Some("vigil_alert_wrong")] {
        let (status, body) = post(&app, "/hooks/alerts", bad, firing.clone()).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let rejected = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("alerts.token_rejected"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rejected.len(), 2);
    assert!(
        rejected
            .iter()
            .all(|r| !r.details.contains("vigil_alert_wrong"))
    );

    // One bad alert refuses the whole payload: nothing is stored.
    let half = alertmanager(
        "firing",
        json!([am_alert("firing", "web-1", "fp-1"), {"status": "exploded"}]),
    );
    let (status, body) = post(&app, "/hooks/alerts", Some(&token), half).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "alerts[1].status");
    assert_eq!(alert::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(incident::Entity::find().count(&app.db).await.unwrap(), 0);

    let response = reqwest::Client::new()
        .post(app.url("/hooks/alerts"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "body");

    let huge = "x".repeat(2 * 1024 * 1024);
    let response = reqwest::Client::new()
        .post(app.url("/hooks/alerts"))
        .bearer_auth(&token)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");

    // Guessing tokens from one address soon gets 429; a right token from the same address
    // still gets through (it is checked before the address's count).
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(
            post(
                &app,
                "/hooks/alerts",
                Some("vigil_alert_guess"),
                firing.clone(),
            )
            .await
            .0,
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        18,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let (status, body) = post(
        &app,
        "/hooks/alerts",
        Some("vigil_alert_guess"),
        firing.clone(),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_requests");
    let (status, body) = post(&app, "/hooks/alerts", Some(&token), firing.clone()).await;
    assert!(
        status < 300,
        "a valid source is never throttled: {status} {body}"
    );

    // An Alertmanager token is not a PagerDuty routing key.
    let (status, _) = post(
        &app,
        "/hooks/pagerduty/v2/enqueue",
        None,
        json!({"routing_key": token, "event_action": "resolve", "dedup_key": "x"}),
    )
    .await;
    assert_eq!(status, 422);
}

async fn admins_manage_sources_and_others_cannot(app: TestApp) {
    let (responder, _) = app.signed_in(Role::Responder).await;
    let response = app.call_with(&responder, "/rpc/alerts_admin", &[]).await;
    assert_eq!(response.status(), 403);

    let (admin, _) = app.signed_in(Role::Admin).await;
    let service = add_service(
        &app.db,
        &app::audit::service::Actor::default(),
        &ServiceForm {
            name: "Search".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let service_id = service.id.to_string();
    let form = [
        ("form[name]", "Prod Alertmanager"),
        ("form[kind]", "alertmanager"),
        ("form[service_id]", service_id.as_str()),
        ("form[rule_critical]", "record"),
        ("form[rule_error]", "not-a-severity"),
    ];
    let response = app
        .call_with(&admin, "/rpc/create_alert_source", &form)
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body.to_string().contains("rule_error"), "{body}");
    // The page's search field names the service; a name that fits none, or no name, is
    // an error beside that field, while a form that sends an id hears of `service_id`.
    for (sent, field) in [
        (("form[service]", "No such service"), "service"),
        (("form[service]", ""), "service"),
        (("form[service_id]", "not-an-id"), "service_id"),
    ] {
        let form = [
            ("form[name]", "Prod Alertmanager"),
            ("form[kind]", "alertmanager"),
            sent,
        ];
        let response = app
            .call_with(&admin, "/rpc/create_alert_source", &form)
            .await;
        assert_eq!(response.status(), 422, "{sent:?}");
        let body: Value = response.json().await.unwrap();
        let fields: Vec<&str> = body["Invalid"]
            .as_array()
            .unwrap_or_else(|| panic!("{sent:?}: {body}"))
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, [field], "{sent:?}: {body}");
    }
    let form = [
        ("form[name]", "Staging Alertmanager"),
        ("form[kind]", "alertmanager"),
        ("form[service]", "search"),
    ];
    let response = app
        .call_with(&admin, "/rpc/create_alert_source", &form)
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let form = [
        ("form[name]", "Prod Alertmanager"),
        ("form[kind]", "alertmanager"),
        ("form[service_id]", service_id.as_str()),
    ];
    let response = app
        .call_with(&admin, "/rpc/create_alert_source", &form)
        .await;
    assert_eq!(response.status(), 200);
    let issued: Value = response.json().await.unwrap();
    let token = issued["token"].as_str().unwrap().to_owned();
    let response = app.call_with(&admin, "/rpc/alerts_admin", &[]).await;
    let view: Value = response.json().await.unwrap();
    let listed = &view["sources"][0];
    assert_eq!(listed["name"], "Prod Alertmanager");
    assert!(
        !view.to_string().contains(&token),
        "the token is never listed"
    );
    assert_eq!(listed["token_hint"], &token[token.len() - 4..]);

    // Rotating: the old token stops working, the new one works.
    let id = listed["id"].to_string();
    let response = app
        .call_with(&admin, "/rpc/rotate_alert_token", &[("id", id.as_str())])
        .await;
    let rotated: Value = response.json().await.unwrap();
    let fresh = rotated["token"].as_str().unwrap();
    let ping = alertmanager("firing", json!([am_alert("firing", "web-1", "fp-9")]));
    assert_eq!(
        post(&app, "/hooks/alerts", Some(&token), ping.clone())
            .await
            .0,
        401
    );
    assert_eq!(
        post(&app, "/hooks/alerts", Some(fresh), ping.clone())
            .await
            .0,
        200
    );

    // Pausing refuses the source's alerts.
    let response = app
        .call_with(
            &admin,
            "/rpc/set_alert_source_disabled",
            &[("id", id.as_str()), ("disabled", "true")],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(post(&app, "/hooks/alerts", Some(fresh), ping).await.0, 401);

    let page = app.get_with(&admin, "/admin/alerts").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Prod Alertmanager"));
    assert!(html.contains("Paused"));
    assert!(html.contains("CheckoutErrors") || html.contains("Checkout 5xx above 5%"));
}

async fn admins_read_received_alerts_over_the_api(app: TestApp) {
    use crate::api::{api, token_for};
    let (token, _) = source(&app, "alertmanager", false).await;
    let (other, _) = source(&app, "grafana", false).await;
    let (status, body) = post(
        &app,
        "/hooks/alerts",
        Some(&token),
        alertmanager(
            "firing",
            json!([
                am_alert("firing", "web-1", "fp-1"),
                am_alert("firing", "web-2", "fp-2")
            ]),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let reference = body["alerts"][0]["incident"].as_str().unwrap().to_owned();
    let grafana = json!({
        "receiver": "vigil", "status": "firing", "orgId": 1, "groupKey": "g", "version": "1",
        "commonLabels": {"severity": "warning"},
        "alerts": [{"status": "firing", "labels": {"alertname": "Disk", "severity": "warning"},
            "annotations": {"summary": "Disk 80%"}, "startsAt": "2026-11-22T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "g-1"}],
    });
    let (status, body) = post(&app, "/hooks/alerts", Some(&other), grafana).await;
    assert_eq!(status, 200, "{body}");

    let get = reqwest::Method::GET;
    let (_, responder) = token_for(&app, Role::Responder, "").await;
    let (status, _) = api(&app, get.clone(), "/api/v1/alerts", Some(&responder), None).await;
    assert_eq!(status, 403, "alerts are the admins' page's");
    let (_, admin) = token_for(&app, Role::Admin, "").await;
    let (status, all) = api(&app, get.clone(), "/api/v1/alerts", Some(&admin), None).await;
    assert_eq!(status, 200, "{all}");
    let titles: Vec<&str> = all["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 3, "{all}");
    assert_eq!(all["alerts"][0]["title"], "Disk 80%", "newest first");
    assert_eq!(all["next"], Value::Null);

    // By incident, by source, and by cursor, each alert once.
    let path = format!("/api/v1/alerts?incident={reference}");
    let (_, opened) = api(&app, get.clone(), &path, Some(&admin), None).await;
    let actions: Vec<&str> = opened["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["attached", "opened"], "{opened}");
    let source_id = all["alerts"][0]["source_id"].as_i64().unwrap();
    let path = format!("/api/v1/alerts?source_id={source_id}");
    let (_, by_source) = api(&app, get.clone(), &path, Some(&admin), None).await;
    assert_eq!(by_source["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(by_source["alerts"][0]["action"], "recorded");
    let (_, first) = api(
        &app,
        get.clone(),
        "/api/v1/alerts?limit=2",
        Some(&admin),
        None,
    )
    .await;
    let next = first["next"].as_i64().unwrap();
    let (_, rest) = api(
        &app,
        get.clone(),
        &format!("/api/v1/alerts?limit=2&before={next}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(rest["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next"], Value::Null);
    let mut ids: Vec<i64> = first["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["alerts"].as_array().unwrap())
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    for (query, field) in [
        ("limit=0", "limit"),
        ("before=0", "before"),
        ("incident=x", "incident"),
        ("source_id=x", "query"),
    ] {
        let (status, body) = api(
            &app,
            get.clone(),
            &format!("/api/v1/alerts?{query}"),
            Some(&admin),
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

/// Rules that cannot be read (a damaged row, a newer Vigil's format) must not quietly
/// turn a paging source into "record only": the payload is refused with a 500, which
/// the sender retries, and nothing is stored.
async fn unreadable_stored_rules_refuse_alerts_instead_of_recording_them(app: TestApp) {
    use sea_orm::sea_query::Expr;
    let (token, _) = source(&app, "alertmanager", false).await;
    app::alerts::entities::source::Entity::update_many()
        .col_expr(
            app::alerts::entities::source::Column::Rules,
            Expr::value("{not json"),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let (status, body) = post(
        &app,
        "/hooks/alerts",
        Some(&token),
        alertmanager("firing", json!([am_alert("firing", "web-1", "fp-bad")])),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (500, &json!("internal")),
        "{body}"
    );
    let stored = alert::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(stored, 0, "nothing recorded as if the rules said so");
    // The admin page still opens (the damage is logged, not a broken page).
    let view = app::alerts::service::admin_view(&app.db).await.unwrap();
    assert_eq!(view.sources.len(), 1);
}

/// A payload's repeats are written together: each stored alert keeps its own newest
/// labels, annotations and body and counts its own repeats, also when the same
/// fingerprint comes twice in one payload.
async fn a_payload_of_repeats_keeps_each_alerts_own_labels(app: TestApp) {
    let (token, _) = source(&app, "alertmanager", false).await;
    let first = json!([
        am_alert("firing", "web-1", "fp-a"),
        am_alert("firing", "web-2", "fp-b"),
        am_alert("firing", "web-3", "fp-c"),
    ]);
    let (status, body) = post(
        &app,
        "/hooks/alerts",
        Some(&token),
        alertmanager("firing", first),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let again = json!([
        am_alert("firing", "web-1-x", "fp-a"),
        // Sent again unchanged: counted, its texts left as they are.
        am_alert("firing", "web-2", "fp-b"),
        am_alert("firing", "web-3-x", "fp-c"),
        am_alert("firing", "web-1-y", "fp-a"),
    ]);
    let (status, body) = post(
        &app,
        "/hooks/alerts",
        Some(&token),
        alertmanager("firing", again),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let actions: Vec<&str> = body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["repeated"; 4]);
    // A payload of nothing but unchanged repeats only counts them.
    let unchanged = json!([am_alert("firing", "web-2", "fp-b")]);
    let (status, body) = post(
        &app,
        "/hooks/alerts",
        Some(&token),
        alertmanager("firing", unchanged),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let stored = alert::Entity::find()
        .order_by_asc(alert::Column::Fingerprint)
        .all(&app.db)
        .await
        .unwrap();
    let seen: Vec<(&str, i32)> = stored
        .iter()
        .map(|a| (a.fingerprint.as_str(), a.repeats))
        .collect();
    assert_eq!(seen, [("fp-a", 2), ("fp-b", 2), ("fp-c", 1)]);
    for (row, instance) in stored.iter().zip(["web-1-y", "web-2", "web-3-x"]) {
        assert!(
            row.labels.contains(&format!("\"{instance}\"")),
            "{}",
            row.labels
        );
        assert!(row.annotations.contains(&format!("{instance} is failing")));
        assert!(row.raw.contains(instance), "{}", row.raw);
        assert_eq!(row.state, app::alerts::AlertState::Firing);
    }
    let incidents: std::collections::BTreeSet<_> = stored.iter().map(|a| a.incident_id).collect();
    assert_eq!(incidents.len(), 1, "one incident for the group");
    // PostgreSQL keeps room on the alerts' pages for the versions repeats write.
    if app.db.get_database_backend() == DbBackend::Postgres {
        let options = app
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT array_to_string(reloptions, ',') AS o FROM pg_class WHERE oid = 'alerts'::regclass",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(options.try_get::<String>("", "o").unwrap(), "fillfactor=65");
    }
}
