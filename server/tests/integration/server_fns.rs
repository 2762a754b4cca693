use serde_json::Value;

use app::accounts::Role;

use crate::support::{Backend, TestApp};

backend_tests!(
    system_status_reports_the_backend_and_an_up_to_date_schema,
    an_unknown_server_function_is_a_client_error,
    a_form_struct_missing_or_half_sent_is_a_field_error,
);

async fn system_status_reports_the_backend_and_an_up_to_date_schema(app: TestApp) {
    assert_eq!(
        app.call("/rpc/system_status", &[]).await.status(),
        401,
        "anonymous callers are refused"
    );
    let (client, _) = app.signed_in(Role::Admin).await;
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

/// A form arrives as one struct (`form[title]`); a post without it, or with only some of
/// its fields, is the fields' errors (422), never a decoding failure or a 500.
async fn a_form_struct_missing_or_half_sent_is_a_field_error(app: TestApp) {
    let (client, _) = app.signed_in(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let reference = app.declared_at(&ic, "Checkout down", 1).await.to_string();
    for (path, form, field) in [
        ("/rpc/declare_incident", vec![], "title"),
        (
            "/rpc/declare_incident",
            vec![("form[summary]", "x")],
            "title",
        ),
        ("/rpc/create_service", vec![], "name"),
        (
            "/rpc/create_alert_source",
            vec![("form[kind]", "alertmanager")],
            "name",
        ),
        (
            "/rpc/add_action_item",
            vec![
                ("reference", reference.as_str()),
                ("form[title]", "x"),
                ("form[kind]", "blame"),
            ],
            "kind",
        ),
    ] {
        let res = app.call_with(&client, path, &form).await;
        assert_eq!(res.status(), 422, "{path} {form:?}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["Invalid"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["field"] == field)),
            "{path} {form:?}: {body}"
        );
    }
}
