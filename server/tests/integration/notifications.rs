//! Outgoing notifications on both backends: what a change queues (in its transaction),
//! what a receiver gets (signed JSON, escaped Slack text), retries and giving up, claims
//! that keep two workers from sending twice, and the admin's page and functions.

use std::sync::atomic::Ordering;

use app::accounts::{CurrentUser, Role};
use app::audit::entities::audit_log;
use app::incidents::IncidentRef;
use app::incidents::Status;
use app::incidents::entities::incident;
use app::incidents::service::query::severities;
use app::notifications::DeliveryStatus;
use app::notifications::entities::delivery;
use app::notifications::outbox::{self, MAX_ATTEMPTS, deliver_due};
use app::notifications::service::{ChannelForm, create_channel, retry_delivery, set_disabled};
use app::workflow::{change_severity, change_status};
use axum::http::HeaderMap;
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use crate::postmortems::{publish, started};
use crate::support::TestApp;
use crate::support::receiver::receiver;

backend_tests!(
    changes_queue_signed_webhooks_and_escaped_slack_messages,
    failing_receivers_are_retried_with_backoff_then_given_up,
    admins_manage_channels_and_others_cannot,
    a_severity_threshold_keeps_a_channel_to_severe_incidents,
    private_receivers_are_refused_unless_allowed,
);

const ALL_EVENTS: [&str; 4] = [
    "incident.declared",
    "incident.severity_changed",
    "incident.status_changed",
    "postmortem.published",
];

async fn channel(
    app: &TestApp,
    admin: &CurrentUser,
    kind: &str,
    url: &str,
    events: &[&str],
) -> Option<String> {
    create_channel(
        &app.db,
        admin,
        ChannelForm {
            name: format!("{kind} {}", uuid::Uuid::new_v4().simple()),
            kind: kind.into(),
            url: url.into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            ..Default::default()
        },
        false,
        None,
    )
    .await
    .unwrap()
    .map(|s| s.secret)
}

