//! `/metrics`: Prometheus text that parses, request series by route template, Vigil's
//! own gauges, and scrape protection (loopback only, or a bearer token).

use std::net::SocketAddr;

use app::accounts::Role;
use vigil_server::{Config, app_state, router};

use crate::support::TestApp;

backend_tests!(metrics_are_prometheus_text_with_vigils_numbers);

/// Checks the exposition format line by line: comments, or `name{labels} value`.
fn parse(text: &str) -> Vec<(String, f64)> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unclosed labels: {line}");
            let labels = &series[name_end + 1..series.len() - 1];
            for pair in labels.split("\",").filter(|p| !p.is_empty()) {
                let (key, value) = pair
                    .split_once("=\"")
                    .unwrap_or_else(|| panic!("bad label: {line}"));
                assert!(
                    key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                assert!(!value.trim_end_matches('"').contains('\n'));
            }
        }
        samples.push((series.to_owned(), value));
    }
    samples
}

async fn metrics_are_prometheus_text_with_vigils_numbers(app: TestApp) {
    let responder = app.with_user(Role::Responder).await;
    app.declared_at(&responder, "Metrics outage", 0).await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    let samples = parse(&text);
    let value = |series: &str| {
        samples
            .iter()
            .find(|(s, _)| s == series)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{series} missing from\n{text}"))
    };
    assert_eq!(
        value("vigil_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        value("vigil_http_request_duration_seconds_count{method=\"GET\",route=\"/readyz\"}"),
        1.0
    );
    assert_eq!(value("vigil_open_incidents{severity=\"SEV1\"}"), 1.0);
    assert_eq!(value("vigil_open_incidents{severity=\"SEV2\"}"), 0.0);
    assert!(text.contains("# TYPE vigil_service_mttr_seconds gauge"));
    assert!(text.contains("# TYPE vigil_alerts_received_total counter"));

    // With a token configured, scrapes must present it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config::new("unused", addr);
    config.metrics_token = Some("scrape-secret".to_owned());
    let guarded = router(app_state(&config, app.db.clone()), &config);
    tokio::spawn(async move {
        axum::serve(
            listener,
            guarded.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/metrics");
    let refused = client.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let wrong = client.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let ok = client
        .get(&url)
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    parse(&ok.text().await.unwrap());
}
