use serde_json::Value;

use crate::support::TestApp;

backend_tests!(
    livez_answers_while_the_process_runs,
    readyz_reports_a_reachable_database,
    readyz_answers_503_once_the_database_is_gone,
    every_response_carries_a_request_id,
);

async fn livez_answers_while_the_process_runs(app: TestApp) {
    let res = app.get("/livez").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

async fn readyz_reports_a_reachable_database(app: TestApp) {
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

async fn readyz_answers_503_once_the_database_is_gone(app: TestApp) {
    app.db.close_by_ref().await.unwrap();
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/livez").await.status(), 200);
}

async fn every_response_carries_a_request_id(app: TestApp) {
    let res = app.get("/livez").await;
    let id = res
        .headers()
        .get("x-request-id")
        .expect("request id header");
    assert_eq!(id.to_str().unwrap().len(), 36, "a UUID: {id:?}");

    let res = app
        .client
        .get(app.url("/livez"))
        .header("x-request-id", "from-the-proxy")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "from-the-proxy");
}
