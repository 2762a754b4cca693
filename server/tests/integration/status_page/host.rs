//! `--status-host`: the page under a host name of its own.

use app::accounts::Role;

use super::{public, switch_on};
use crate::support::STATUS_HOST;
use crate::support::{TestApp, new_client};

backend_tests!(on_its_own_host_name_only_the_public_pages_answer);

/// `--status-host`: under the name customers are given, the page, its feeds and JSON
/// answer (its links name that host), `/` goes to the page, and nothing else of Vigil
/// does (sign-in, pages, API, server functions); the main address is unchanged.
async fn on_its_own_host_name_only_the_public_pages_answer(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    switch_on(&app, &admin, "0", true).await;
    let on = |host: &'static str, method: reqwest::Method, path: &str| {
        new_client()
            .request(method, app.url(path))
            .header("host", host)
            .send()
    };
    let root = on(STATUS_HOST, reqwest::Method::GET, "/").await.unwrap();
    assert_eq!(root.status(), 308);
    assert_eq!(root.headers()["location"], "/status");
    for host in [STATUS_HOST, "Status.Vigil.Test:8443"] {
        for path in [
            "/status",
            "/status/style.css",
            "/status/api/v2/summary.json",
            "/livez",
        ] {
            let response = on(host, reqwest::Method::GET, path).await.unwrap();
            assert_eq!(response.status(), 200, "{host}{path}");
            assert!(
                response.headers().get("set-cookie").is_none(),
                "{host}{path}"
            );
        }
        for (method, path) in [
            (reqwest::Method::GET, "/login"),
            (reqwest::Method::GET, "/incidents"),
            (reqwest::Method::GET, "/admin/status-page"),
            (reqwest::Method::GET, "/api/v1/incidents"),
            (reqwest::Method::GET, "/api/v1/openapi.json"),
            (reqwest::Method::GET, "/metrics"),
            (reqwest::Method::GET, "/pkg/vigil.js"),
            (reqwest::Method::GET, "/statusx"),
            (reqwest::Method::POST, "/rpc/sign_in"),
            (reqwest::Method::POST, "/api/v1/alerts/alertmanager"),
        ] {
            let response = on(host, method.clone(), path).await.unwrap();
            assert_eq!(response.status(), 404, "{method} {host}{path}");
        }
    }
    let feed = on(STATUS_HOST, reqwest::Method::GET, "/status/feed.atom")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains(&format!("http://{STATUS_HOST}/status")),
        "links name the status host: {feed}"
    );
    // The main address serves everything as before.
    assert_eq!(public(&app, "/login").await.0, 200);
    assert_eq!(public(&app, "/status").await.0, 200);
}
