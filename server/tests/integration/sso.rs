//! Single sign-on through a stand-in OpenID provider (`support::idp`): people are signed
//! in, linked, created and given roles from their groups; every check of the flow and of
//! the ID token refuses what fails it, and says so in the audit log.

use app::accounts::Role;
use app::accounts::entities::{identity, session, user};
use app::accounts::service::users;
use app::accounts::sso::PasswordSignIn;
use app::audit::entities::audit_log;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::support::idp::{CLIENT_ID, Person, Token};
use crate::support::{TestApp, new_client};

backend_tests!(
    a_new_person_is_created_with_the_role_their_groups_map_to,
    an_existing_account_is_linked_by_verified_email_and_follows_group_changes,
    every_failed_token_check_refuses_the_sign_in,
    a_state_is_used_once_and_only_by_the_browser_that_began,
    unverified_emails_unknown_people_and_deactivated_accounts_are_refused,
    rotated_keys_are_read_again_and_userinfo_fills_missing_claims,
    signing_out_also_signs_out_at_the_provider,
    with_passwords_off_only_the_break_glass_admin_uses_one,
    an_unreachable_provider_is_a_clear_refusal_and_passwords_still_work,
    admins_see_how_each_person_signs_in,
    one_person_signing_in_in_many_tabs_at_once_gets_one_account,
);

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("{} has no location", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Begins a sign-in, lets the provider sign `person` in, and returns the provider's
/// callback URL (not yet followed).
async fn through_provider(app: &TestApp, client: &reqwest::Client, person: &Person) -> String {
    app.idp.sign_in_as(person);
    let start = app
        .get_with(
            client,
            "/auth/oidc/test/start?next=/incidents%3Fstatus%3Dopen",
        )
        .await;
    assert_eq!(start.status(), 303);
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&format!("{}/authorize?", app.idp.issuer)),
        "{authorize}"
    );
    let at_provider = client.get(&authorize).send().await.unwrap();
    assert_eq!(at_provider.status(), 303);
    location(&at_provider)
}

/// Signs `person` in with `client`: where the callback sends the browser.
async fn sso(app: &TestApp, client: &reqwest::Client, person: &Person) -> String {
    let callback = through_provider(app, client, person).await;
    location(&client.get(&callback).send().await.unwrap())
}

async fn whoami(app: &TestApp, client: &reqwest::Client) -> Value {
    app.call_with(client, "/rpc/current_user", &[])
        .await
        .json()
        .await
        .unwrap()
}

async fn user_row(app: &TestApp, email: &str) -> Option<user::Model> {
    users::find_by_email(&app.db, email).await.unwrap()
}

