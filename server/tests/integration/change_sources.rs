//! Change sources on both backends: GitHub deliveries signed with HMAC (a bad signature
//! is 401 and audited), GitLab's token header, Argo CD and the generic shape with a
//! bearer secret; repositories mapped to services, environments and workflows filtered,
//! re-sent deliveries updating in place, malformed ones refused with nothing stored; and
//! the admin page, with and without a plain form post.

use app::accounts::Role;
use app::audit::entities::audit_log;
use app::catalog::service::create_service;
use app::changes::ChangeSourceForm;
use app::changes::entities::change;
use app::changes::sources::create_source;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::api::{api, token_for};
use crate::support::{TestApp, new_client};

backend_tests!(
    github_deliveries_are_checked_by_signature_mapped_and_filtered,
    gitlab_argocd_and_scripts_send_with_their_secret,
    admins_add_sources_on_the_page_and_bad_forms_are_refused_by_field,
);

const DEPLOYMENT: &[u8] =
    include_bytes!("../../../app/src/changes/fixtures/github_deployment_status.json");
const WORKFLOW_RUN: &[u8] =
    include_bytes!("../../../app/src/changes/fixtures/github_workflow_run.json");
const GITLAB: &[u8] = include_bytes!("../../../app/src/changes/fixtures/gitlab_deployment.json");
const ARGOCD: &[u8] = include_bytes!("../../../app/src/changes/fixtures/argocd_sync.json");

fn sign(key: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn post(app: &TestApp, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
    let mut request = new_client()
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn source(app: &TestApp, kind: &str, mapping: &str, environments: &str) -> String {
    let admin = app.with_user(Role::Admin).await;
    let fallback = create_service(&app.db, &format!("Fallback {kind}"), None)
        .await
        .unwrap();
    create_source(
        &app.db,
        &admin,
        &ChangeSourceForm {
            name: format!("{kind} source"),
            kind: kind.into(),
            service: fallback.slug,
            mapping: mapping.into(),
            environments: environments.into(),
            workflows: String::new(),
        },
        None,
    )
    .await
    .unwrap()
    .secret
}

async fn changes(app: &TestApp) -> u64 {
    change::Entity::find().count(&app.db).await.unwrap()
}

async fn rejections(app: &TestApp) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("changes.delivery_rejected"))
        .count(&app.db)
        .await
        .unwrap()
}

async fn github_deliveries_are_checked_by_signature_mapped_and_filtered(app: TestApp) {
    let checkout = create_service(&app.db, "Checkout", None).await.unwrap();
    let key = source(&app, "github", "acme/checkout = Checkout", "production").await;
    let signed = |event: &'static str, body: &[u8]| {
        let signature = sign(&key, body);
        (event, signature)
    };

    // Unsigned, signed with another key, or the body changed after signing: 401, audited,
    // nothing stored.
    let (event, good) = signed("deployment_status", DEPLOYMENT);
    let mut tampered = DEPLOYMENT.to_vec();
    tampered.extend_from_slice(b" ");
    for headers in [
        vec![("x-github-event", event)],
        vec![
            ("x-github-event", event),
            ("x-hub-signature-256", "sha256=00ff"),
        ],
        vec![
            ("x-github-event", event),
            ("x-hub-signature-256", good.as_str()),
        ],
    ] {
        let body: &[u8] = if headers.len() == 2 && headers[1].1 == good {
            &tampered
        } else {
            DEPLOYMENT
        };
        let (status, answer) = post(&app, "/hooks/changes/github", &headers, body).await;
        assert_eq!(status, 401, "{answer}");
    }
    assert_eq!(rejections(&app).await, 3);
    assert_eq!(changes(&app).await, 0);

    // Signed: a deploy of the mapped service, 201; the same delivery again updates it, 200.
    let headers = [
        ("x-github-event", event),
        ("x-hub-signature-256", good.as_str()),
    ];
    let (status, answer) = post(&app, "/hooks/changes/github", &headers, DEPLOYMENT).await;
    assert_eq!(status, 201, "{answer}");
    let recorded = &answer["change"];
    assert_eq!(recorded["title"], "Deploy acme/checkout to production");
    assert_eq!(recorded["outcome"], "succeeded");
    assert_eq!(recorded["services"][0]["slug"], checkout.slug.as_str());
    assert_eq!(recorded["started_at"], "2026-12-01T10:01:12Z");
    let (status, _) = post(&app, "/hooks/changes/github", &headers, DEPLOYMENT).await;
    assert_eq!(status, 200);
    assert_eq!(changes(&app).await, 1);

    // Another environment is answered 202 and not recorded; so is a ping.
    let mut staging: Value = serde_json::from_slice(DEPLOYMENT).unwrap();
    staging["deployment"]["environment"] = "staging".into();
    staging["deployment"]["id"] = 5.into();
    let body = serde_json::to_vec(&staging).unwrap();
    let signature = sign(&key, &body);
    let (status, answer) = post(
        &app,
        "/hooks/changes/github",
        &[
            ("x-github-event", event),
            ("x-hub-signature-256", &signature),
        ],
        &body,
    )
    .await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (202, Some("ignored")),
        "{answer}"
    );
    let ping = br#"{"zen":"Design for failure.","hook_id":1}"#;
    let signature = sign(&key, ping);
    let (status, _) = post(
        &app,
        "/hooks/changes/github",
        &[
            ("x-github-event", "ping"),
            ("x-hub-signature-256", &signature),
        ],
        ping,
    )
    .await;
    assert_eq!(status, 202);

    // A deploy workflow's run: its commit time kept for lead time; an unmapped
    // repository goes to the default service.
    let mut run: Value = serde_json::from_slice(WORKFLOW_RUN).unwrap();
    run["repository"]["full_name"] = "acme/unmapped".into();
    let body = serde_json::to_vec(&run).unwrap();
    let signature = sign(&key, &body);
    let (status, answer) = post(
        &app,
        "/hooks/changes/github",
        &[
            ("x-github-event", "workflow_run"),
            ("x-hub-signature-256", &signature),
        ],
        &body,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["change"]["committed_at"], "2026-12-01T09:41:55Z");
    assert_eq!(answer["change"]["outcome"], "failed");
    assert_eq!(answer["change"]["services"][0]["name"], "Fallback github");
    // A workflow that does not deploy is not a change.
    run["workflow_run"]["name"] = "Lint".into();
    run["workflow_run"]["id"] = 77.into();
    let body = serde_json::to_vec(&run).unwrap();
    let signature = sign(&key, &body);
    let (status, _) = post(
        &app,
        "/hooks/changes/github",
        &[
            ("x-github-event", "workflow_run"),
            ("x-hub-signature-256", &signature),
        ],
        &body,
    )
    .await;
    assert_eq!(status, 202);

    // Signed but malformed: 422 naming the field, nothing stored.
    let broken = br#"{"deployment_status":{"state":"success"},"deployment":{}}"#;
    let signature = sign(&key, broken);
    let (status, answer) = post(
        &app,
        "/hooks/changes/github",
        &[
            ("x-github-event", "deployment_status"),
            ("x-hub-signature-256", &signature),
        ],
        broken,
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["field"], "deployment/id", "{answer}");
    assert_eq!(changes(&app).await, 2);

    // The changes are listed under the source, and the source says when it last heard.
    let (_, token) = token_for(&app, Role::Viewer, "30").await;
    let (_, listed) = api(&app, Method::GET, "/api/v1/changes", Some(&token), None).await;
    assert_eq!(listed["changes"].as_array().unwrap().len(), 2);
    let sources = app::changes::sources::admin_view(&app.db).await.unwrap();
    assert_eq!(sources[0].change_count, 2);
    assert!(sources[0].last_received_at.is_some());
}