pub async fn deliveries(app: &TestApp) -> Vec<delivery::Model> {
    delivery::Entity::find()
        .order_by_asc(delivery::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn version(app: &TestApp, reference: IncidentRef) -> i32 {
    incident::Entity::find_by_id(reference.0)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .version
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn changes_queue_signed_webhooks_and_escaped_slack_messages(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let commander = app.with_user(Role::Responder).await;
    let reviewer = app.with_user(Role::Responder).await;
    let (url, received, _) = receiver(200).await;
    let secret = channel(&app, &admin, "webhook", &url, &ALL_EVENTS)
        .await
        .expect("a JSON webhook gets a signing secret");
    assert!(secret.starts_with("vigil_whsec_"));
    let none = channel(&app, &admin, "slack", &url, &["incident.declared"]).await;
    assert!(none.is_none(), "a Slack webhook's address is its secret");

    let reference = started(&app, &commander, "Checkout <!channel> @here down").await;
    let queued = deliveries(&app).await;
    assert_eq!(queued.len(), 2, "one per subscribed channel");
    assert!(
        queued
            .iter()
            .all(|d| d.status == DeliveryStatus::Pending && d.attempts == 0)
    );
    assert!(
        received.lock().unwrap().is_empty(),
        "nothing is sent inline"
    );

    let client = outbox::client(true).unwrap();
    let base = "https://vigil.example";
    assert_eq!(
        deliver_due(&app.db, &client, base, Utc::now())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        deliver_due(&app.db, &client, base, Utc::now())
            .await
            .unwrap(),
        0,
        "a delivered notification is not sent again"
    );
    {
        let got = received.lock().unwrap();
        assert_eq!(got.len(), 2);
        let (headers, body) = got
            .iter()
            .find(|(h, _)| h.contains_key("x-vigil-signature"))
            .expect("the JSON webhook is signed");
        let timestamp: i64 = header(headers, "x-vigil-timestamp").parse().unwrap();
        assert!((Utc::now().timestamp() - timestamp).abs() < 60);
        assert_eq!(
            header(headers, "x-vigil-signature"),
            outbox::signature(&secret, timestamp, body.as_bytes())
        );
        assert_ne!(
            header(headers, "x-vigil-signature"),
            outbox::signature("another secret", timestamp, body.as_bytes())
        );
        assert_eq!(header(headers, "x-vigil-event"), "incident.declared");
        let json: Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["event"], "incident.declared");
        assert_eq!(json["incident"]["reference"], reference.to_string());
        assert_eq!(json["incident"]["title"], "Checkout <!channel> @here down");
        assert_eq!(
            json["incident"]["url"],
            format!("{base}/incidents/{reference}")
        );
        assert_eq!(
            json["delivery_id"].to_string(),
            header(headers, "x-vigil-delivery")
        );

        let (_, slack) = got
            .iter()
            .find(|(h, _)| !h.contains_key("x-vigil-signature"))
            .unwrap();
        let text = serde_json::from_str::<Value>(slack).unwrap()["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        assert!(text.contains("@\u{2060}here"), "{text}");
        assert!(
            !text.contains("<!channel>") && !text.contains(" @here"),
            "{text}"
        );
        assert!(
            text.contains(&format!("<{base}/incidents/{reference}|{reference}>")),
            "{text}"
        );
    }
    let sent = deliveries(&app).await;
    assert!(
        sent.iter()
            .all(|d| d.status == DeliveryStatus::Delivered && d.attempts == 1)
    );
    assert!(sent.iter().all(|d| d.last_status_code == Some(200)));

    // Severity, status and the published postmortem reach the channel subscribed to them.
    let top = severities(&app.db).await.unwrap()[0].id;
    let v = version(&app, reference).await;
    change_severity(&app.db, &commander, reference, top, v)
        .await
        .unwrap();
    let v = version(&app, reference).await;
    change_status(
        &app.db,
        &commander,
        reference,
        Status::Investigating,
        None,
        v,
    )
    .await
    .unwrap();
    publish(&app, &commander, &reviewer, reference).await;
    let events: Vec<String> = deliveries(&app)
        .await
        .into_iter()
        .map(|d| d.event.as_str().to_owned())
        .collect();
    assert_eq!(
        events[2..],
        [
            "incident.severity_changed",
            "incident.status_changed",
            "postmortem.published"
        ],
        "the Slack channel only hears of declarations"
    );
    assert_eq!(
        deliver_due(&app.db, &client, base, Utc::now())
            .await
            .unwrap(),
        3
    );
    // Sent concurrently: find each by its event.
    let got: Vec<Value> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| serde_json::from_str(body).unwrap())
        .collect();
    let of = |event: &str| got.iter().find(|b| b["event"] == event).unwrap().clone();
    let change = of("incident.status_changed");
    assert_eq!(change["change"]["from"], "Triage");
    assert_eq!(change["change"]["to"], "Investigating");
    let severity = of("incident.severity_changed");
    assert_eq!(severity["change"]["to"], "SEV1");
    let published = of("postmortem.published");
    assert_eq!(
        published["incident"]["url"],
        format!("{base}/incidents/{reference}/postmortem")
    );
}

async fn failing_receivers_are_retried_with_backoff_then_given_up(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let commander = app.with_user(Role::Responder).await;
    let (url, received, answer) = receiver(500).await;
    channel(&app, &admin, "webhook", &url, &ALL_EVENTS).await;
    app.declared_at(&commander, "Payments slow", 1).await;
    let client = outbox::client(true).unwrap();

    // Two workers (two replicas) at once: the claim lets only one of them send.
    let now = Utc::now();
    let (a, b) = tokio::join!(
        deliver_due(&app.db, &client, "http://v", now),
        deliver_due(&app.db, &client, "http://v", now),
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(received.lock().unwrap().len(), 1);
    let row = deliveries(&app).await.remove(0);
    assert_eq!(row.status, DeliveryStatus::Pending);
    assert_eq!(row.attempts, 1);
    assert_eq!(row.last_status_code, Some(500));
    assert!(
        row.last_error.as_deref().unwrap().contains("HTTP 500"),
        "{row:?}"
    );
    let wait = row.next_attempt_at - row.last_attempt_at.unwrap();
    assert_eq!(wait, Duration::seconds(30), "the first retry waits 30 s");
    assert_eq!(
        deliver_due(&app.db, &client, "http://v", Utc::now())
            .await
            .unwrap(),
        0,
        "not due yet"
    );

    for n in 2..=MAX_ATTEMPTS {
        let later = Utc::now() + Duration::hours(2 * i64::from(n));
        assert_eq!(
            deliver_due(&app.db, &client, "http://v", later)
                .await
                .unwrap(),
            1
        );
        let row = deliveries(&app).await.remove(0);
        assert_eq!(row.attempts, n);
        if n < MAX_ATTEMPTS {
            assert_eq!(
                row.next_attempt_at - row.last_attempt_at.unwrap(),
                outbox::backoff(n)
            );
        }
    }
    let row = deliveries(&app).await.remove(0);
    assert_eq!(row.status, DeliveryStatus::Failed, "given up");
    let later = Utc::now() + Duration::days(3);
    assert_eq!(
        deliver_due(&app.db, &client, "http://v", later)
            .await
            .unwrap(),
        0
    );
    {
        let got = received.lock().unwrap();
        assert_eq!(got.len() as i32, MAX_ATTEMPTS);
        let ids: Vec<&str> = got
            .iter()
            .map(|(h, _)| header(h, "x-vigil-delivery"))
            .collect();
        assert!(
            ids.iter().all(|id| *id == ids[0]),
            "retries repeat the delivery id"
        );
    }

    // The receiver is fixed; an admin retries; it goes through.
    answer.store(204, Ordering::SeqCst);
    let responder = app.with_user(Role::Responder).await;
    assert!(retry_delivery(&app.db, &responder, row.id).await.is_err());
    retry_delivery(&app.db, &admin, row.id).await.unwrap();
    assert_eq!(
        deliver_due(&app.db, &client, "http://v", Utc::now())
            .await
            .unwrap(),
        1
    );
    let row = deliveries(&app).await.remove(0);
    assert_eq!(row.status, DeliveryStatus::Delivered);
    assert!(
        retry_delivery(&app.db, &admin, row.id).await.is_err(),
        "already delivered"
    );

    // Nobody listening: the error says so. A paused channel queues nothing new.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    delivery::Entity::delete_many().exec(&app.db).await.unwrap();
    app::notifications::entities::channel::Entity::delete_many()
        .exec(&app.db)
        .await
        .unwrap();
    channel(&app, &admin, "slack", &closed, &ALL_EVENTS).await;
    app.declared_at(&commander, "Search down", 1).await;
    assert_eq!(
        deliver_due(&app.db, &client, "http://v", Utc::now())
            .await
            .unwrap(),
        1
    );
    let row = deliveries(&app).await.remove(0);
    assert_eq!(row.last_error.as_deref(), Some("could not connect"));
    assert_eq!(row.last_status_code, None);

    let id = app::notifications::entities::channel::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    set_disabled(&app.db, &admin, id, true, None).await.unwrap();
    app.declared_at(&commander, "Search down again", 1).await;
    assert_eq!(
        deliveries(&app).await.len(),
        1,
        "paused: nothing new is queued"
    );
    let later = Utc::now() + Duration::hours(1);
    assert_eq!(
        deliver_due(&app.db, &client, "http://v", later)
            .await
            .unwrap(),
        0,
        "paused: what was queued waits"
    );
}

async fn admins_manage_channels_and_others_cannot(app: TestApp) {
    let (responder, _) = app.signed_in(Role::Responder).await;
    let response = app
        .call_with(&responder, "/rpc/notifications_admin", &[])
        .await;
    assert_eq!(response.status(), 403);
    let form = [
        ("name", "Ops"),
        ("kind", "slack"),
        ("url", "https://hooks.example/services/T/B/secretpart"),
        ("events[]", "incident.declared"),
    ];
    let response = app
        .call_with(&responder, "/rpc/create_notification_channel", &form)
        .await;
    assert_eq!(response.status(), 403);

    let (admin, _) = app.signed_in(Role::Admin).await;
    let bad = [("name", "Ops"), ("kind", "slack"), ("url", "ftp://x")];
    let response = app
        .call_with(&admin, "/rpc/create_notification_channel", &bad)
        .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(body.contains("url") && body.contains("events"), "{body}");

    let response = app
        .call_with(&admin, "/rpc/create_notification_channel", &form)
        .await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    let hook = [
        ("name", "Status page"),
        ("kind", "webhook"),
        ("url", "https://status.example/vigil"),
        ("events[]", "incident.declared"),
        ("events[]", "postmortem.published"),
    ];
    let response = app
        .call_with(&admin, "/rpc/create_notification_channel", &hook)
        .await;
    let issued: Value = response.json().await.unwrap();
    let secret = issued["secret"].as_str().unwrap().to_owned();

    let view: Value = app
        .call_with(&admin, "/rpc/notifications_admin", &[])
        .await
        .json()
        .await
        .unwrap();
    let listed = view.to_string();
    assert!(!listed.contains(&secret), "the secret is never listed");
    assert!(!listed.contains("secretpart"), "nor a Slack webhook's path");
    assert_eq!(view["channels"][0]["name"], "Ops");
    assert_eq!(
        view["channels"][0]["url_hint"],
        "https://hooks.example/…part"
    );
    assert_eq!(
        view["channels"][1]["events"],
        serde_json::json!(["incident.declared", "postmortem.published"])
    );
    let id = view["channels"][0]["id"].to_string();

    let response = app
        .call_with(
            &admin,
            "/rpc/test_notification_channel",
            &[("id", id.as_str())],
        )
        .await;
    assert_eq!(response.status(), 200);
    let view: Value = app
        .call_with(&admin, "/rpc/notifications_admin", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["deliveries"][0]["event"], "Test");
    assert_eq!(view["deliveries"][0]["status"], "pending");
    assert_eq!(view["channels"][0]["pending"], 1);

    let rotate = [("id", view["channels"][1]["id"].to_string())];
    let rotate: Vec<(&str, &str)> = rotate.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rotated: Value = app
        .call_with(&admin, "/rpc/rotate_notification_secret", &rotate)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(rotated["secret"].as_str().unwrap(), secret);
    let response = app
        .call_with(
            &admin,
            "/rpc/set_notification_channel_disabled",
            &[("id", id.as_str()), ("disabled", "true")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = app.get_with(&admin, "/admin/notifications").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Status page") && html.contains("Paused"),
        "{html}"
    );
    // The test server takes both tools' slash commands: the page says where to point them.
    assert!(html.contains("Chat commands"), "{html}");
    assert!(
        html.contains(&app.url("/hooks/chat/slack"))
            && html.contains(&app.url("/hooks/chat/mattermost")),
        "{html}"
    );

    // Two deletions at once (a double click, or two admins): one deletes, the other is
    // told there is no such channel, and the audit records one deletion.
    let form = [("id", id.as_str())];
    let delete = || app.call_with(&admin, "/rpc/delete_notification_channel", &form);
    let (first, second) = tokio::join!(delete(), delete());
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 404]);
    assert_eq!(delivery::Entity::find().count(&app.db).await.unwrap(), 0);
    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("notification_channel."))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        [
            "notification_channel.created",
            "notification_channel.created",
            "notification_channel.secret_rotated",
            "notification_channel.paused",
            "notification_channel.deleted"
        ]
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("vigil_notification_deliveries{status=\"pending\"} 0"),
        "{metrics}"
    );
    assert!(metrics.contains("vigil_notification_failed_attempts_total"));
}