/// The audit entries with `action`, newest first.
async fn audited(app: &TestApp, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .order_by_desc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

fn email() -> String {
    format!(
        "sso-{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

async fn a_new_person_is_created_with_the_role_their_groups_map_to(app: TestApp) {
    let person = Person::new(&email(), &["vigil-responders", "other"]);
    let client = new_client();
    assert_eq!(sso(&app, &client, &person).await, "/incidents?status=open");
    let me = whoami(&app, &client).await;
    assert_eq!(me["email"], person.email);
    assert_eq!(me["display_name"], "Grace Hopper");
    assert_eq!(me["role"], "responder");
    let row = user_row(&app, &person.email).await.unwrap();
    assert_eq!(row.role, Role::Responder);
    // Nobody can sign in to it with a password.
    let res = app
        .sign_in_with(&new_client(), &person.email, &row.password_hash)
        .await;
    assert_eq!(res.status(), 422);
    let link = identity::Entity::find()
        .filter(identity::Column::UserId.eq(row.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (link.issuer.as_str(), link.subject.as_str()),
        (app.idp.issuer.as_str(), person.subject.as_str())
    );
    let created = &audited(&app, "user.created").await[0];
    assert_eq!(created.subject.as_deref(), Some(person.email.as_str()));
    assert!(
        created.details.contains("\"provider\":\"test\""),
        "{}",
        created.details
    );
    let signed_in = &audited(&app, "sign_in.succeeded").await[0];
    assert_eq!(signed_in.actor_id, Some(row.id));
    let account = app
        .get_with(&client, "/account")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        account.contains("data-testid=\"no-password\"") && !account.contains("Change password")
    );
    assert_eq!(me["has_password"], false);

    // The page offers the provider; its button starts this flow.
    let page = app
        .get_with(&new_client(), "/login?next=/incidents")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Test ID</a>"), "{page}");
    assert!(page.contains("href=\"/auth/oidc/test/start?next=/incidents\""));
    // An unknown provider is a 404, and a return path off the site is ignored.
    assert_eq!(
        app.get_with(&client, "/auth/oidc/nope/start")
            .await
            .status(),
        404
    );
    let other = new_client();
    app.idp.sign_in_as(&person);
    let start = app
        .get_with(
            &other,
            "/auth/oidc/test/start?next=https://evil.example.com/",
        )
        .await;
    let callback = location(&other.get(location(&start)).send().await.unwrap());
    assert_eq!(location(&other.get(&callback).send().await.unwrap()), "/");
}

async fn an_existing_account_is_linked_by_verified_email_and_follows_group_changes(app: TestApp) {
    // Two admins, so that the mapping may demote one.
    app.create_user(Role::Admin).await;
    let existing = app.create_user(Role::Viewer).await;
    let mut person = Person::new(&existing.email.to_uppercase(), &["vigil-admins"]);
    let client = new_client();
    sso(&app, &client, &person).await;
    assert_eq!(whoami(&app, &client).await["email"], existing.email);
    let row = user_row(&app, &existing.email).await.unwrap();
    assert_eq!(row.role, Role::Admin, "the group mapping applies at once");
    assert_eq!(
        row.display_name, existing.name,
        "a linked account keeps its name"
    );
    // The password still works for a linked account (passwords are on here).
    assert_eq!(
        app.sign_in_with(&new_client(), &existing.email, &existing.password)
            .await
            .status(),
        200
    );

    // Removed from the admins' group: the next sign-in demotes.
    person.groups = vec!["vigil-responders".into()];
    sso(&app, &new_client(), &person).await;
    assert_eq!(
        user_row(&app, &existing.email).await.unwrap().role,
        Role::Responder
    );
    person.groups = vec![];
    sso(&app, &new_client(), &person).await;
    assert_eq!(
        user_row(&app, &existing.email).await.unwrap().role,
        Role::Viewer
    );
    let change = &audited(&app, "user.role_changed").await[0];
    assert!(
        change.details.contains("\"to\":\"viewer\""),
        "{}",
        change.details
    );

    // Found by its subject from now on, whatever email the provider reports.
    person.email = email();
    person.email_verified = false;
    let c = new_client();
    assert_eq!(sso(&app, &c, &person).await, "/incidents?status=open");
    assert_eq!(whoami(&app, &c).await["email"], existing.email);
    assert!(user_row(&app, &person.email).await.is_none());

    // The last active admin is never demoted by a mapping.
    let lone = TestApp::spawn(app.backend).await.unwrap();
    let admin = lone.create_user(Role::Admin).await;
    let person = Person::new(&admin.email, &[]);
    sso(&lone, &new_client(), &person).await;
    assert_eq!(
        user_row(&lone, &admin.email).await.unwrap().role,
        Role::Admin
    );
    assert_eq!(audited(&lone, "sso.role_kept").await.len(), 1);
}

async fn every_failed_token_check_refuses_the_sign_in(app: TestApp) {
    type Change = Box<dyn FnOnce(&mut Token) + Send>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "issuer",
            Box::new(|t| {
                t.claims
                    .insert("iss".into(), json!("https://evil.example.com"));
            }),
        ),
        (
            "audience",
            Box::new(|t| {
                t.claims.insert("aud".into(), json!("another-client"));
            }),
        ),
        (
            "audience",
            Box::new(|t| {
                t.claims.insert("aud".into(), json!([CLIENT_ID, "x"]));
                t.claims.insert("azp".into(), json!("x"));
            }),
        ),
        (
            "expired",
            Box::new(|t| {
                let now = chrono::Utc::now().timestamp();
                t.claims.insert("exp".into(), json!(now - 3600));
            }),
        ),
        (
            "not_yet_valid",
            Box::new(|t| {
                let now = chrono::Utc::now().timestamp();
                t.claims.insert("iat".into(), json!(now + 3600));
            }),
        ),
        (
            "nonce",
            Box::new(|t| {
                t.claims.insert("nonce".into(), json!("someone else's"));
            }),
        ),
        (
            "algorithm",
            Box::new(|t| {
                t.unsigned = true;
                t.header.insert("alg".into(), json!("none"));
            }),
        ),
        (
            "algorithm",
            Box::new(|t| {
                t.header.insert("alg".into(), json!("HS256"));
            }),
        ),
        (
            "signature",
            Box::new(|t| {
                t.foreign_key = true;
            }),
        ),
        (
            "unknown_key",
            Box::new(|t| {
                t.header.insert("kid".into(), json!("not-published"));
            }),
        ),
    ];
    for (code, change) in cases {
        let person = Person::new(&email(), &["vigil-admins"]);
        app.idp.tamper(change);
        let client = new_client();
        assert_eq!(
            sso(&app, &client, &person).await,
            "/login?sso_error=token",
            "{code}"
        );
        assert_eq!(whoami(&app, &client).await, Value::Null, "{code}");
        assert!(user_row(&app, &person.email).await.is_none(), "{code}");
        let refused = &audited(&app, "sso.refused").await[0];
        assert!(
            refused.details.contains(&format!("\"reason\":\"{code}:")),
            "{code}: {}",
            refused.details
        );
    }
    // The page explains, from a fixed text.
    let page = app
        .get("/login?sso_error=token")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("did not pass Vigil"), "{page}");
    let page = app
        .get("/login?sso_error=%3Cscript%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Single sign-on did not complete") && !page.contains("<script>"));
}

