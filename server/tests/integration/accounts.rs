//! Signing in and out, sessions, throttling, CSRF and the role matrix.

use app::accounts::Role;
use app::accounts::service::setup;
use serde_json::Value;

use crate::support::{TestApp, new_client};

backend_tests!(
    signing_in_with_the_right_password_starts_a_session,
    a_failed_sign_in_does_not_reveal_whether_the_email_exists,
    signing_in_rotates_the_session_id,
    a_signed_out_session_cannot_be_replayed,
    deactivating_a_user_ends_their_sessions_and_sign_ins,
    an_admin_can_sign_a_user_out_everywhere,
    anonymous_visitors_are_sent_to_sign_in_and_back,
    every_role_gets_exactly_its_pages,
    every_role_gets_exactly_its_server_functions,
    a_cross_site_post_is_refused,
    repeated_failures_throttle_the_account,
    repeated_failures_throttle_the_address,
    pages_carry_security_headers_and_a_nonce_policy,
    the_first_admin_is_created_with_the_one_time_setup_token,
    the_audit_log_records_sign_ins_and_user_changes,
    the_last_admin_cannot_be_demoted_or_deactivated,
    a_duplicate_email_is_a_field_error,
    changing_a_password_requires_the_current_one,
    expired_sessions_are_not_loaded_and_get_deleted,
    an_active_session_slides_its_idle_expiry,
    a_role_change_applies_to_the_next_request_of_a_signed_in_person,
);

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("vigil_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// A GET with exactly this cookie header and no jar.
async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn signing_in_with_the_right_password_starts_a_session(app: TestApp) {
    let user = app.create_user(Role::Responder).await;
    let client = new_client();
    let res = app
        .sign_in_with(&client, &user.email.to_uppercase(), &user.password)
        .await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    assert_eq!(res.json::<String>().await.unwrap(), "/");

    let home = app.get_with(&client, "/").await;
    assert_eq!(home.status(), 200);
    assert_eq!(
        app.get_with(&client, "/login").await.headers()["location"],
        "/",
        "already signed in"
    );
    assert!(home.text().await.unwrap().contains(&user.name));
    let me: Value = app
        .call_with(&client, "/rpc/current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], user.email);
    assert_eq!(me["role"], "responder");
}

async fn a_failed_sign_in_does_not_reveal_whether_the_email_exists(app: TestApp) {
    let user = app.create_user(Role::Viewer).await;
    let client = new_client();
    let wrong_password = app
        .sign_in_with(&client, &user.email, "not the password")
        .await;
    let unknown_email = app
        .sign_in_with(&client, "nobody@example.com", "not the password")
        .await;
    assert_eq!(wrong_password.status(), 422);
    assert_eq!(unknown_email.status(), 422);
    let a: Value = wrong_password.json().await.unwrap();
    let b: Value = unknown_email.json().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(
        a["Invalid"][0]["message"],
        "The email or password is not correct."
    );
    assert_eq!(
        app.get_with(&client, "/").await.status(),
        303,
        "still signed out"
    );
}

async fn signing_in_rotates_the_session_id(app: TestApp) {
    let user = app.create_user(Role::Viewer).await;
    let client = new_client();
    let first =
        session_cookie(&app.sign_in_with(&client, &user.email, &user.password).await).unwrap();
    assert_eq!(
        get_with_cookie(&app, "/account", &first).await.status(),
        200
    );

    // Signing in again on the same session (as after a planted cookie) issues a new id...
    let second =
        session_cookie(&app.sign_in_with(&client, &user.email, &user.password).await).unwrap();
    assert_ne!(first, second);
    // ...and the id from before no longer works.
    assert_eq!(
        get_with_cookie(&app, "/account", &first).await.status(),
        303
    );
    assert_eq!(
        get_with_cookie(&app, "/account", &second).await.status(),
        200
    );
    // A made-up id is worthless too.
    assert_eq!(
        get_with_cookie(&app, "/account", "vigil_session=AAAAAAAAAAAAAAAAAAAAAA")
            .await
            .status(),
        303
    );
}

async fn a_signed_out_session_cannot_be_replayed(app: TestApp) {
    let user = app.create_user(Role::Viewer).await;
    let client = new_client();
    let cookie =
        session_cookie(&app.sign_in_with(&client, &user.email, &user.password).await).unwrap();
    assert_eq!(
        app.call_with(&client, "/rpc/sign_out", &[]).await.status(),
        200
    );
    assert_eq!(
        get_with_cookie(&app, "/account", &cookie).await.status(),
        303
    );
    assert_eq!(app.get_with(&client, "/account").await.status(), 303);
}

async fn user_id(app: &TestApp, admin: &reqwest::Client, email: &str) -> String {
    let users: Value = app
        .call_with(admin, "/rpc/list_users", &[])
        .await
        .json()
        .await
        .unwrap();
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .map(|u| u["id"].to_string())
        .expect("user is listed")
}

async fn deactivating_a_user_ends_their_sessions_and_sign_ins(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (responder, user) = app.signed_in(Role::Responder).await;
    assert_eq!(app.get_with(&responder, "/").await.status(), 200);
    let made = app
        .call_with(
            &responder,
            "/rpc/create_api_token",
            &[("name", "deploy script"), ("expires_in_days", "30")],
        )
        .await;
    let token = made.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_token = || {
        reqwest::Client::new()
            .get(app.url("/api/v1/incidents"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(by_token().await.unwrap().status(), 200);

    let id = user_id(&app, &admin, &user.email).await;
    let res = app
        .call_with(
            &admin,
            "/rpc/set_user_active",
            &[("user_id", &id), ("active", "false")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.get_with(&responder, "/").await.status(),
        303,
        "the session ended"
    );
    let again = app
        .sign_in_with(&new_client(), &user.email, &user.password)
        .await;
    assert_eq!(again.status(), 422, "a deactivated user cannot sign in");
    assert_eq!(
        by_token().await.unwrap().status(),
        401,
        "nor use their tokens"
    );

    let res = app
        .call_with(
            &admin,
            "/rpc/set_user_active",
            &[("user_id", &id), ("active", "true")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.sign_in_with(&new_client(), &user.email, &user.password)
            .await
            .status(),
        200
    );
}

async fn an_admin_can_sign_a_user_out_everywhere(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    let user = app.create_user(Role::Viewer).await;
    let (laptop, phone) = (new_client(), new_client());
    for client in [&laptop, &phone] {
        assert_eq!(
            app.sign_in_with(client, &user.email, &user.password)
                .await
                .status(),
            200
        );
    }
    let id = user_id(&app, &admin, &user.email).await;
    let res = app
        .call_with(&admin, "/rpc/sign_out_user_everywhere", &[("user_id", &id)])
        .await;
    assert_eq!(res.json::<u64>().await.unwrap(), 2);
    for client in [&laptop, &phone] {
        assert_eq!(app.get_with(client, "/").await.status(), 303);
    }
    assert_eq!(
        app.get_with(&admin, "/").await.status(),
        200,
        "the admin stays signed in"
    );
}

async fn anonymous_visitors_are_sent_to_sign_in_and_back(app: TestApp) {
    let res = app.get("/admin/audit?page=2").await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/login?next=/admin/audit%3Fpage%3D2"
    );
    assert_eq!(app.get("/").await.headers()["location"], "/login");
    assert_eq!(app.get("/login").await.status(), 200);

    let user = app.create_user(Role::Admin).await;
    let form = [
        ("email", user.email.as_str()),
        ("password", user.password.as_str()),
        ("next", "/admin/audit?page=2"),
    ];
    let res = app.call("/rpc/sign_in", &form).await;
    assert_eq!(res.json::<String>().await.unwrap(), "/admin/audit?page=2");

    // Without JavaScript the browser is redirected there.
    let res = new_client()
        .post(app.url("/rpc/sign_in"))
        .header("accept", "text/html")
        .header("referer", app.url("/login?next=/account"))
        .form(&[
            ("email", user.email.as_str()),
            ("password", user.password.as_str()),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account");

    // Only same-origin paths are followed.
    let form = [
        ("email", user.email.as_str()),
        ("password", user.password.as_str()),
        ("next", "https://evil.example/"),
    ];
    assert_eq!(
        app.call("/rpc/sign_in", &form)
            .await
            .json::<String>()
            .await
            .unwrap(),
        "/"
    );
}

async fn every_role_gets_exactly_its_pages(app: TestApp) {
    let pages = [
        "/",
        "/account",
        "/admin/users",
        "/admin/audit",
        "/admin/severities",
        "/admin/about",
        "/admin/change-sources",
        "/admin/status-page",
        "/maintenance",
    ];
    let anonymous = new_client();
    for page in pages {
        let res = app.get_with(&anonymous, page).await;
        assert_eq!(res.status(), 303, "anonymous {page}");
        assert!(
            res.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
    }
    for role in Role::ALL {
        let (client, _) = app.signed_in(role).await;
        for page in pages {
            let expected = if page.starts_with("/admin") && role != Role::Admin {
                403
            } else {
                200
            };
            let res = app.get_with(&client, page).await;
            assert_eq!(res.status(), expected, "{role:?} {page}");
            if expected == 403 {
                assert!(
                    res.text()
                        .await
                        .unwrap()
                        .contains("You do not have permission")
                );
            }
        }
    }
}

async fn every_role_gets_exactly_its_server_functions(app: TestApp) {
    let target = app.create_user(Role::Viewer).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let target_id = user_id(&app, &admin, &target.email).await;
    let fresh_email =
        |role: &str| format!("new-{role}-{}@example.com", uuid::Uuid::new_v4().simple());
    // Moving the last severity down changes nothing, so every role can try it.
    let last_severity = app::incidents::service::query::severities(&app.db)
        .await
        .unwrap()
        .last()
        .unwrap()
        .id
        .to_string();

    for role in [
        None,
        Some(Role::Viewer),
        Some(Role::Responder),
        Some(Role::Admin),
    ] {
        let client = match role {
            Some(role) => app.signed_in(role).await.0,
            None => new_client(),
        };
        let label = role.map_or("anonymous", |r| r.as_str());
        let invite_email = fresh_email(label);
        type Form<'a> = Vec<(&'a str, &'a str)>;
        let calls: Vec<(&str, Form, Role)> = vec![
            ("/rpc/system_status", vec![], Role::Admin),
            ("/rpc/on_call", vec![], Role::Viewer),
            ("/rpc/change_sources", vec![], Role::Admin),
            ("/rpc/take_change_secret", vec![], Role::Admin),
            (
                "/rpc/update_profile",
                vec![("display_name", "Renamed")],
                Role::Viewer,
            ),
            ("/rpc/list_users", vec![], Role::Admin),
            ("/rpc/sso_settings", vec![], Role::Admin),
            ("/rpc/audit_log", vec![("page", "1")], Role::Admin),
            (
                "/rpc/invite_user",
                vec![
                    ("email", invite_email.as_str()),
                    ("display_name", "New"),
                    ("role", "viewer"),
                ],
                Role::Admin,
            ),
            (
                "/rpc/change_user_role",
                vec![("user_id", &target_id), ("role", "responder")],
                Role::Admin,
            ),
            (
                "/rpc/set_user_active",
                vec![("user_id", &target_id), ("active", "true")],
                Role::Admin,
            ),
            (
                "/rpc/sign_out_user_everywhere",
                vec![("user_id", &target_id)],
                Role::Admin,
            ),
            ("/rpc/take_invitation", vec![], Role::Admin),
            ("/rpc/time_zones", vec![], Role::Viewer),
            ("/rpc/maintenance_board", vec![], Role::Viewer),
            ("/rpc/admin_severities", vec![], Role::Admin),
            (
                "/rpc/move_severity",
                vec![("id", &last_severity), ("direction", "down")],
                Role::Admin,
            ),
        ];
        for (path, form, required) in calls {
            let expected = match role {
                None => 401,
                Some(role) if role.includes(required) => 200,
                Some(_) => 403,
            };
            let res = app.call_with(&client, path, &form).await;
            assert_eq!(
                res.status(),
                expected,
                "{label} {path}: {}",
                res.text().await.unwrap()
            );
        }
    }
}

async fn a_cross_site_post_is_refused(app: TestApp) {
    let user = app.create_user(Role::Viewer).await;
    let form = [
        ("email", user.email.as_str()),
        ("password", user.password.as_str()),
        ("next", ""),
    ];
    let client = new_client();
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = client
            .post(app.url("/rpc/sign_in"))
            .header(header, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{header}: {value}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_site_request");
    }
    let res = client
        .post(app.url("/rpc/sign_in"))
        .header("origin", format!("http://{}", app.addr))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn repeated_failures_throttle_the_account(app: TestApp) {
    let user = app.create_user(Role::Viewer).await;
    let client = new_client();
    for _ in 0..5 {
        assert_eq!(
            app.sign_in_with(&client, &user.email, "wrong password!")
                .await
                .status(),
            422
        );
    }
    let res = app.sign_in_with(&client, &user.email, &user.password).await;
    assert_eq!(res.status(), 429, "even the right password waits");
    let body: Value = res.json().await.unwrap();
    assert!(
        body["TooManyRequests"]
            .as_str()
            .unwrap()
            .contains("Too many failed sign-in attempts")
    );
    // Other accounts are not affected.
    let other = app.create_user(Role::Viewer).await;
    assert_eq!(
        app.sign_in_with(&client, &other.email, &other.password)
            .await
            .status(),
        200
    );
}

async fn repeated_failures_throttle_the_address(app: TestApp) {
    let client = new_client();
    for i in 0..20 {
        let email = format!("sprayed-{i}@example.com");
        assert_eq!(
            app.sign_in_with(&client, &email, "Summer2026!")
                .await
                .status(),
            422
        );
    }
    let user = app.create_user(Role::Viewer).await;
    assert_eq!(
        app.sign_in_with(&client, &user.email, &user.password)
            .await
            .status(),
        429
    );
}

async fn pages_carry_security_headers_and_a_nonce_policy(app: TestApp) {
    let res = app.get("/login").await;
    let headers = res.headers().clone();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce");
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert!(
        !html.contains("<script>"),
        "no inline script without a nonce"
    );

    let json = app.get("/livez").await;
    assert_eq!(
        json.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(json.headers()["x-content-type-options"], "nosniff");
}

async fn the_first_admin_is_created_with_the_one_time_setup_token(app: TestApp) {
    let token = setup::issue_token_if_needed(&app.db)
        .await
        .unwrap()
        .expect("no users yet");
    let form = |token: &str| {
        vec![
            ("token", token.to_owned()),
            ("email", "first@example.com".to_owned()),
            ("display_name", "First Admin".to_owned()),
            ("password", "a long first password".to_owned()),
            ("password_confirmation", "a long first password".to_owned()),
        ]
    };
    let call = |client: reqwest::Client, form: Vec<(&'static str, String)>| {
        let url = app.url("/rpc/complete_setup");
        async move {
            client
                .post(url)
                .header("accept", "application/json")
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = call(new_client(), form("not-the-token")).await;
    assert_eq!(wrong.status(), 422);

    let client = new_client();
    let res = call(client.clone(), form(&token)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let me: Value = app
        .call_with(&client, "/rpc/current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["email"], "first@example.com");

    let reused = call(new_client(), form(&token)).await;
    assert_eq!(reused.status(), 422, "the token works once");
    assert!(
        setup::issue_token_if_needed(&app.db)
            .await
            .unwrap()
            .is_none(),
        "no token once a user exists"
    );
}

async fn the_audit_log_records_sign_ins_and_user_changes(app: TestApp) {
    let (admin, admin_user) = app.signed_in(Role::Admin).await;
    let user = app.create_user(Role::Viewer).await;
    app.sign_in_with(&new_client(), &user.email, "wrong password!")
        .await;
    let id = user_id(&app, &admin, &user.email).await;
    app.call_with(
        &admin,
        "/rpc/change_user_role",
        &[("user_id", &id), ("role", "responder")],
    )
    .await;
    let (other, _) = app.signed_in(Role::Viewer).await;
    app.call_with(&other, "/rpc/sign_out", &[]).await;

    let log: Value = app
        .call_with(&admin, "/rpc/audit_log", &[("page", "1")])
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<(String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["subject"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    for (action, subject) in [
        ("sign_in.succeeded", admin_user.email.as_str()),
        ("sign_in.failed", user.email.as_str()),
        ("user.role_changed", user.email.as_str()),
    ] {
        assert!(
            actions.contains(&(action.to_owned(), subject.to_owned())),
            "{action} {subject} in {actions:?}"
        );
    }
    assert!(actions.iter().any(|(a, _)| a == "sign_out"), "{actions:?}");
    let text = log.to_string();
    assert!(
        !text.contains(&user.password) && !text.contains("wrong password!"),
        "no passwords in the log"
    );

    let page = app
        .get_with(&admin, "/admin/audit")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("user.role_changed"));
}

async fn the_last_admin_cannot_be_demoted_or_deactivated(app: TestApp) {
    let (admin, me) = app.signed_in(Role::Admin).await;
    let id = user_id(&app, &admin, &me.email).await;
    let res = app
        .call_with(
            &admin,
            "/rpc/change_user_role",
            &[("user_id", &id), ("role", "viewer")],
        )
        .await;
    assert_eq!(res.status(), 409);
    let res = app
        .call_with(
            &admin,
            "/rpc/set_user_active",
            &[("user_id", &id), ("active", "false")],
        )
        .await;
    assert_eq!(res.status(), 409);
    app.create_user(Role::Admin).await;
    let res = app
        .call_with(
            &admin,
            "/rpc/change_user_role",
            &[("user_id", &id), ("role", "viewer")],
        )
        .await;
    assert_eq!(res.status(), 200, "with another admin it is allowed");
}

async fn a_duplicate_email_is_a_field_error(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    let taken = app.create_user(Role::Viewer).await;
    let upper = taken.email.to_uppercase();
    let form = [
        ("email", upper.as_str()),
        ("display_name", "Twin"),
        ("role", "viewer"),
    ];
    let res = app.call_with(&admin, "/rpc/invite_user", &form).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"][0]["field"], "email");

    let email = format!("invitee-{}@example.com", uuid::Uuid::new_v4().simple());
    let form = [
        ("email", email.as_str()),
        ("display_name", "Invitee"),
        ("role", "responder"),
    ];
    let invitation: Value = app
        .call_with(&admin, "/rpc/invite_user", &form)
        .await
        .json()
        .await
        .unwrap();
    let temporary = invitation["temporary_password"].as_str().unwrap();
    let client = new_client();
    assert_eq!(
        app.sign_in_with(&client, &email, temporary).await.status(),
        200
    );
    let me: Value = app
        .call_with(&client, "/rpc/current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["password_change_required"], true);
}

async fn changing_a_password_requires_the_current_one(app: TestApp) {
    let (client, user) = app.signed_in(Role::Viewer).await;
    let new_password = "a brand new password";
    let form = [
        ("current_password", "not the current one"),
        ("new_password", new_password),
        ("new_password_confirmation", new_password),
    ];
    let res = app.call_with(&client, "/rpc/change_password", &form).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"][0]["field"], "current_password");

    let form = [
        ("current_password", user.password.as_str()),
        ("new_password", new_password),
        ("new_password_confirmation", new_password),
    ];
    assert_eq!(
        app.call_with(&client, "/rpc/change_password", &form)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.sign_in_with(&new_client(), &user.email, &user.password)
            .await
            .status(),
        422
    );
    assert_eq!(
        app.sign_in_with(&new_client(), &user.email, new_password)
            .await
            .status(),
        200
    );
}

async fn expired_sessions_are_not_loaded_and_get_deleted(app: TestApp) {
    use app::accounts::service::sessions::{DbSessionStore, delete_expired};
    use tower_sessions::SessionStore;
    use tower_sessions::session::{Id, Record};

    let store = DbSessionStore::new(app.db.clone());
    let now = time::OffsetDateTime::now_utc();
    let mut live = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: now + time::Duration::hours(1),
    };
    let mut stale = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: now - time::Duration::minutes(1),
    };
    store.create(&mut live).await.unwrap();
    store.create(&mut stale).await.unwrap();

    assert!(store.load(&live.id).await.unwrap().is_some());
    assert!(
        store.load(&stale.id).await.unwrap().is_none(),
        "an expired session is never loaded"
    );
    assert_eq!(delete_expired(&app.db).await.unwrap(), 1);
    assert!(
        store.load(&live.id).await.unwrap().is_some(),
        "live sessions stay"
    );
}

/// The idle timeout counts from the last request, not from signing in: a responder busy
/// on a long incident stays signed in, and the session is written at most once a minute.
async fn an_active_session_slides_its_idle_expiry(app: TestApp) {
    use app::accounts::entities::session::{self, Entity as SessionRow};
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

    let user = app.create_user(Role::Viewer).await;
    let res = app
        .sign_in_with(&app.client, &user.email, &user.password)
        .await;
    assert_eq!(res.status(), 200);
    let cookie = session_cookie(&res).expect("a session cookie");

    // Signed in a while ago, last seen two minutes ago, five minutes of idle time left.
    let row = SessionRow::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("one session");
    let mut data: serde_json::Map<String, Value> = serde_json::from_str(&row.data).unwrap();
    let now = chrono::Utc::now();
    data.insert("signed_in_at".into(), (now.timestamp() - 3600).into());
    data.insert("seen_at".into(), (now.timestamp() - 120).into());
    let mut aged = row.clone().into_active_model();
    aged.data = Set(serde_json::to_string(&data).unwrap());
    aged.expires_at = Set(now + chrono::Duration::minutes(5));
    aged.update(&app.db).await.unwrap();

    let page = get_with_cookie(&app, "/incidents", &cookie).await;
    assert_eq!(page.status(), 200);
    let renewed = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("vigil_session="))
        .expect("the cookie is sent again with a fresh lifetime")
        .to_owned();
    assert!(renewed.contains("Max-Age=43200"), "{renewed}");
    let row: session::Model = SessionRow::find_by_id(row.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .expect("the session still exists");
    assert!(
        row.expires_at > now + chrono::Duration::hours(11),
        "the stored expiry moved forward: {}",
        row.expires_at
    );
    let data: Value = serde_json::from_str(&row.data).unwrap();
    assert!(row.user_id.is_some());
    assert_eq!(
        data["user_id"].as_i64(),
        row.user_id,
        "the session keeps its user"
    );
    assert!(
        !row.data.contains(&user.email),
        "the account read with the session is not stored in it: {}",
        row.data
    );

    // The next request within the minute writes nothing.
    let again = get_with_cookie(&app, "/incidents", &cookie).await;
    assert_eq!(again.status(), 200);
    assert!(session_cookie(&again).is_none(), "no write per request");
    let unchanged = SessionRow::find_by_id(row.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged, row);
}

/// The account is read with the session on every request, never kept from an earlier
/// one: a demotion takes effect on the demoted person's very next request.
async fn a_role_change_applies_to_the_next_request_of_a_signed_in_person(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (responder, person) = app.signed_in(Role::Responder).await;
    let me: Value = app
        .call_with(&responder, "/rpc/current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "responder");
    let id = user_id(&app, &admin, &person.email).await;
    let changed = app
        .call_with(
            &admin,
            "/rpc/change_user_role",
            &[("user_id", &id), ("role", "viewer")],
        )
        .await;
    assert!(changed.status().is_success(), "{}", changed.status());
    let me: Value = app
        .call_with(&responder, "/rpc/current_user", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "viewer");
    assert_eq!(me["email"], person.email);
    let declare = app
        .call_with(
            &responder,
            "/rpc/declare_incident",
            &[
                ("form[title]", "Demoted people cannot declare"),
                ("form[severity_id]", "1"),
            ],
        )
        .await;
    assert_eq!(declare.status(), 403);
}
