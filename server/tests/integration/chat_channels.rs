//! Notification channels beyond Slack and JSON webhooks, on both backends: Microsoft
//! Teams (Workflows and the older connector), Mattermost, Discord and e-mail each get
//! their own format through the real outbox and transports (HTTP to a local receiver,
//! SMTP to a local server), hostile text stays text, and a new commander is announced.

use app::accounts::{CurrentUser, Role};
use app::action_items::ItemStatus;
use app::action_items::service::{ItemFields, create_action_item};
use app::error::AppError;
use app::incidents::IncidentRole;
use app::notifications::digest::queue_due;
use app::notifications::outbox::{self, Mailer, deliver_due};
use app::notifications::service::{ChannelForm, create_channel};
use app::notifications::{DeliveryStatus, NotifyEvent};
use app::workflow::assign_role;
use chrono::{Duration, TimeZone, Utc};
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::notifications::deliveries;
use crate::support::TestApp;
use crate::support::receiver::receiver;
use crate::support::smtp::SmtpSink;

backend_tests!(
    every_chat_tool_and_a_mailbox_get_their_own_message,
    email_channels_need_a_relay_and_real_addresses,
    a_new_commander_is_announced_once,
    the_overdue_digest_goes_out_once_a_day,
);

const HOSTILE: &str =
    "Checkout **down** @here <!channel> [x](https://evil.example) {{DATE(2017-02-14T06:00:00Z)}}";

fn form(kind: &str, url: &str, addresses: &str, events: &[NotifyEvent]) -> ChannelForm {
    ChannelForm {
        name: format!("{kind} {}", uuid::Uuid::new_v4().simple()),
        kind: kind.into(),
        url: url.into(),
        addresses: addresses.into(),
        events: events.iter().map(|e| e.as_str().to_owned()).collect(),
        ..Default::default()
    }
}

async fn add(app: &TestApp, admin: &CurrentUser, form: ChannelForm) {
    create_channel(&app.db, admin, form, true, None)
        .await
        .unwrap();
}