async fn a_state_is_used_once_and_only_by_the_browser_that_began(app: TestApp) {
    let person = Person::new(&email(), &[]);
    let client = new_client();
    let callback = through_provider(&app, &client, &person).await;
    // Another browser (a forged link into someone's session) gets nothing.
    let stranger = new_client();
    assert_eq!(
        location(&stranger.get(&callback).send().await.unwrap()),
        "/login?sso_error=state"
    );
    assert_eq!(whoami(&app, &stranger).await, Value::Null);
    assert_eq!(
        location(&client.get(&callback).send().await.unwrap()),
        "/incidents?status=open"
    );
    // Replayed, even by the same browser: refused, and the session it began continues.
    assert_eq!(
        location(&client.get(&callback).send().await.unwrap()),
        "/login?sso_error=state"
    );
    // A changed state, or none, is refused too.
    let tampered = callback.replace("state=", "state=x");
    assert_eq!(
        location(&new_client().get(&tampered).send().await.unwrap()),
        "/login?sso_error=state"
    );
    let res = app
        .get_with(&new_client(), "/auth/oidc/test/callback?code=abc")
        .await;
    assert_eq!(location(&res), "/login?sso_error=state");
    // A visitor's session holding only a begun sign-in ends with the sign-in's ten
    // minutes; a signed-in person's keeps its lifetime.
    let short = || async {
        session::Entity::find()
            .filter(
                session::Column::ExpiresAt.lt(chrono::Utc::now() + chrono::Duration::minutes(11)),
            )
            .count(&app.db)
            .await
            .unwrap()
    };
    let before = short().await;
    let start_cookie = |res: &reqwest::Response| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with(vigil_server::SESSION_COOKIE))
    };
    let res = app.get_with(&new_client(), "/auth/oidc/test/start").await;
    assert!(start_cookie(&res).unwrap().contains("Max-Age=600"));
    assert_eq!(short().await, before + 1);
    let res = app.get_with(&client, "/auth/oidc/test/start").await;
    assert!(start_cookie(&res).is_none_or(|c| !c.contains("Max-Age=600")));
    assert_eq!(short().await, before + 1);
    // Stray callbacks leave nothing behind.
    let sessions = || async { session::Entity::find().count(&app.db).await.unwrap() };
    let before = sessions().await;
    for _ in 0..5 {
        let res = app
            .get_with(
                &new_client(),
                "/auth/oidc/test/callback?code=abc&state=forged",
            )
            .await;
        assert_eq!(location(&res), "/login?sso_error=state");
    }
    assert_eq!(sessions().await, before);
    // The person cancelled at the provider.
    let c = new_client();
    let callback = through_provider(&app, &c, &person).await;
    let state = url::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let denied = app
        .get_with(
            &c,
            &format!("/auth/oidc/test/callback?error=access_denied&state={state}"),
        )
        .await;
    assert_eq!(location(&denied), "/login?sso_error=denied");
    // The session that began the sign-in gets a new id when it completes.
    let c = new_client();
    app.idp.sign_in_as(&person);
    let start = app.get_with(&c, "/auth/oidc/test/start").await;
    let before = session_cookie(&start).expect("the start sets the session cookie");
    let callback = location(&c.get(location(&start)).send().await.unwrap());
    let done = c.get(&callback).send().await.unwrap();
    assert_ne!(session_cookie(&done).expect("a new session cookie"), before);
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.cookies()
        .find(|c| c.name() == vigil_server::SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

async fn unverified_emails_unknown_people_and_deactivated_accounts_are_refused(app: TestApp) {
    let mut person = Person::new(&email(), &["vigil-admins"]);
    person.email_verified = false;
    assert_eq!(
        sso(&app, &new_client(), &person).await,
        "/login?sso_error=email_unverified"
    );
    assert!(user_row(&app, &person.email).await.is_none());
    // Not even to link an existing account.
    let existing = app.create_user(Role::Viewer).await;
    let mut claimant = Person::new(&existing.email, &["vigil-admins"]);
    claimant.email_verified = false;
    assert_eq!(
        sso(&app, &new_client(), &claimant).await,
        "/login?sso_error=email_unverified"
    );
    assert_eq!(
        user_row(&app, &existing.email).await.unwrap().role,
        Role::Viewer
    );

    // A provider that does not create people.
    let base = app
        .another_server(|config| config.sso.providers[0].create_users = false)
        .await;
    let client = new_client();
    let stranger = Person::new(&email(), &[]);
    app.idp.sign_in_as(&stranger);
    let start = client
        .get(format!("{base}/auth/oidc/test/start"))
        .send()
        .await
        .unwrap();
    let callback = location(&client.get(location(&start)).send().await.unwrap());
    assert_eq!(
        location(&client.get(&callback).send().await.unwrap()),
        "/login?sso_error=no_account"
    );
    assert!(user_row(&app, &stranger.email).await.is_none());

    // A deactivated account stays out.
    let gone = app.create_user(Role::Responder).await;
    let row = user_row(&app, &gone.email).await.unwrap();
    users::set_active(
        &app.db,
        app::accounts::UserId(row.id),
        false,
        &Default::default(),
    )
    .await
    .unwrap();
    let client = new_client();
    assert_eq!(
        sso(&app, &client, &Person::new(&gone.email, &[])).await,
        "/login?sso_error=deactivated"
    );
    assert_eq!(whoami(&app, &client).await, Value::Null);
}

async fn rotated_keys_are_read_again_and_userinfo_fills_missing_claims(app: TestApp) {
    let person = Person::new(&email(), &["vigil-responders"]);
    sso(&app, &new_client(), &person).await;
    sso(&app, &new_client(), &person).await;
    assert_eq!(app.idp.jwks_reads(), 1, "keys are kept between sign-ins");
    app.idp.rotate();
    let client = new_client();
    assert_eq!(sso(&app, &client, &person).await, "/incidents?status=open");
    assert_eq!(app.idp.jwks_reads(), 2);
    assert_eq!(whoami(&app, &client).await["email"], person.email);

    // Email and groups only at the userinfo endpoint.
    app.idp
        .keep_out_of_id_token(&["email", "email_verified", "groups"]);
    let other = Person::new(&email(), &["vigil-admins"]);
    let client = new_client();
    assert_eq!(sso(&app, &client, &other).await, "/incidents?status=open");
    let me = whoami(&app, &client).await;
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str()),
        (Some(other.email.as_str()), Some("admin"))
    );
}

