//! What an attacker tries first: redirects off-site, credentials that outlive a password
//! change, a temporary password used for anything but changing it, a session revived by a
//! request that was still in flight, and throttles raced by parallel guesses.

use app::accounts::Role;
use app::accounts::entities::session;
use app::accounts::service::sessions::DbSessionStore;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::Value;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

use crate::support::{TestApp, new_client};

backend_tests!(
    sign_in_never_returns_to_another_site,
    changing_a_password_ends_other_sessions_and_optionally_api_tokens,
    a_temporary_password_opens_nothing_but_the_account_page,
    a_save_after_sign_out_everywhere_does_not_revive_the_session,
    parallel_wrong_tokens_are_counted_exactly,
    personal_answers_are_never_cached,
    over_https_the_cookie_is_host_only_and_transport_strict,
    titles_and_names_are_one_line,
    live_streams_are_capped_and_end_with_the_session,
    viewers_see_only_the_current_text_of_a_note,
    a_nul_in_any_json_text_is_refused_by_field_not_a_500,
);

async fn sign_in_never_returns_to_another_site(app: TestApp) {
    let user = app.create_user(Role::Viewer).await;
    for (next, expected) in [
        ("/\t/evil.example", "/"),
        ("/%09/evil.example", "/%09/evil.example"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/.//evil.example", "/"),
        ("/incidents?status=open", "/incidents?status=open"),
    ] {
        // As a plain form post: the answer is a redirect, and its Location is ours.
        let res = new_client()
            .post(app.url("/rpc/sign_in"))
            .header("accept", "text/html")
            .form(&[
                ("email", user.email.as_str()),
                ("password", &user.password),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(location, expected, "next={next:?}");
    }
}

async fn changing_a_password_ends_other_sessions_and_optionally_api_tokens(app: TestApp) {
    let (laptop, user) = app.signed_in(Role::Responder).await;
    let phone = new_client();
    assert_eq!(
        app.sign_in_with(&phone, &user.email, &user.password)
            .await
            .status(),
        200
    );
    let created: Value = app
        .call_with(
            &laptop,
            "/rpc/create_api_token",
            &[("name", "script"), ("expires_in_days", "")],
        )
        .await
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let api = |token: String| {
        let url = app.url("/api/v1/incidents");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(api(token.clone()).await, 200);

    let first = "a first new password";
    let form = [
        ("current_password", user.password.as_str()),
        ("new_password", first),
        ("new_password_confirmation", first),
    ];
    assert_eq!(
        app.call_with(&laptop, "/rpc/change_password", &form)
            .await
            .status(),
        200
    );
    let app = &app;
    let me = |client: reqwest::Client| async move {
        app.call_with(&client, "/rpc/current_user", &[])
            .await
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(
        me(laptop.clone()).await["email"],
        user.email.as_str(),
        "this session goes on"
    );
    assert_eq!(
        me(phone.clone()).await,
        Value::Null,
        "the other session ended"
    );
    assert_eq!(api(token.clone()).await, 200, "tokens stay unless asked");

    let second = "a second new password";
    let form = [
        ("current_password", first),
        ("new_password", second),
        ("new_password_confirmation", second),
        ("revoke_tokens", "on"),
    ];
    assert_eq!(
        app.call_with(&laptop, "/rpc/change_password", &form)
            .await
            .status(),
        200
    );
    assert_eq!(api(token).await, 401, "asked: the tokens stop");
    assert_eq!(me(laptop).await["email"], user.email.as_str());
}

async fn a_temporary_password_opens_nothing_but_the_account_page(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
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

    let res = app.get_with(&client, "/incidents").await;
    assert_eq!(res.status(), 303, "pages send them to choose a password");
    assert_eq!(res.headers()["location"], "/account");
    assert_eq!(app.get_with(&client, "/account").await.status(), 200);
    let res = app.call_with(&client, "/rpc/list_incidents", &[]).await;
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "password_change_required");
    let res = app
        .call_with(
            &client,
            "/rpc/create_api_token",
            &[("name", "sneaky"), ("expires_in_days", "")],
        )
        .await;
    assert_eq!(res.status(), 403, "no token to get around it either");

    let own = "my very own password";
    let form = [
        ("current_password", temporary),
        ("new_password", own),
        ("new_password_confirmation", own),
    ];
    assert_eq!(
        app.call_with(&client, "/rpc/change_password", &form)
            .await
            .status(),
        200
    );
    assert_eq!(app.get_with(&client, "/incidents").await.status(), 200);
    assert_eq!(
        app.call_with(&client, "/rpc/list_incidents", &[])
            .await
            .status(),
        200
    );
}

async fn a_save_after_sign_out_everywhere_does_not_revive_the_session(app: TestApp) {
    let store = DbSessionStore::new(app.db.clone());
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.unwrap();
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 1);
    let user = app.create_user(Role::Viewer).await;
    let user = app::accounts::service::users::find_by_email(&app.db, &user.email)
        .await
        .unwrap()
        .unwrap();
    record.data.insert("user_id".into(), Value::from(user.id));
    store.save(&record).await.unwrap();
    let saved = store.load(&record.id).await.unwrap().unwrap();
    assert_eq!(
        saved.data["user_id"], user.id,
        "an existing session is updated"
    );

    // "Sign out everywhere" deletes the row; a request that loaded the session before
    // then saves it on its way out.
    store.delete(&record.id).await.unwrap();
    store.save(&record).await.unwrap();
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 0);
    assert!(store.load(&record.id).await.unwrap().is_none());
}

async fn parallel_wrong_tokens_are_counted_exactly(app: TestApp) {
    // 60 wrong API tokens at once: exactly the allowed number are refused as wrong (and
    // audited), every other one is throttled; none slip through and none fail.
    let client = reqwest::Client::new();
    let guesses = (0..60).map(|i| {
        let (client, url) = (client.clone(), app.url("/api/v1/incidents"));
        async move {
            client
                .get(url)
                .bearer_auth(format!("vigil_api_guess{i}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (wrong, throttled),
        (
            app::accounts::service::throttle::MAX_REJECTED_TOKENS_PER_ADDRESS as usize,
            40
        ),
        "{statuses:?}"
    );
}

async fn personal_answers_are_never_cached(app: TestApp) {
    let (client, _) = app.signed_in(Role::Responder).await;
    for path in ["/", "/incidents", "/account"] {
        let res = app.get_with(&client, path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let res = app.call_with(&client, "/rpc/current_user", &[]).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let res = app.call("/rpc/current_user", &[]).await;
    assert_eq!(
        res.headers()["cache-control"],
        "no-store",
        "server functions, signed in or not"
    );
}

async fn over_https_the_cookie_is_host_only_and_transport_strict(app: TestApp) {
    use tower::ServiceExt;
    let user = app.create_user(Role::Viewer).await;
    let mut config = vigil_server::Config::new("unused", app.addr);
    config.public_url = "https://vigil.example".into();
    let router = vigil_server::router(vigil_server::app_state(&config, app.db.clone()), &config);
    let body = format!(
        "email={}&password={}&next=",
        app::components::urlencode(&user.email),
        app::components::urlencode(&user.password)
    );
    let request = axum::http::Request::post("/rpc/sign_in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(axum::body::Body::from(body))
        .unwrap();
    let res = router.oneshot(request).await.unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-vigil_session="), "{cookie}");
    for part in ["Secure", "HttpOnly", "Path=/"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

async fn titles_and_names_are_one_line(app: TestApp) {
    let (client, _) = app.signed_in(Role::Admin).await;
    // A new line in a title would fake a second line in every chat message about it.
    let res = app
        .call_with(
            &client,
            "/rpc/declare_incident",
            &[("form[title]", "Checkout down\n<!channel> all clear")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let errors = body["Invalid"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == "title" && e["message"].as_str().unwrap().contains("one line")),
        "{body}"
    );
    let res = app
        .call_with(
            &client,
            "/rpc/update_profile",
            &[("display_name", "Ada\r\nLovelace"), ("time_zone", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"][0]["field"], "display_name", "{body}");
}

async fn live_streams_are_capped_and_end_with_the_session(app: TestApp) {
    let (client, user) = app.signed_in(Role::Responder).await;
    let me = app::accounts::service::users::find_by_email(&app.db, &user.email)
        .await
        .unwrap()
        .unwrap();
    let actor = app::accounts::service::users::to_current(&me);
    let reference = app.declared_at(&actor, "Live", 1).await;
    let path = format!("/incidents/{reference}/events");
    let mut open = Vec::new();
    for _ in 0..vigil_server::live::MAX_STREAMS_PER_USER {
        let res = app.get_with(&client, &path).await;
        assert_eq!(res.status(), 200);
        open.push(res);
    }
    let res = app.get_with(&client, &path).await;
    assert_eq!(res.status(), 429, "one person cannot hold every stream");

    // Signing out everywhere ends the open streams within a poll or two.
    app::accounts::service::sessions::delete_for_user(&app.db, actor.id)
        .await
        .unwrap();
    let mut stream = open.pop().unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its session");
}

/// Someone pastes a secret into a note and edits it out: the earlier text stays for the
/// people who can write (and admins see deleted notes), never for viewers.
async fn viewers_see_only_the_current_text_of_a_note(app: TestApp) {
    use app::incidents::service::timeline::{NewNote, add_note, edit_note};
    let scribe = app.with_user(Role::Responder).await;
    let reference = app.declared_at(&scribe, "Leaked key", 2).await;
    let note = add_note(
        &app.db,
        &scribe,
        reference,
        NewNote {
            body: "Rotated key sk_live_SECRET123".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    edit_note(
        &app.db,
        &scribe,
        reference,
        note.id,
        "Rotated the key (redacted)",
        note.version,
    )
    .await
    .unwrap();

    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let (responder, _) = app.signed_in(Role::Responder).await;
    let api = format!("/api/v1/incidents/{reference}/timeline");
    let seen: Value = app.get_with(&viewer, &api).await.json().await.unwrap();
    let text = seen.to_string();
    assert!(text.contains("Rotated the key (redacted)"), "{text}");
    assert!(
        !text.contains("SECRET123"),
        "viewers get the current text only: {text}"
    );
    let page = app
        .get_with(&viewer, &format!("/incidents/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Rotated the key (redacted)"));
    assert!(!page.contains("SECRET123"));

    let kept: Value = app.get_with(&responder, &api).await.json().await.unwrap();
    assert!(
        kept.to_string().contains("SECRET123"),
        "responders keep the note's history"
    );
}

/// Found by schemathesis on PostgreSQL: a NUL in a service's description was a 500.
/// Every JSON body now refuses a NUL anywhere by its top-level field; the service form
/// refuses it beside the description.
async fn a_nul_in_any_json_text_is_refused_by_field_not_a_500(app: TestApp) {
    use serde_json::json;
    let (_, token) = crate::api::token_for(&app, Role::Admin, "30").await;
    for (body, field) in [
        (
            json!({"name": "Search", "description": "a\u{0}b", "tier": 1}),
            "description",
        ),
        (
            json!({"name": "Search", "tier": 1, "runbooks": [{"title": "x\u{0}", "url": "https://a.example"}]}),
            "runbooks",
        ),
        (json!({"name": "Search", "tier": 1, "x\u{0}": 1}), "body"),
    ] {
        let (status, answer) = crate::api::api(
            &app,
            reqwest::Method::POST,
            "/api/v1/services",
            Some(&token),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}");
    }
    // A backslash followed by u0000 as text is not a NUL.
    let (status, answer) = crate::api::api(
        &app,
        reqwest::Method::POST,
        "/api/v1/services",
        Some(&token),
        Some(json!({"name": "Search", "description": "write \\u0000 to mean NUL", "tier": 1})),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let (admin, _) = app.signed_in(Role::Admin).await;
    let response = app
        .call_with(
            &admin,
            "/rpc/create_service",
            &[
                ("form[name]", "Index"),
                ("form[description]", "a\u{0}b"),
                ("form[tier]", "1"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("NUL"));
}