async fn gitlab_argocd_and_scripts_send_with_their_secret(app: TestApp) {
    let ledger = create_service(&app.db, "Ledger", None).await.unwrap();
    let search = create_service(&app.db, "Search", None).await.unwrap();
    let gitlab = source(&app, "gitlab", "payments/ledger = ledger", "").await;
    let argocd = source(&app, "argocd", "search-api = Search", "").await;
    let generic = source(&app, "generic", "", "").await;

    // GitLab: its token header; a running event, then the success, one change whose
    // start is the running event's.
    let (status, _) = post(
        &app,
        "/hooks/changes/gitlab",
        &[("x-gitlab-token", "wrong")],
        GITLAB,
    )
    .await;
    assert_eq!(status, 401);
    let mut running: Value = serde_json::from_slice(GITLAB).unwrap();
    running["status"] = "running".into();
    running["status_changed_at"] = "2026-12-01 11:05:00 +0100".into();
    let headers = [("x-gitlab-token", gitlab.as_str())];
    let (status, answer) = post(
        &app,
        "/hooks/changes/gitlab",
        &headers,
        &serde_json::to_vec(&running).unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["change"]["outcome"], "in_progress");
    let (status, answer) = post(&app, "/hooks/changes/gitlab", &headers, GITLAB).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["change"]["started_at"], "2026-12-01T10:05:00Z");
    assert_eq!(answer["change"]["finished_at"], "2026-12-01T10:12:40Z");
    assert_eq!(
        answer["change"]["services"][0]["slug"],
        ledger.slug.as_str()
    );

    // A secret of one kind sent to another kind's address is told where to go.
    let (status, answer) = post(
        &app,
        "/hooks/changes/argocd",
        &[("authorization", &format!("Bearer {gitlab}"))],
        ARGOCD,
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/hooks/changes/gitlab")
    );

    // Argo CD with its bearer secret.
    let bearer = format!("Bearer {argocd}");
    let (status, answer) = post(
        &app,
        "/hooks/changes/argocd",
        &[("authorization", &bearer)],
        ARGOCD,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        answer["change"]["services"][0]["slug"],
        search.slug.as_str()
    );

    // A script: services named in the body win over the mapping; hostile text is stored
    // as text; unknown fields and a bad service are refused with nothing stored.
    let bearer = format!("Bearer {generic}");
    let before = changes(&app).await;
    for (body, field) in [
        (json!({"title": "x", "colour": "red"}), "body"),
        (
            json!({"title": "Deploy", "services": ["nowhere"]}),
            "services",
        ),
        (json!({"title": "Deploy\u{0}", "application": "a"}), "title"),
        (json!({"title": ""}), "title"),
    ] {
        let (status, answer) = post(
            &app,
            "/hooks/changes",
            &[("authorization", &bearer)],
            &serde_json::to_vec(&body).unwrap(),
        )
        .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    let (status, answer) = post(
        &app,
        "/hooks/changes",
        &[("authorization", &bearer)],
        b"{not json",
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(changes(&app).await, before);
    let (status, answer) = post(
        &app,
        "/hooks/changes",
        &[("authorization", &bearer)],
        &serde_json::to_vec(&json!({
            "title": "<script>alert(1)</script> flag on",
            "kind": "feature_flag",
            "services": [ledger.slug],
            "external_id": "flag-7",
        }))
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["change"]["kind"], "feature_flag");
    let id = app::changes::sources::admin_view(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "generic source")
        .unwrap()
        .id;
    assert_eq!(answer["change"]["source"], format!("generic.{id}"));

    // No secret, an unknown one, a paused source: 401 each, audited.
    let rejected = rejections(&app).await;
    let admin = app.with_user(Role::Admin).await;
    app::changes::sources::set_disabled(&app.db, &admin, id, true, None)
        .await
        .unwrap();
    for headers in [
        vec![],
        vec![("authorization", "Bearer vigil_change_nope")],
        vec![("authorization", bearer.as_str())],
    ] {
        let (status, _) = post(&app, "/hooks/changes", &headers, br#"{"title":"x"}"#).await;
        assert_eq!(status, 401);
    }
    assert_eq!(rejections(&app).await, rejected + 3);
}

async fn admins_add_sources_on_the_page_and_bad_forms_are_refused_by_field(app: TestApp) {
    create_service(&app.db, "Checkout", None).await.unwrap();
    let (admin, _) = app.signed_in(Role::Admin).await;
    // Every problem is named by its field.
    let response = app
        .call_with(
            &admin,
            "/rpc/create_change_source",
            &[
                ("form[name]", ""),
                ("form[kind]", "svn"),
                ("form[service]", "Nowhere"),
                ("form[mapping]", "acme/checkout\nacme/x = Nowhere"),
                ("form[environments]", "prod\u{7}"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    for field in ["name", "kind", "service", "mapping", "environments"] {
        assert!(
            body.contains(&format!("\"field\":\"{field}\"")),
            "{field}: {body}"
        );
    }
    assert!(body.contains("Line 1:"), "{body}");
    // Every line's service is looked up in one read; a line naming none is the one named.
    let response = app
        .call_with(
            &admin,
            "/rpc/create_change_source",
            &[
                ("form[name]", "GitLab"),
                ("form[kind]", "gitlab"),
                ("form[service]", "checkout"),
                (
                    "form[mapping]",
                    "acme/a = CHECKOUT\n\nacme/b = 999999\nacme/c =",
                ),
                ("form[environments]", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Line 3: no service is called “999999”"),
        "{body}"
    );

    // Added: the secret shown once, then the source listed without it.
    let response = app
        .call_with(
            &admin,
            "/rpc/create_change_source",
            &[
                ("form[name]", "GitHub <b>acme</b>"),
                ("form[kind]", "github"),
                ("form[service]", "checkout"),
                ("form[mapping]", "# ours\nAcme/Checkout = Checkout"),
                ("form[environments]", "Production, staging"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let issued: Value = response.json().await.unwrap();
    let secret = issued["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("vigil_change_"));
    let page = app.get_with(&admin, "/admin/change-sources").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("GitHub &lt;b&gt;acme&lt;/b&gt;"),
        "the name is escaped"
    );
    assert!(!html.contains(&secret), "the secret is never shown again");
    assert!(html.contains("acme/checkout"));
    assert!(html.contains("production, staging"));
    assert!(html.contains("/hooks/changes/github"));

    // A new secret replaces the old one at once.
    let id = app::changes::sources::admin_view(&app.db).await.unwrap()[0].id;
    let response = app
        .call_with(
            &admin,
            "/rpc/rotate_change_secret",
            &[("id", &id.to_string())],
        )
        .await;
    let rotated: Value = response.json().await.unwrap();
    let fresh = rotated["secret"].as_str().unwrap();
    assert_ne!(fresh, secret);
    for (key, expected) in [(secret.as_str(), 401), (fresh, 201)] {
        let signature = sign(key, DEPLOYMENT);
        let (status, _) = post(
            &app,
            "/hooks/changes/github",
            &[
                ("x-github-event", "deployment_status"),
                ("x-hub-signature-256", &signature),
            ],
            DEPLOYMENT,
        )
        .await;
        assert_eq!(status, expected);
    }
    // A responder can neither see nor add sources.
    let (responder, _) = app.signed_in(Role::Responder).await;
    let response = app
        .call_with(
            &responder,
            "/rpc/create_change_source",
            &[("form[name]", "x")],
        )
        .await;
    assert_eq!(response.status(), 403);
}
