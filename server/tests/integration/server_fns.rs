use serde_json::Value;

use app::accounts::Role;

use crate::support::{Backend, TestApp};

backend_tests!(
    system_status_reports_the_backend_and_an_up_to_date_schema,
    an_unknown_server_function_is_a_client_error,
);

async fn system_status_reports_the_backend_and_an_up_to_date_schema(app: TestApp) {
    assert_eq!(
        app.call("/rpc/system_status", &[]).await.status(),
        401,
        "anonymous callers are refused"
    );
    let (client, _) = app.signed_in(Role::Viewer).await;
    let res = app.call_with(&client, "/rpc/system_status", &[]).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let expected = match app.backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    assert_eq!(body["database"], expected);
    assert_eq!(body["pending_migrations"], 0);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        body["schema_version"]
            .as_str()
            .unwrap()
            .starts_with("m2026")
    );
}

async fn an_unknown_server_function_is_a_client_error(app: TestApp) {
    let res = app.call("/rpc/no_such_function", &[]).await;
    assert!(res.status().is_client_error(), "{}", res.status());
}
