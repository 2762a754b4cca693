//! Webhook subscribers: the confirmation (with the signing key) goes to the webhook
//! itself and is confirmed by a post; updates are signed posts in Statuspage's webhook
//! shape; a receiver that keeps failing is retried with backoff and then given up, as
//! is a mailbox the relay refuses for good, while one refused for now is retried.

use std::sync::atomic::Ordering;

use app::accounts::Role;
use app::notifications::DeliveryStatus;
use app::notifications::outbox::{MAX_ATTEMPTS, signature};
use app::status::entities::delivery;
use app::status::outbox::{self, Senders};
use app::status::service::{self, Reach};
use axum::http::HeaderMap;
use chrono::{Duration, Utc};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::Value;

use super::subscribers::{BASE, deliver};
use crate::support::TestApp;
use crate::support::receiver::{Received, receiver};
use crate::support::smtp::{Answer, SmtpSink};

backend_tests!(
    webhook_subscribers_get_signed_statuspage_posts_and_failures_are_bounded,
    mail_refused_for_now_is_retried_and_refused_for_good_is_not,
);

fn take(received: &Received) -> Vec<(HeaderMap, Value)> {
    std::mem::take(&mut *received.lock().unwrap())
        .into_iter()
        .map(|(h, b)| (h, serde_json::from_str(&b).unwrap()))
        .collect()
}

/// Checks the post's signature with `secret`, as a receiver would.
fn signed(headers: &HeaderMap, body: &Value, secret: &str) {
    let timestamp: i64 = headers["x-vigil-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = serde_json::to_vec(body).unwrap();
    assert_eq!(
        headers["x-vigil-signature"].to_str().unwrap(),
        signature(secret, timestamp, &bytes)
    );
}

const REACH: Reach = Reach {
    mail: true,
    private_webhooks: true,
};

async fn on(app: &TestApp) -> (app::accounts::CurrentUser, i64, reqwest::Client) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    super::switch_on(app, &admin, "0", true).await;
    let api = app::catalog::service::create_service(&app.db, "api", None)
        .await
        .unwrap();
    let component = super::add_component(app, &admin, &api.slug, "API").await;
    (app.with_user(Role::Responder).await, component, admin)
}