async fn every_chat_tool_and_a_mailbox_get_their_own_message(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let commander = app.with_user(Role::Responder).await;
    let (url, received, _) = receiver(200).await;
    let declared = [NotifyEvent::Declared];
    for kind in ["teams", "teams_connector", "mattermost", "discord"] {
        add(&app, &admin, form(kind, &url, "", &declared)).await;
    }
    add(
        &app,
        &admin,
        form(
            "email",
            "",
            "oncall@example.com\nSRE@example.com",
            &declared,
        ),
    )
    .await;
    let reference = app.declared_at(&commander, HOSTILE, 0).await;
    assert_eq!(deliveries(&app).await.len(), 5, "one per channel");

    let sink = SmtpSink::start().await;
    let sender = outbox::client(true).unwrap().with_mail(Some(
        Mailer::new(&sink.url, "Vigil <vigil@acme.test>").unwrap(),
    ));
    let base = "https://vigil.example";
    assert_eq!(
        deliver_due(&app.db, &sender, base, Utc::now())
            .await
            .unwrap(),
        5
    );
    assert!(
        deliveries(&app)
            .await
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered),
        "{:?}",
        deliveries(&app).await
    );

    let bodies: Vec<Value> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| serde_json::from_str(body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 4);
    let link = format!("{base}/incidents/{reference}");
    let card = bodies
        .iter()
        .find(|b| b["type"] == "message")
        .expect("Teams Workflows get a message with an Adaptive Card");
    let card = &card["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["body"][0]["style"], "attention", "SEV1 is red");
    let title = card["body"][0]["items"][0]["inlines"][1]["text"]
        .as_str()
        .unwrap();
    assert!(title.contains("Checkout **down** @here"), "{title}");
    assert!(!title.contains("{{DATE"), "{title}");
    assert_eq!(card["actions"][0]["url"], link.as_str());
    let facts = card["body"][1]["facts"].as_array().unwrap();
    assert!(
        facts.iter().any(|f| f["title"] == "Commander"
            && f["value"] == outbox::markdown_escape(&commander.display_name).as_str()),
        "the declarer commands: {facts:?}"
    );
    assert!(facts.iter().any(|f| f["title"] == "Services"), "{facts:?}");

    let connector = bodies
        .iter()
        .find(|b| b["@type"] == "MessageCard")
        .expect("the Office 365 connector gets a MessageCard");
    assert_eq!(connector["sections"][0]["markdown"], false);
    assert!(
        connector["sections"][0]["activitySubtitle"]
            .as_str()
            .unwrap()
            .contains("&lt;!channel&gt;")
    );

    let discord = bodies
        .iter()
        .find(|b| b.get("embeds").is_some())
        .expect("Discord gets an embed");
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(discord["embeds"][0]["url"], link.as_str());
    assert!(
        discord["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .contains("\\*\\*down\\*\\* \\@\u{2060}here")
    );

    let mattermost = bodies
        .iter()
        .find(|b| b.get("text").is_some() && b.get("embeds").is_none())
        .expect("Mattermost gets Markdown text");
    let text = mattermost["text"].as_str().unwrap();
    assert!(text.contains(&format!("]({link})")), "{text}");
    assert!(
        !text.contains("@here") && !text.contains("**down**"),
        "{text}"
    );

    let mail = sink.take();
    assert_eq!(mail.len(), 1, "one message to the channel's addresses");
    let mut to = mail[0].to.clone();
    to.sort();
    assert_eq!(to, ["oncall@example.com", "sre@example.com"]);
    let subject = mail[0].header("Subject").unwrap();
    assert!(
        subject.contains(&format!("{reference} declared at SEV1")),
        "{subject}"
    );
    let html = mail[0].part("text/html").unwrap();
    assert!(html.contains("&lt;!channel&gt;"), "{html}");
    assert!(!html.contains("<!channel>"), "{html}");
    assert!(mail[0].part("text/plain").unwrap().contains(&link));
}

async fn email_channels_need_a_relay_and_real_addresses(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let declared = [NotifyEvent::Declared];
    let refused = |result: Result<_, AppError>, field: &str| match result {
        Err(AppError::Invalid(errors)) => {
            assert!(errors.iter().any(|e| e.field == field), "{errors:?}")
        }
        other => panic!("expected a refusal of {field}, got {other:?}"),
    };
    let no_relay = create_channel(
        &app.db,
        &admin,
        form("email", "", "ops@example.com", &declared),
        false,
        None,
    )
    .await;
    refused(no_relay, "kind");
    for bad in [
        "",
        "ops",
        "ops@example.com?bcc=x@evil.example",
        "a@b.c\r\nBcc: x@y.z",
    ] {
        let result = create_channel(
            &app.db,
            &admin,
            form("email", "", bad, &declared),
            true,
            None,
        )
        .await;
        refused(result, "addresses");
    }
    // A chat channel still needs its web address.
    let result = create_channel(
        &app.db,
        &admin,
        form("discord", "", "", &declared),
        true,
        None,
    )
    .await;
    refused(result, "url");
    assert!(deliveries(&app).await.is_empty());

    // Without a relay on the worker, a queued mail fails in the log, saying why.
    add(
        &app,
        &admin,
        form("email", "", "ops@example.com", &declared),
    )
    .await;
    let commander = app.with_user(Role::Responder).await;
    app.declared(&commander, "Checkout down").await;
    let sender = outbox::client(true).unwrap();
    deliver_due(&app.db, &sender, "https://v", Utc::now())
        .await
        .unwrap();
    let log = deliveries(&app).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, DeliveryStatus::Pending, "retried later");
    assert!(
        log[0].last_error.as_deref().unwrap().contains("--smtp-url"),
        "{:?}",
        log[0].last_error
    );
}

async fn a_new_commander_is_announced_once(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let first = app.with_user(Role::Responder).await;
    let second = app.with_user(Role::Responder).await;
    let (url, received, _) = receiver(200).await;
    add(
        &app,
        &admin,
        form("webhook", &url, "", &[NotifyEvent::CommanderChanged]),
    )
    .await;
    let reference = app.declared(&first, "Checkout down").await;
    assert!(
        deliveries(&app).await.is_empty(),
        "declaring is not a handover"
    );

    // A handover, then the same commander again and another role: only the first is a
    // new commander.
    for (role, who) in [
        (IncidentRole::Commander, second.id.0),
        (IncidentRole::Commander, second.id.0),
        (IncidentRole::Scribe, first.id.0),
    ] {
        let version = app::incidents::entities::incident::Entity::find_by_id(reference.0)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .version;
        assign_role(&app.db, &first, reference, role, who, version)
            .await
            .unwrap();
    }
    let queued = deliveries(&app).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].event, NotifyEvent::CommanderChanged);

    let sender = outbox::client(true).unwrap();
    deliver_due(&app.db, &sender, "https://v", Utc::now())
        .await
        .unwrap();
    let (headers, body) = received.lock().unwrap()[0].clone();
    assert_eq!(headers["X-Vigil-Event"], "incident.commander_changed");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["change"]["from"], first.display_name.as_str());
    assert_eq!(body["change"]["to"], second.display_name.as_str());
    assert_eq!(body["incident"]["commander"], second.display_name.as_str());
}