async fn signing_out_also_signs_out_at_the_provider(app: TestApp) {
    let person = Person::new(&email(), &[]);
    let client = new_client();
    sso(&app, &client, &person).await;
    let res = app.call_with(&client, "/rpc/sign_out", &[]).await;
    assert_eq!(res.status(), 200);
    let next: String = res.json().await.unwrap();
    let url = url::Url::parse(&next).unwrap();
    assert!(next.starts_with(&app.idp.end_session_endpoint()), "{next}");
    let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs["client_id"], CLIENT_ID);
    assert_eq!(pairs["post_logout_redirect_uri"], app.url("/login"));
    assert_eq!(pairs["id_token_hint"].split('.').count(), 3);
    assert_eq!(whoami(&app, &client).await, Value::Null);
    // Without JavaScript: a 303 to the provider, which the page's CSP lets the form follow.
    let client = new_client();
    sso(&app, &client, &person).await;
    let page = app.get_with(&client, "/logout").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!("form-action 'self' {}", app.idp.issuer)),
        "{csp}"
    );
    let res = client
        .post(app.url("/rpc/sign_out"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with(&app.idp.end_session_endpoint()));
    // A password session signs out to the sign-in page as before.
    let (password, _) = app.signed_in(Role::Viewer).await;
    let next: String = app
        .call_with(&password, "/rpc/sign_out", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next, "/login");
}