async fn a_severity_threshold_keeps_a_channel_to_severe_incidents(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let commander = app.with_user(Role::Responder).await;
    let levels = severities(&app.db).await.unwrap();
    let form = |min: String| ChannelForm {
        name: format!("Executives {min}"),
        kind: "slack".into(),
        url: "https://chat.example/hooks/exec".into(),
        events: ALL_EVENTS.iter().map(|e| e.to_string()).collect(),
        min_severity_id: min,
        ..Default::default()
    };
    let err = create_channel(&app.db, &admin, form("999999".into()), false, None)
        .await
        .unwrap_err();
    assert!(err.field_message("min_severity_id").is_some(), "{err:?}");
    create_channel(&app.db, &admin, form(levels[0].id.to_string()), false, None)
        .await
        .unwrap();

    // A SEV2 incident is not sent; escalated to SEV1, its severity change is.
    let minor = app.declared_at(&commander, "Slow search", 1).await;
    assert!(deliveries(&app).await.is_empty());
    let v = version(&app, minor).await;
    change_severity(&app.db, &commander, minor, levels[0].id, v)
        .await
        .unwrap();
    app.declared_at(&commander, "Checkout down", 0).await;
    let events: Vec<String> = deliveries(&app)
        .await
        .into_iter()
        .map(|d| d.event.as_str().to_owned())
        .collect();
    assert_eq!(events, ["incident.severity_changed", "incident.declared"]);

    let view = app::notifications::service::admin_view(&app.db, &admin, false)
        .await
        .unwrap();
    assert_eq!(
        view.channels[0].min_severity.as_deref(),
        Some(levels[0].name.as_str())
    );
    assert_eq!(view.severities[0], (levels[0].id, levels[0].name.clone()));
}

