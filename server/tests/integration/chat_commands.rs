//! Slash commands through the real router on both backends: Slack's signed requests and
//! Mattermost's token, the person found by their chat account's verified email, the
//! change recorded like any other, and every refusal.

use app::accounts::Role;
use app::catalog::service::create_service;
use app::incidents::entities::incident;
use app::incidents::service::timeline::timeline;
use app::incidents::{IncidentRef, Status};
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;
use sha2::Sha256;

use crate::support::TestApp;
use crate::support::chat::{MATTERMOST_TOKEN, SLACK_SECRET};

backend_tests!(
    slack_commands_run_as_the_person_with_that_email,
    slack_requests_must_be_signed_and_fresh,
    mattermost_needs_its_token_and_a_verified_email,
);

fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// Posts a Slack command signed with `secret` at `at` (Unix seconds).
async fn slack_at(app: &TestApp, user: &str, text: &str, secret: &str, at: i64) -> (u16, Value) {
    let body = form(&[("user_id", user), ("command", "/vigil"), ("text", text)]);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{at}:{body}").as_bytes());
    let signature = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
    let res = reqwest::Client::new()
        .post(app.url("/hooks/chat/slack"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", at.to_string())
        .header("x-slack-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn slack(app: &TestApp, user: &str, text: &str) -> Value {
    let (status, body) = slack_at(
        app,
        user,
        text,
        SLACK_SECRET,
        chrono::Utc::now().timestamp(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn incidents(app: &TestApp) -> Vec<incident::Model> {
    incident::Entity::find().all(&app.db).await.unwrap()
}

async fn slack_commands_run_as_the_person_with_that_email(app: TestApp) {
    let responder = app.create_user(Role::Responder).await;
    let viewer = app.create_user(Role::Viewer).await;
    app.chat.add("U1", &responder.email, true);
    app.chat.add("U2", &viewer.email, true);
    let service = create_service(&app.db, "Checkout API", Some("SRE"))
        .await
        .unwrap();

    let said = slack(
        &app,
        "U1",
        "declare Checkout down <!channel> sev1 checkout api",
    )
    .await;
    assert_eq!(said["response_type"], "in_channel", "{said}");
    let text = said["text"].as_str().unwrap();
    assert!(text.contains("declared INC-"), "{text}");
    assert!(text.contains("Checkout down &lt;!channel&gt;"), "{text}");
    let declared = incidents(&app).await;
    assert_eq!(declared.len(), 1);
    let reference = IncidentRef(declared[0].id);
    assert!(text.ends_with(&format!("/incidents/{reference}")), "{text}");
    assert_eq!(declared[0].title, "Checkout down <!channel>");
    let detail = app::incidents::service::query::get_incident(&app.db, reference)
        .await
        .unwrap();
    assert_eq!(detail.severity.name, "SEV1");
    assert_eq!(
        detail.services.iter().map(|s| s.id).collect::<Vec<_>>(),
        [service.id]
    );

    let said = slack(&app, "U1", &format!("status {reference} mitigated")).await;
    assert_eq!(said["response_type"], "in_channel", "{said}");
    let said = slack(
        &app,
        "U1",
        &format!("note {reference} Rolled back the deploy"),
    )
    .await;
    assert_eq!(said["response_type"], "in_channel", "{said}");
    let current = incident::Entity::find_by_id(reference.0)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        current.status,
        Status::Monitoring,
        "mitigated is monitoring"
    );
    let events = timeline(&app.db, reference, Role::Responder).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.body.contains("Rolled back the deploy")
                && e.author.as_deref() == Some(responder.name.as_str())),
        "the note is the responder's: {events:?}"
    );

    // Refusals are private, say why, and change nothing.
    for (user, text, why) in [
        (
            "U1",
            "status INC-999999 resolved",
            "There is no incident INC-999999",
        ),
        ("U1", "status INC-1 on-fire", "is not a status"),
        ("U1", "reboot everything", "is not a command"),
        ("U2", "declare Viewer declares", "No active Vigil responder"),
        (
            "U9",
            "declare Stranger declares",
            "could not read a verified email",
        ),
        (
            "UNOT/VALID",
            "declare Path tricks",
            "could not read a verified email",
        ),
    ] {
        let said = slack(&app, user, text).await;
        assert_eq!(said["response_type"], "ephemeral", "{said}");
        assert!(
            said["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(&why.to_lowercase()),
            "{text}: {said}"
        );
    }
    let said = slack(&app, "U1", "help").await;
    assert!(said["text"].as_str().unwrap().contains("declare"), "{said}");
    assert_eq!(incidents(&app).await.len(), 1);
}

async fn slack_requests_must_be_signed_and_fresh(app: TestApp) {
    let responder = app.create_user(Role::Responder).await;
    app.chat.add("U1", &responder.email, true);
    let now = chrono::Utc::now().timestamp();
    let (status, body) = slack_at(&app, "U1", "declare Forged", "not-the-secret", now).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    let (status, _) = slack_at(&app, "U1", "declare Replayed", SLACK_SECRET, now - 600).await;
    assert_eq!(status, 401, "a request older than five minutes is a replay");
    let res = reqwest::Client::new()
        .post(app.url("/hooks/chat/slack"))
        .body("user_id=U1&text=declare+Unsigned")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(incident::Entity::find().count(&app.db).await.unwrap(), 0);
}

async fn mattermost_needs_its_token_and_a_verified_email(app: TestApp) {
    let responder = app.create_user(Role::Responder).await;
    let unverified = app.create_user(Role::Responder).await;
    app.chat.add("mm1", &responder.email, true);
    app.chat.add("mm2", &unverified.email, false);
    let post = |token: &'static str, user: &'static str, text: &'static str| {
        let app_url = app.url("/hooks/chat/mattermost");
        async move {
            let res = reqwest::Client::new()
                .post(app_url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("token", token), ("user_id", user), ("text", text)]))
                .send()
                .await
                .unwrap();
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    create_service(&app.db, "Search", Some("SRE"))
        .await
        .unwrap();
    let (status, _) = post("wrong", "mm1", "declare Forged").await;
    assert_eq!(status, 401);
    let (status, said) = post(MATTERMOST_TOKEN, "mm2", "declare Unverified").await;
    assert_eq!(status, 200);
    assert_eq!(said["response_type"], "ephemeral");
    assert!(
        said["text"].as_str().unwrap().contains("verified email"),
        "{said}"
    );
    assert_eq!(incident::Entity::find().count(&app.db).await.unwrap(), 0);

    let (status, said) = post(
        MATTERMOST_TOKEN,
        "mm1",
        "declare Search is slow **now** @here sev2 search",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(said["response_type"], "in_channel", "{said}");
    let text = said["text"].as_str().unwrap();
    assert!(
        text.contains("\\*\\*now\\*\\* \\@\u{2060}here"),
        "Markdown stays text: {text}"
    );
    let declared = incidents(&app).await;
    assert_eq!(declared.len(), 1);
    assert_eq!(declared[0].title, "Search is slow **now** @here");
}
