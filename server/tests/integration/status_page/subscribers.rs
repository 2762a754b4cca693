//! Subscribing to the status page by email over a real SMTP conversation: double
//! opt-in by a button (opening a link changes nothing), each update mailed with
//! one-click unsubscribe, nothing internal in any mail; the form refuses bad input by
//! field, other sites' posts and floods; and many subscribers at once stay one each.

use app::accounts::Role;
use app::catalog::service::create_service;
use app::incidents::service::query::severities;
use app::status::entities::subscriber;
use app::status::outbox::{self, Mailer, Senders};
use app::status::service::{self, Reach};
use app::workflow::declare_incident;
use chrono::Utc;
use sea_orm::{EntityTrait, PaginatorTrait};

use super::{add_component, public, switch_on};
use crate::support::smtp::{Delivered, SmtpSink};
use crate::support::{TestApp, new_client};

backend_tests!(
    email_subscribers_confirm_by_button_get_updates_and_leave_in_one_click,
    the_form_refuses_bad_input_by_field_other_sites_and_floods,
    concurrent_requests_for_one_address_make_one_subscription,
);

pub(super) const BASE: &str = "https://status.acme.test";

pub(super) async fn deliver(app: &TestApp, senders: &Senders) -> usize {
    outbox::deliver_due(&app.db, senders, BASE, Utc::now())
        .await
        .unwrap()
}

/// The token in a mail's or page's link to its subscription.
pub(super) fn token_in(text: &str) -> String {
    let at = text
        .find("/status/subscriptions/")
        .expect("a link to the subscription")
        + "/status/subscriptions/".len();
    text[at..at + 64].to_owned()
}