/// A webhook pointed at an internal address (here loopback, by name and as a literal) is
/// not sent to: the refusal is in the delivery log. `--allow-private-webhooks` allows it.
async fn private_receivers_are_refused_unless_allowed(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let commander = app.with_user(Role::Responder).await;
    let (url, received, _) = receiver(200).await;
    let by_name = url.replace("127.0.0.1", "localhost");
    channel(&app, &admin, "webhook", &url, &["incident.declared"]).await;
    channel(&app, &admin, "webhook", &by_name, &["incident.declared"]).await;
    started(&app, &commander, "Checkout down").await;

    let public_only = outbox::client(false).unwrap();
    deliver_due(&app.db, &public_only, "http://v", Utc::now())
        .await
        .unwrap();
    assert!(
        received.lock().unwrap().is_empty(),
        "nothing reached the private receiver"
    );
    let logged = deliveries(&app).await;
    assert_eq!(logged.len(), 2);
    for d in &logged {
        assert_eq!(
            d.status,
            DeliveryStatus::Pending,
            "refused attempts are retried like failures"
        );
        let error = d.last_error.clone().unwrap_or_default();
        assert!(error.contains("private"), "{error}");
    }
    assert!(outbox::is_private("169.254.169.254".parse().unwrap()));
    assert!(outbox::is_private("::ffff:10.0.0.1".parse().unwrap()));
    assert!(outbox::is_private("fd00::1".parse().unwrap()));
    assert!(!outbox::is_private("93.184.216.34".parse().unwrap()));
}