async fn the_overdue_digest_goes_out_once_a_day(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let (url, received, _) = receiver(200).await;
    add(
        &app,
        &admin,
        form("webhook", &url, "", &[NotifyEvent::ActionItemsOverdue]),
    )
    .await;
    add(
        &app,
        &admin,
        form("discord", &url, "", &[NotifyEvent::Declared]),
    )
    .await;
    let reference = app.declared(&ic, "Checkout down").await;
    let today = Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap();
    let item = |title: &str, due_days: i64, status: ItemStatus| ItemFields {
        title: title.into(),
        owner_id: Some(ic.id.0),
        due_on: Some((today + Duration::days(due_days)).date_naive()),
        status,
        ..Default::default()
    };
    for (title, due, status) in [
        ("Alert on disk <!channel>", -3, ItemStatus::Open),
        ("Add a runbook", -1, ItemStatus::InProgress),
        ("Already done", -5, ItemStatus::Done),
        ("Not yet due", 2, ItemStatus::Open),
    ] {
        create_action_item(&app.db, &ic, reference, item(title, due, status))
            .await
            .unwrap();
    }
    let queued = || async { deliveries(&app).await.len() };
    assert_eq!(queued().await, 1, "the declaration, to the Discord channel");

    // Before the hour nothing is queued, and the day is not settled.
    let early = today + Duration::hours(8);
    assert!(!queue_due(&app.db, early, 9).await.unwrap());
    assert_eq!(queued().await, 1);

    // Eight workers (replicas) at once after the hour: exactly one digest.
    let late = today + Duration::hours(9) + Duration::minutes(1);
    let mut runs = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let db = app.db.clone();
        runs.spawn(async move { queue_due(&db, late, 9).await });
    }
    while let Some(done) = runs.join_next().await {
        assert!(
            done.unwrap().unwrap(),
            "the day is settled for every worker"
        );
    }
    let log = deliveries(&app).await;
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].event, NotifyEvent::ActionItemsOverdue);
    // Asked again that day: nothing more.
    assert!(
        queue_due(&app.db, late + Duration::hours(5), 9)
            .await
            .unwrap()
    );
    assert_eq!(queued().await, 2);

    let sender = outbox::client(true).unwrap();
    deliver_due(&app.db, &sender, "https://v", Utc::now())
        .await
        .unwrap();
    let digest: Value = received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| serde_json::from_str::<Value>(body).unwrap())
        .find(|b| b["event"] == "action_items.overdue")
        .expect("the digest was delivered");
    assert_eq!(digest["digest"]["day"], "2026-12-05");
    assert_eq!(
        digest["digest"]["total"], 2,
        "done and not-yet-due items are not overdue"
    );
    let items = digest["digest"]["items"].as_array().unwrap();
    assert_eq!(
        items[0]["title"], "Alert on disk <!channel>",
        "most overdue first"
    );
    assert_eq!(items[0]["days_overdue"], 3);
    assert_eq!(items[0]["incident"], reference.to_string().as_str());
    assert_eq!(items[0]["owner"], ic.display_name.as_str());
    assert_eq!(items[1]["title"], "Add a runbook");

    // The next day everything is done: the day is settled with nothing sent.
    for item in app::action_items::service::list_action_items(
        &app.db,
        &app::action_items::ActionItemFilter {
            overdue: true,
            page: 1,
            ..Default::default()
        },
        late.date_naive(),
    )
    .await
    .unwrap()
    .items
    {
        let done = ItemFields {
            title: item.title.clone(),
            owner_id: Some(ic.id.0),
            due_on: item.due_on,
            status: ItemStatus::Done,
            ..Default::default()
        };
        app::action_items::service::update_action_item(&app.db, &ic, item.id, done, item.version)
            .await
            .unwrap();
    }
    assert!(
        queue_due(&app.db, late + Duration::days(1), 9)
            .await
            .unwrap()
    );
    assert_eq!(queued().await, 2, "nothing overdue, nothing sent");
}