async fn with_passwords_off_only_the_break_glass_admin_uses_one(app: TestApp) {
    let glass = app.create_user(Role::Admin).await;
    let other = app.create_user(Role::Admin).await;
    let glass_email = glass.email.clone();
    let base = app
        .another_server(move |config| {
            config.sso.passwords = PasswordSignIn::BreakGlass(glass_email)
        })
        .await;
    let sign_in = |email: String, password: String| {
        let base = base.clone();
        async move {
            new_client()
                .post(format!("{base}/rpc/sign_in"))
                .header("accept", "application/json")
                .form(&[
                    ("email", email.as_str()),
                    ("password", password.as_str()),
                    ("next", ""),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let refused = sign_in(other.email.clone(), other.password.clone()).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Passwords are turned off")
    );
    assert_eq!(
        sign_in(glass.email.to_uppercase(), glass.password.clone())
            .await
            .status(),
        200
    );
    let options = new_client()
        .post(format!("{base}/rpc/sign_in_options"))
        .header("accept", "application/json")
        .form(&[("", "")][..0])
        .send()
        .await
        .unwrap();
    let status = options.status();
    let text = options.text().await.unwrap();
    let options: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} {text}"));
    assert_eq!(
        options,
        json!({ "providers": [{ "id": "test", "name": "Test ID" }], "passwords": false })
    );
    let page = new_client()
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-testid=\"break-glass\"") && page.contains("Test ID</a>"));
    // The break-glass admin keeps their role when they use single sign-on too.
    let base_person = Person::new(&glass.email, &[]);
    app.idp.sign_in_as(&base_person);
    let client = new_client();
    let start = client
        .get(format!("{base}/auth/oidc/test/start"))
        .send()
        .await
        .unwrap();
    let callback = location(&client.get(location(&start)).send().await.unwrap());
    assert_eq!(location(&client.get(&callback).send().await.unwrap()), "/");
    assert_eq!(
        user_row(&app, &glass.email).await.unwrap().role,
        Role::Admin
    );
}

async fn an_unreachable_provider_is_a_clear_refusal_and_passwords_still_work(app: TestApp) {
    app.idp.set_down(true);
    let res = app.get_with(&new_client(), "/auth/oidc/test/start").await;
    assert_eq!(location(&res), "/login?sso_error=provider");
    let refused = &audited(&app, "sso.refused").await[0];
    assert!(refused.details.contains("503"), "{}", refused.details);
    app.signed_in(Role::Viewer).await;
    app.idp.set_down(false);
    let client = new_client();
    assert_eq!(
        sso(&app, &client, &Person::new(&email(), &[])).await,
        "/incidents?status=open"
    );
}

async fn admins_see_how_each_person_signs_in(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    let created = Person::new(&email(), &["vigil-responders"]);
    sso(&app, &new_client(), &created).await;
    let existing = app.create_user(Role::Viewer).await;
    sso(&app, &new_client(), &Person::new(&existing.email, &[])).await;
    let settings: Value = app
        .call_with(&admin, "/rpc/sso_settings", &[])
        .await
        .json()
        .await
        .unwrap();
    let provider = &settings["providers"][0];
    assert_eq!(
        provider["redirect_uri"],
        app.url("/auth/oidc/test/callback")
    );
    assert_eq!(
        provider["roles"],
        json!([["vigil-admins", "admin"], ["vigil-responders", "responder"]])
    );
    assert_eq!(settings["break_glass"], Value::Null);
    let accounts = settings["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{settings}");
    let page = app
        .get_with(&admin, "/admin/users")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-testid=\"sso-settings\""));
    assert!(page.contains(&app.url("/auth/oidc/test/callback")));
    assert!(
        page.contains("<td>Test ID</td>"),
        "created by sign-on: no password"
    );
    assert!(page.contains("<td>Test ID, password</td>"), "linked: both");
    assert!(page.contains("<td>Password</td>"));
}

async fn one_person_signing_in_in_many_tabs_at_once_gets_one_account(app: TestApp) {
    let person = Person::new(&email(), &["vigil-responders"]);
    let mut callbacks = Vec::new();
    for _ in 0..8 {
        let client = new_client();
        let callback = through_provider(&app, &client, &person).await;
        callbacks.push((client, callback));
    }
    let landed =
        futures_util::future::join_all(callbacks.iter().map(|(client, callback)| async move {
            location(&client.get(callback).send().await.unwrap())
        }))
        .await;
    assert!(
        landed.iter().all(|l| l == "/incidents?status=open"),
        "{landed:?}"
    );
    let row = user_row(&app, &person.email).await.unwrap();
    let links = identity::Entity::find()
        .filter(identity::Column::UserId.eq(row.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(links, 1);
    assert_eq!(audited(&app, "user.created").await.len(), 1);
}