async fn webhook_subscribers_get_signed_statuspage_posts_and_failures_are_bounded(app: TestApp) {
    let (responder, component, admin_client) = on(&app).await;
    let (url, received, answer) = receiver(200).await;
    let senders = Senders {
        mail: None,
        web: app::notifications::outbox::client(true).unwrap(),
    };
    service::subscribe(&app.db, "webhook", &url, None, REACH)
        .await
        .unwrap();
    assert_eq!(deliver(&app, &senders).await, 1);
    let posts = take(&received);
    let (headers, body) = &posts[0];
    assert_eq!(headers["x-vigil-event"], "subscription.confirm");
    let secret = body["subscription"]["signing_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    signed(headers, body, secret);
    let confirm_url = body["subscription"]["confirm_url"].as_str().unwrap();
    assert!(confirm_url.starts_with(&format!("{BASE}/status/subscriptions/")));

    // The receiver confirms with a post of its own (no browser, no Origin).
    let path = confirm_url.trim_start_matches(BASE);
    let confirmed = crate::support::new_client()
        .post(app.url(path))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 303);

    // Scheduled maintenance reaches it, signed, as Statuspage shapes it.
    let starts = Utc::now() + Duration::hours(2);
    service::schedule(
        &app.db,
        &responder,
        &app::audit::service::Actor::default(),
        &app::status::MaintenanceEdit {
            title: "Database upgrade".into(),
            body: "Short pauses.".into(),
            starts_at: Some(starts),
            ends_at: Some(starts + Duration::hours(1)),
            components: vec![component],
            counts_against_slo: false,
            version: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(deliver(&app, &senders).await, 1);
    let posts = take(&received);
    let (headers, body) = &posts[0];
    assert_eq!(headers["x-vigil-event"], "maintenance.scheduled");
    signed(headers, body, secret);
    assert_eq!(body["incident"]["impact"], "maintenance", "{body}");
    assert_eq!(body["incident"]["name"], "Database upgrade");
    assert_eq!(body["incident"]["components"][0]["name"], "API");
    assert_eq!(body["page"]["name"], "Acme status");
    assert!(
        body["meta"]["unsubscribe"]
            .as_str()
            .unwrap()
            .ends_with("/unsubscribe")
    );
    assert!(body.to_string().find("counts_against_slo").is_none());

    // A receiver that keeps failing is retried with backoff, then given up.
    answer.store(500, Ordering::SeqCst);
    let id = app::status::entities::maintenance::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    service::finish_maintenance(
        &app.db,
        &responder,
        &app::audit::service::Actor::default(),
        id,
        Some(1),
    )
    .await
    .unwrap();
    let mut at = Utc::now();
    for attempt in 1..=MAX_ATTEMPTS {
        assert_eq!(
            outbox::deliver_due(&app.db, &senders, BASE, at)
                .await
                .unwrap(),
            1,
            "attempt {attempt}"
        );
        // Not again before its time.
        assert_eq!(
            outbox::deliver_due(&app.db, &senders, BASE, at)
                .await
                .unwrap(),
            0
        );
        at += Duration::hours(2);
    }
    let last = delivery::Entity::find()
        .order_by_desc(delivery::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.status, DeliveryStatus::Failed);
    assert_eq!(last.attempts, MAX_ATTEMPTS);
    assert!(last.last_error.unwrap().contains("500"));
    let events: Vec<String> = take(&received)
        .iter()
        .map(|(h, _)| h["x-vigil-event"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(events.len(), MAX_ATTEMPTS as usize);
    assert!(events.iter().all(|e| e == "maintenance.cancelled"));
    let admin = app.with_user(Role::Admin).await;
    let board = service::board(&app.db, &admin, true).await.unwrap();
    assert_eq!((board.webhook, board.email, board.failed), (1, 0, 1));
    assert!(service::board(&app.db, &responder, true).await.is_err());

    // Admins see it on the status page's admin page and can remove it; others cannot.
    let page = app.get_with(&admin_client, "/admin/status-page").await;
    let page = page.text().await.unwrap();
    assert!(page.contains(&url), "{page}");
    assert!(
        page.contains("0 by email · 1 by webhook · 0 waiting for confirmation"),
        "{page}"
    );
    let id = board.latest[0].id.to_string();
    let listed: Value = app
        .get_with(&admin_client, "/api/v1/status-page/subscribers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["webhook"], 1, "{listed}");
    assert_eq!(listed["subscribers"][0]["kind"], "webhook");
    assert_eq!(listed["subscribers"][0]["address"], url.as_str());
    let (responder_client, _) = app.signed_in(Role::Responder).await;
    let refused = app
        .get_with(&responder_client, "/api/v1/status-page/subscribers")
        .await;
    assert_eq!(refused.status(), 403);
    let refused = app
        .call_with(
            &responder_client,
            "/rpc/remove_status_subscriber",
            &[("id", &id)],
        )
        .await;
    assert_eq!(refused.status(), 403);
    let removed = app
        .call_with(
            &admin_client,
            "/rpc/remove_status_subscriber",
            &[("id", &id)],
        )
        .await;
    assert_eq!(removed.status(), 200, "{}", removed.text().await.unwrap());
    let board = service::board(&app.db, &admin, true).await.unwrap();
    assert_eq!(board.webhook, 0);
    let gone = admin_client
        .delete(app.url(&format!("/api/v1/status-page/subscribers/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    assert!(
        delivery::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn mail_refused_for_now_is_retried_and_refused_for_good_is_not(app: TestApp) {
    on(&app).await;
    let sink = SmtpSink::start().await;
    let senders = Senders {
        mail: Some(outbox::Mailer::new(&sink.url, "status@acme.test").unwrap()),
        web: app::notifications::outbox::client(true).unwrap(),
    };
    service::subscribe(&app.db, "email", "busy@example.com", None, REACH)
        .await
        .unwrap();
    sink.answer(Answer::Busy);
    assert_eq!(deliver(&app, &senders).await, 1);
    let row = delivery::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.status, row.attempts), (DeliveryStatus::Pending, 1));
    assert!(row.next_attempt_at > Utc::now(), "retried later");
    assert!(row.last_error.unwrap().contains("451"));
    sink.answer(Answer::Accept);
    let later = Utc::now() + Duration::minutes(5);
    assert_eq!(
        outbox::deliver_due(&app.db, &senders, BASE, later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(sink.take().len(), 1);

    service::subscribe(&app.db, "email", "gone@example.com", None, REACH)
        .await
        .unwrap();
    sink.answer(Answer::Refuse);
    assert_eq!(deliver(&app, &senders).await, 1);
    let row = delivery::Entity::find()
        .order_by_desc(delivery::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.status, row.attempts), (DeliveryStatus::Failed, 1));
    assert!(row.last_error.unwrap().contains("550"));
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for sample in [
        "vigil_status_page_deliveries{status=\"failed\"} 1",
        "vigil_status_page_deliveries{status=\"pending\"} 0",
        "vigil_status_page_subscribers{kind=\"email\"} 0",
    ] {
        assert!(metrics.contains(sample), "{sample}: {metrics}");
    }

    // Without a relay, mail cannot be asked for at all.
    let no_mail = Reach {
        mail: false,
        private_webhooks: false,
    };
    let refused = service::subscribe(&app.db, "email", "x@example.com", None, no_mail).await;
    assert!(matches!(refused, Err(app::error::AppError::Invalid(_))));
}