async fn post_form(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = new_client().post(app.url(path)).form(form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// A published page with one component, an incident on it published, and a mailer
/// to a sink.
async fn page_with_incident(
    app: &TestApp,
) -> (
    SmtpSink,
    Senders,
    app::incidents::IncidentRef,
    app::accounts::CurrentUser,
) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(app, &admin, "0", true).await;
    let checkout = create_service(&app.db, "checkout-db-7", None)
        .await
        .unwrap();
    let component = add_component(app, &admin, &checkout.slug, "Payments").await;
    let commander = app.with_user(Role::Responder).await;
    let reference = declare_incident(
        &app.db,
        &commander,
        app::incidents::service::declare::Declaration {
            title: "INTERNAL-TITLE replica lag on db-7".into(),
            severity_id: Some(severities(&app.db).await.unwrap()[1].id),
            service_ids: vec![checkout.id],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let post = app::status::Publication {
        title: Some("Card payments are failing".into()),
        state: "investigating".into(),
        components: Some(vec![component]),
        body: "Looking into it.".into(),
        ..Default::default()
    };
    service::publish(&app.db, &commander, reference, &post)
        .await
        .unwrap();
    let sink = SmtpSink::start().await;
    let senders = Senders {
        mail: Some(Mailer::new(&sink.url, "Acme status <status@acme.test>").unwrap()),
        web: app::notifications::outbox::client(true).unwrap(),
    };
    (sink, senders, reference, commander)
}

async fn update(
    app: &TestApp,
    who: &app::accounts::CurrentUser,
    reference: app::incidents::IncidentRef,
    state: &str,
    body: &str,
) {
    let version = app::status::entities::status_incident::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .version;
    let post = app::status::Publication {
        state: state.into(),
        body: body.into(),
        version: Some(version),
        ..Default::default()
    };
    service::publish(&app.db, who, reference, &post)
        .await
        .unwrap();
}

fn text(mail: &Delivered) -> String {
    mail.part("text/plain").expect("a plain text part")
}

async fn email_subscribers_confirm_by_button_get_updates_and_leave_in_one_click(app: TestApp) {
    let (sink, senders, reference, commander) = page_with_incident(&app).await;
    let (status, headers, form) = public(&app, "/status/subscribe").await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    assert!(form.contains("value=\"email\""), "{form}");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'self'")
    );
    let (_, _, page) = public(&app, "/status").await;
    assert!(page.contains("href=\"/status/subscribe\""), "{page}");

    // Asked twice: the same answer, and a confirmation each time; nothing sent inline.
    for _ in 0..2 {
        let asked = post_form(
            &app,
            "/status/subscribe",
            &[("kind", "email"), ("address", "  Ops@Example.COM ")],
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
        assert_eq!(asked.status(), 303);
        assert_eq!(asked.headers()["location"], "/status/subscribe?sent=email");
    }
    assert!(sink.take().is_empty());
    let (_, _, sent) = public(&app, "/status/subscribe?sent=email").await;
    assert!(sent.contains("Check your inbox"), "{sent}");
    assert_eq!(deliver(&app, &senders).await, 2);
    let mails = sink.take();
    assert_eq!(mails.len(), 2);
    let confirmation = &mails[0];
    assert_eq!(confirmation.to, vec!["ops@example.com".to_owned()]);
    assert_eq!(
        confirmation.header("Subject").as_deref(),
        Some("Confirm your status updates subscription")
    );
    assert!(confirmation.header("List-Unsubscribe").is_none());
    assert!(
        confirmation
            .header("From")
            .unwrap()
            .contains("status@acme.test")
    );
    let token = token_in(&text(confirmation));
    assert_eq!(token, token_in(&text(&mails[1])), "one subscription");

    // Not confirmed yet: an update reaches no one; opening the link (as a mail scanner
    // would, twice) confirms nothing.
    update(&app, &commander, reference, "identified", "Found it.").await;
    assert_eq!(deliver(&app, &senders).await, 0);
    let manage = format!("/status/subscriptions/{token}");
    for _ in 0..2 {
        let (status, headers, page) = public(&app, &manage).await;
        assert_eq!(status, 200);
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(page.contains("Confirm subscription"), "{page}");
        assert!(page.contains("ops@example.com"), "{page}");
    }
    let stored = service::by_token(&app.db, &token).await.unwrap().unwrap();
    assert!(stored.confirmed_at.is_none());

    // Another site cannot confirm for them; the button can.
    let forged = post_form(
        &app,
        &format!("{manage}/confirm"),
        &[],
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert!(
        service::by_token(&app.db, &token)
            .await
            .unwrap()
            .unwrap()
            .confirmed_at
            .is_none()
    );
    let confirmed = post_form(
        &app,
        &format!("{manage}/confirm"),
        &[],
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(confirmed.status(), 303);
    let (_, _, page) = public(&app, &format!("{manage}?done=confirmed")).await;
    assert!(page.contains("Subscription confirmed."), "{page}");
    assert!(page.contains("Unsubscribe"), "{page}");

    // An update is mailed: its words, no internal ones, markup sanitised.
    update(
        &app,
        &commander,
        reference,
        "monitoring",
        "A fix is **out**.<script>alert(1)</script>",
    )
    .await;
    assert_eq!(deliver(&app, &senders).await, 1);
    let mails = sink.take();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("[Acme status] Monitoring: Card payments are failing")
    );
    let one_click = format!("{BASE}/status/subscriptions/{token}/unsubscribe");
    assert_eq!(
        mail.header("List-Unsubscribe"),
        Some(format!("<{one_click}>"))
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let plain = text(mail);
    assert!(plain.contains("A fix is **out**."), "{plain}");
    assert!(plain.contains("Affects Payments"), "{plain}");
    assert!(
        plain.contains(&format!("{BASE}/status/incidents/")),
        "{plain}"
    );
    assert!(
        plain.contains(&format!("Unsubscribe: {BASE}/status/subscriptions/{token}")),
        "{plain}"
    );
    let html = mail.part("text/html").unwrap();
    assert!(html.contains("<strong>out</strong>"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    for internal in [
        "INTERNAL",
        "db-7",
        commander.email.as_str(),
        commander.display_name.as_str(),
    ] {
        assert!(!mail.data.contains(internal), "{internal} in {}", mail.data);
    }

    // A mail client's one-click post (from elsewhere, no cookies) ends it.
    let left = new_client()
        .post(app.url(&format!("{manage}/unsubscribe")))
        .header("origin", "https://mail.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(left.status(), 200);
    assert!(service::by_token(&app.db, &token).await.unwrap().is_none());
    update(&app, &commander, reference, "resolved", "Fixed.").await;
    assert_eq!(deliver(&app, &senders).await, 0);
    assert!(sink.take().is_empty());
    let (status, _, page) = public(&app, &manage).await;
    assert_eq!(status, 404);
    assert!(page.contains("No such subscription"), "{page}");
}

async fn the_form_refuses_bad_input_by_field_other_sites_and_floods(app: TestApp) {
    // No page, no form.
    assert_eq!(public(&app, "/status/subscribe").await.0, 404);
    let (sink, senders, _, _) = page_with_incident(&app).await;
    let refused = |form: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = post_form(app, "/status/subscribe", &form, &[]).await;
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let cases = [
        (
            vec![
                ("kind", "email".into()),
                ("address", "\"><script>alert(1)</script>".into()),
            ],
            "This is not an email address",
        ),
        (
            vec![
                ("kind", "email".into()),
                ("address", "a@example.com\r\nBcc: all@example.com".into()),
            ],
            "This is not an email address",
        ),
        (
            vec![("kind", "fax".into()), ("address", "a@example.com".into())],
            "Choose email or webhook.",
        ),
        (
            vec![
                ("kind", "webhook".into()),
                ("address", "http://169.254.169.254/latest".into()),
            ],
            "Use a public address",
        ),
        (
            vec![
                ("kind", "webhook".into()),
                ("address", "javascript:alert(1)".into()),
            ],
            "Use an http:// or https:// address.",
        ),
    ];
    for (form, message) in cases {
        let (status, page) = refused(form).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains(message), "{message}: {page}");
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(
            page.contains("aria-invalid=\"true\"") || message.starts_with("Choose"),
            "{page}"
        );
    }
    // Another site's post is refused before anything is read or counted.
    let forged = post_form(
        &app,
        "/status/subscribe",
        &[("kind", "email"), ("address", "victim@example.com")],
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(forged.status(), 403);
    // A body far beyond two fields is refused.
    let huge = "a".repeat(64 * 1024);
    let response = post_form(
        &app,
        "/status/subscribe",
        &[("kind", "email"), ("address", &huge)],
        &[],
    )
    .await;
    assert_eq!(response.status(), 413);
    assert_eq!(subscriber::Entity::find().count(&app.db).await.unwrap(), 0);

    // One inbox gets at most three confirmations per window, whoever asks.
    for attempt in 0..4 {
        let (status, page) = refused(vec![
            ("kind", "email".into()),
            ("address", "victim@example.com".into()),
        ])
        .await;
        if attempt < 3 {
            assert_eq!(status, 303, "{page}");
        } else {
            assert_eq!(status, 429, "{page}");
            assert!(page.contains("Too many subscription requests"), "{page}");
        }
    }
    // One client gets ten requests per window (five refused above, four here).
    let (status, _) = refused(vec![
        ("kind", "email".into()),
        ("address", "one@example.com".into()),
    ])
    .await;
    assert_eq!(status, 303);
    let (status, page) = refused(vec![
        ("kind", "email".into()),
        ("address", "two@example.com".into()),
    ])
    .await;
    assert_eq!(status, 429, "{page}");
    assert_eq!(deliver(&app, &senders).await, 4);
    let mails = sink.take();
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.to == ["victim@example.com"])
            .count(),
        3
    );

    // Links that name nothing, or not a token at all, answer 404 and change nothing.
    for path in [
        format!("/status/subscriptions/{}", "0".repeat(64)),
        "/status/subscriptions/..%2F..%2Fetc".to_owned(),
        "/status/subscriptions/%0d%0aSet-Cookie:%20x=1".to_owned(),
    ] {
        assert_eq!(public(&app, &path).await.0, 404, "{path}");
        let response = post_form(&app, &format!("{path}/confirm"), &[], &[]).await;
        assert_eq!(response.status(), 404, "{path}");
        let response = post_form(&app, &format!("{path}/unsubscribe"), &[], &[]).await;
        assert!(matches!(response.status().as_u16(), 303 | 404), "{path}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    assert_eq!(subscriber::Entity::find().count(&app.db).await.unwrap(), 2);

    // A confirmation link unused for a week no longer confirms.
    let victim = mails
        .iter()
        .find(|m| m.to == ["victim@example.com"])
        .unwrap();
    let token = token_in(&text(victim));
    subscriber::Entity::update_many()
        .col_expr(
            subscriber::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(Utc::now() - chrono::Duration::days(8)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let late = post_form(
        &app,
        &format!("/status/subscriptions/{token}/confirm"),
        &[],
        &[],
    )
    .await;
    assert_eq!(late.status(), 404);
    assert!(
        service::by_token(&app.db, &token)
            .await
            .unwrap()
            .unwrap()
            .confirmed_at
            .is_none()
    );
}

async fn concurrent_requests_for_one_address_make_one_subscription(app: TestApp) {
    let (_sink, _senders, _, _) = page_with_incident(&app).await;
    let reach = Reach {
        mail: true,
        private_webhooks: false,
    };
    let mut asks = tokio::task::JoinSet::new();
    for n in 0..24 {
        let db = app.db.clone();
        asks.spawn(async move {
            // Half ask for the same address (throttled past three), half for their own.
            let address = if n % 2 == 0 {
                "same@example.com".to_owned()
            } else {
                format!("person{n}@example.com")
            };
            service::subscribe(&db, "email", &address, None, reach).await
        });
    }
    let mut accepted = 0;
    while let Some(answer) = asks.join_next().await {
        match answer.unwrap() {
            Ok(_) => accepted += 1,
            Err(app::error::AppError::TooManyRequests(_)) => {}
            Err(other) => panic!("a subscribe failed: {other:?}"),
        }
    }
    assert_eq!(
        accepted,
        12 + 3,
        "three requests for one address, then refused"
    );
    assert_eq!(subscriber::Entity::find().count(&app.db).await.unwrap(), 13);
    let same = subscriber::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.address == "same@example.com")
        .count();
    assert_eq!(same, 1);
}
