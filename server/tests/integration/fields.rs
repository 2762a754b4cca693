//! Incident types and custom fields on both backends: what a type brings (severity,
//! playbooks, channels, roles and a postmortem before closing), fields checked by kind
//! and required at declare, resolve and close, values recorded on the timeline, stale
//! saves refused, hostile input, and the pages, forms and API.

use std::collections::BTreeMap;

use app::accounts::{CurrentUser, Role};
use app::audit::service::Actor;
use app::error::AppError;
use app::fields::service::{archive_type, create_field, incident_fields, save_type};
use app::fields::{FieldInput, FieldKind, Stage};
use app::incidents::service::declare::Declaration;
use app::incidents::service::query::{get_incident, severities};
use app::incidents::service::timeline::timeline;
use app::incidents::types::{FieldValues, TypeInput};
use app::incidents::{EventKind, IncidentRef, IncidentRole, Status};
use app::notifications::entities::delivery;
use app::notifications::service::{ChannelForm, create_channel};
use app::playbooks::PlaybookForm;
use app::playbooks::service::{check_form, create_playbook, incident_playbooks};
use app::workflow::assign_role;
use app::workflow::{change_status, declare_incident, update_fields};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::api::{api, token_for};
use crate::support::TestApp;

backend_tests!(
    a_type_brings_its_severity_playbooks_channels_roles_and_postmortem,
    custom_fields_are_checked_required_and_recorded,
    two_editors_of_the_fields_never_overwrite_each_other,
    types_and_fields_through_pages_forms_and_the_api,
    the_list_filters_and_exports_by_type_and_field,
);

fn actor(user: &CurrentUser) -> Actor {
    user.actor(None)
}

fn values(pairs: &[(i64, &[&str])]) -> FieldValues {
    pairs
        .iter()
        .map(|(id, v)| (*id, v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

async fn version(app: &TestApp, reference: IncidentRef) -> i32 {
    get_incident(&app.db, reference).await.unwrap().version
}

async fn field(
    app: &TestApp,
    admin: &CurrentUser,
    label: &str,
    kind: FieldKind,
    options: &[&str],
    required_at: Stage,
    type_ids: Vec<i64>,
) -> i64 {
    create_field(
        &app.db,
        &actor(admin),
        &FieldInput {
            label: label.into(),
            description: String::new(),
            kind,
            options: options.iter().map(|o| o.to_string()).collect(),
            required_at,
            type_ids,
        },
    )
    .await
    .unwrap()
}

async fn security_type(
    app: &TestApp,
    admin: &CurrentUser,
    input: TypeInput,
    playbooks: &[i64],
    channels: &[i64],
) -> i64 {
    save_type(&app.db, &actor(admin), None, &input, playbooks, channels, 1)
        .await
        .unwrap()
}

fn declaration(
    title: &str,
    type_id: Option<i64>,
    severity_id: Option<i64>,
    fields: FieldValues,
) -> Declaration {
    Declaration {
        title: title.into(),
        type_id,
        severity_id,
        service_ids: vec![],
        fields,
        ..Default::default()
    }
}

async fn with_service(app: &TestApp, mut d: Declaration) -> Declaration {
    let name = format!("Identity {}", uuid::Uuid::new_v4().simple());
    let svc = app::catalog::service::create_service(&app.db, &name, None)
        .await
        .unwrap();
    d.service_ids = vec![svc.id];
    d
}

fn field_error(err: &AppError, key: &str) -> String {
    err.field_message(key)
        .unwrap_or_else(|| panic!("no error beside {key}: {err:?}"))
}

async fn a_type_brings_its_severity_playbooks_channels_roles_and_postmortem(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let comms = app.with_user(Role::Responder).await;
    let levels = severities(&app.db).await.unwrap();
    // The lowest level needs no postmortem: the type's rule is what asks for one.
    let low = levels
        .iter()
        .find(|l| !l.requires_postmortem)
        .expect("a level without a postmortem");
    let form = PlaybookForm {
        title: "Contain a breach".into(),
        body: String::new(),
        steps: "Rotate credentials\nPreserve logs".into(),
        services: String::new(),
    };
    let (spec, services) = check_form(&app.db, &form).await.unwrap();
    let playbook = create_playbook(&app.db, &actor(&ic), &spec, &services)
        .await
        .unwrap();
    create_channel(
        &app.db,
        &admin,
        ChannelForm {
            name: "#security".into(),
            kind: "webhook".into(),
            url: "https://hooks.example.com/security".into(),
            events: vec!["postmortem.published".into()],
            ..Default::default()
        },
        false,
        None,
    )
    .await
    .unwrap();
    let channel = app::notifications::entities::channel::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let security = security_type(
        &app,
        &admin,
        TypeInput {
            name: "Security".into(),
            description: "Someone may have got in.".into(),
            default_severity_id: Some(low.id),
            required_roles: vec![IncidentRole::Communications],
            postmortem_required: true,
            is_default: false,
        },
        &[playbook.0],
        &[channel.id],
    )
    .await;

    // No severity named: the type's; its playbook attached; its channel told although
    // it subscribes to no declarations.
    let d = with_service(
        &app,
        declaration("Tokens leaked", Some(security), None, values(&[])),
    )
    .await;
    let reference = declare_incident(&app.db, &ic, d).await.unwrap();
    let incident = get_incident(&app.db, reference).await.unwrap();
    assert_eq!(incident.severity.id, low.id);
    let lists = incident_playbooks(&app.db, reference).await.unwrap();
    assert_eq!(lists.checklists.len(), 1);
    assert_eq!(lists.checklists[0].playbook_id, playbook);
    let told = delivery::Entity::find()
        .filter(delivery::Column::ChannelId.eq(channel.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(told, 1, "the type's channel hears of the declaration");
    let events = timeline(&app.db, reference, Role::Responder).await.unwrap();
    assert!(
        events[0].body.contains("(Triage, Security)"),
        "{}",
        events[0].body
    );

    // A declaration of the default type keeps to the default's rules.
    let plain = with_service(
        &app,
        declaration("Slow page", None, Some(low.id), values(&[])),
    )
    .await;
    let plain = declare_incident(&app.db, &ic, plain).await.unwrap();
    assert_eq!(
        incident_fields(&app.db, plain)
            .await
            .unwrap()
            .incident_type
            .name,
        "Default"
    );
    assert!(
        incident_playbooks(&app.db, plain)
            .await
            .unwrap()
            .checklists
            .is_empty()
    );

    // Resolving needs the communications lead; closing needs the published postmortem.
    let v = version(&app, reference).await;
    let refused = change_status(&app.db, &ic, reference, Status::Resolved, None, v)
        .await
        .unwrap_err();
    let message = field_error(&refused, "roles");
    assert!(message.contains("Communications lead"), "{message}");
    assert_eq!(
        get_incident(&app.db, reference).await.unwrap().status,
        Status::Triage,
        "nothing moved"
    );
    assign_role(
        &app.db,
        &ic,
        reference,
        IncidentRole::Communications,
        comms.id.0,
        v,
    )
    .await
    .unwrap();
    let v = version(&app, reference).await;
    change_status(&app.db, &ic, reference, Status::Resolved, None, v)
        .await
        .unwrap();
    let v = version(&app, reference).await;
    let refused = change_status(&app.db, &ic, reference, Status::Closed, None, v)
        .await
        .unwrap_err();
    let message = field_error(&refused, "status");
    assert!(
        message.starts_with("Security incidents need a published postmortem"),
        "{message}"
    );
    // The plain incident closes without one.
    for (i, to) in [Status::Resolved, Status::Closed].into_iter().enumerate() {
        change_status(&app.db, &ic, plain, to, None, 1 + i as i32)
            .await
            .unwrap();
    }

    // Archiving: not the default; an archived type is refused at declaration.
    let default_id = incident_fields(&app.db, plain)
        .await
        .unwrap()
        .incident_type
        .id;
    let refused = archive_type(&app.db, &actor(&admin), default_id, true)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Conflict { .. }));
    archive_type(&app.db, &actor(&admin), security, true)
        .await
        .unwrap();
    let d = with_service(
        &app,
        declaration("Again", Some(security), None, values(&[])),
    )
    .await;
    let refused = declare_incident(&app.db, &ic, d).await.unwrap_err();
    assert!(field_error(&refused, "type_id").contains("archived"));
    // Two types cannot share a name, whatever the case.
    let refused = save_type(
        &app.db,
        &actor(&admin),
        None,
        &TypeInput {
            name: "SECURITY".into(),
            ..Default::default()
        },
        &[],
        &[],
        1,
    )
    .await
    .unwrap_err();
    assert!(field_error(&refused, "name").contains("already"));
}

async fn custom_fields_are_checked_required_and_recorded(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let security = security_type(
        &app,
        &admin,
        TypeInput {
            name: "Security".into(),
            ..Default::default()
        },
        &[],
        &[],
    )
    .await;
    let region = field(
        &app,
        &admin,
        "Region",
        FieldKind::Select,
        &["EU", "US"],
        Stage::Declare,
        vec![security],
    )
    .await;
    let customers = field(
        &app,
        &admin,
        "Customers affected",
        FieldKind::Number,
        &[],
        Stage::Resolve,
        vec![],
    )
    .await;
    let ticket = field(
        &app,
        &admin,
        "Ticket",
        FieldKind::Link,
        &[],
        Stage::Never,
        vec![],
    )
    .await;
    let owner = field(
        &app,
        &admin,
        "Owner",
        FieldKind::Person,
        &[],
        Stage::Never,
        vec![],
    )
    .await;
    let tags = field(
        &app,
        &admin,
        "Systems",
        FieldKind::MultiSelect,
        &["web", "api", "db"],
        Stage::Close,
        vec![],
    )
    .await;
    let sev = severities(&app.db).await.unwrap().last().unwrap().id;

    // A Security declaration needs its region; every error comes back at once.
    let d = with_service(
        &app,
        declaration(
            "",
            Some(security),
            Some(sev),
            values(&[(ticket, &["javascript:alert(1)"])]),
        ),
    )
    .await;
    let refused = declare_incident(&app.db, &ic, d).await.unwrap_err();
    assert!(refused.field_message("title").is_some());
    assert!(
        field_error(&refused, &format!("field_{region}")).contains("Fill in Region when declaring")
    );
    assert!(field_error(&refused, &format!("field_{ticket}")).contains("web link"));
    // Values of the wrong kind, a field that does not exist.
    let d = with_service(
        &app,
        declaration(
            "Breach",
            Some(security),
            Some(sev),
            values(&[(region, &["Mars"]), (customers, &["lots"]), (9999, &["x"])]),
        ),
    )
    .await;
    let refused = declare_incident(&app.db, &ic, d).await.unwrap_err();
    assert!(field_error(&refused, &format!("field_{region}")).contains("EU, US"));
    assert!(field_error(&refused, &format!("field_{customers}")).contains("number"));
    assert!(field_error(&refused, "fields").contains("9999"));
    // The default type is not asked for the region.
    let d = with_service(&app, declaration("Slow", None, Some(sev), values(&[]))).await;
    declare_incident(&app.db, &ic, d).await.unwrap();

    let d = with_service(
        &app,
        declaration(
            "Breach",
            Some(security),
            Some(sev),
            values(&[
                (region, &["eu"]),
                (ticket, &["https://tracker.example/SEC-1"]),
            ]),
        ),
    )
    .await;
    let reference = declare_incident(&app.db, &ic, d).await.unwrap();
    let fields = incident_fields(&app.db, reference).await.unwrap();
    let shown = |f: &app::fields::IncidentFields, id: i64| {
        f.entries
            .iter()
            .find(|e| e.field.id == id)
            .map(|e| e.values.iter().map(|v| v.text.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(
        shown(&fields, region),
        ["EU"],
        "an option as the definition spells it"
    );
    assert_eq!(shown(&fields, customers), Vec::<String>::new());
    let recorded: Vec<String> = timeline(&app.db, reference, Role::Responder)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::FieldsChanged)
        .map(|e| e.body)
        .collect();
    let literal = app::markdown::literal;
    assert_eq!(
        recorded,
        [format!(
            "Region set to EU; Ticket set to {}",
            literal("https://tracker.example/SEC-1")
        )],
        "labels and values are shown as typed, never as markup"
    );

    // Resolving needs the customer count, named in the refusal.
    let v = version(&app, reference).await;
    let refused = change_status(&app.db, &ic, reference, Status::Resolved, None, v)
        .await
        .unwrap_err();
    let message = field_error(&refused, "status");
    assert!(
        message.contains("Customers affected") && message.contains("before resolving"),
        "{message}"
    );
    update_fields(
        &app.db,
        &ic,
        reference,
        None,
        &values(&[
            (customers, &["1,200"]),
            (owner, &[&ic.email]),
            (tags, &["API", "web", "api"]),
        ]),
        v,
    )
    .await
    .unwrap();
    let fields = incident_fields(&app.db, reference).await.unwrap();
    assert_eq!(shown(&fields, customers), ["1200"]);
    assert_eq!(
        shown(&fields, owner),
        std::slice::from_ref(&ic.display_name),
        "a person shows by name"
    );
    assert_eq!(
        shown(&fields, tags),
        ["web", "api"],
        "in the options' order, once each"
    );
    let v = version(&app, reference).await;
    change_status(&app.db, &ic, reference, Status::Resolved, None, v)
        .await
        .unwrap();

    // Once resolved, what resolving needed cannot be emptied.
    let v = version(&app, reference).await;
    let refused = update_fields(
        &app.db,
        &ic,
        reference,
        None,
        &values(&[(customers, &[""])]),
        v,
    )
    .await
    .unwrap_err();
    assert!(field_error(&refused, &format!("field_{customers}")).contains("before resolving"));
    // Closing needs the systems too (here filled), and the change is recorded once.
    change_status(&app.db, &ic, reference, Status::Closed, None, v)
        .await
        .unwrap();
    let recorded = timeline(&app.db, reference, Role::Responder)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::FieldsChanged)
        .count();
    assert_eq!(recorded, 2);

    // A saved field keeps its kind once it holds values; an unused one may change.
    let refused = app::fields::service::update_field(
        &app.db,
        &actor(&admin),
        customers,
        &FieldInput {
            label: "Customers affected".into(),
            description: String::new(),
            kind: FieldKind::Text,
            options: vec![],
            required_at: Stage::Resolve,
            type_ids: vec![],
        },
        1,
    )
    .await
    .unwrap_err();
    assert!(field_error(&refused, "kind").contains("stays number"));

    // Software declaring (an alert) is not held up by a field a person must fill.
    let d = with_service(
        &app,
        Declaration {
            unattended: true,
            ..declaration("Alert: breach", Some(security), Some(sev), values(&[]))
        },
    )
    .await;
    declare_incident(&app.db, &ic, d).await.unwrap();
}

async fn two_editors_of_the_fields_never_overwrite_each_other(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let region = field(
        &app,
        &admin,
        "Region",
        FieldKind::Text,
        &[],
        Stage::Never,
        vec![],
    )
    .await;
    let sev = severities(&app.db).await.unwrap().last().unwrap().id;
    let d = with_service(&app, declaration("Flaky", None, Some(sev), values(&[]))).await;
    let reference = declare_incident(&app.db, &ic, d).await.unwrap();
    let v = version(&app, reference).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let db = app.db.clone();
        let ic = ic.clone();
        tasks.push(tokio::spawn(async move {
            let entered: FieldValues = BTreeMap::from([(region, vec![format!("eu-{i}")])]);
            update_fields(&db, &ic, reference, None, &entered, v).await
        }));
    }
    let mut saved = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => saved += 1,
            Err(AppError::Conflict { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(
        saved, 1,
        "one save wins; the others are told, none is lost silently"
    );
    assert_eq!(version(&app, reference).await, v + 1);
    let events = timeline(&app.db, reference, Role::Responder)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::FieldsChanged)
        .count();
    assert_eq!(events, 1);
}

async fn types_and_fields_through_pages_forms_and_the_api(app: TestApp) {
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (responder, _) = app.signed_in(Role::Responder).await;
    let type_form = [
        ("form[name]", "Data <b>integrity</b>"),
        ("form[description]", "Wrong numbers somewhere."),
        ("form[roles][]", "scribe"),
        ("form[postmortem_required]", "on"),
    ];
    assert_eq!(
        app.call_with(&responder, "/rpc/save_incident_type", &type_form)
            .await
            .status(),
        403
    );
    let res = app
        .call_with(&admin, "/rpc/save_incident_type", &type_form)
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let bad = app
        .call_with(&admin, "/rpc/save_incident_type", &[("form[name]", "")])
        .await;
    assert_eq!(bad.status(), 422);

    let (status, _) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/incident-types",
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (_, admin_token) = token_for(&app, Role::Admin, "30").await;
    let (_, responder_token) = token_for(&app, Role::Responder, "30").await;
    let (status, listed) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/incident-types",
        Some(&responder_token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let types = listed["types"].as_array().unwrap();
    assert_eq!(types[0]["name"], "Default", "the default first");
    let integrity = types
        .iter()
        .find(|t| t["name"] == "Data <b>integrity</b>")
        .unwrap();
    let integrity_id = integrity["id"].as_i64().unwrap();
    assert_eq!(integrity["required_roles"], json!(["scribe"]));
    assert_eq!(integrity["postmortem_required"], true);

    // Fields: by form (admins), by API (admins; responders refused).
    let field_form = [
        ("form[label]", "Region"),
        ("form[kind]", "select"),
        ("form[options]", "EU\nUS"),
        ("form[required_at]", "declare"),
    ];
    let res = app
        .call_with(&admin, "/rpc/save_custom_field", &field_form)
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let new_field = json!({"label": "Customers", "kind": "number", "required_at": "resolve", "type_ids": [integrity_id]});
    let (status, _) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/custom-fields",
        Some(&responder_token),
        Some(new_field.clone()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, created) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/custom-fields",
        Some(&admin_token),
        Some(new_field),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["types"][0]["id"], integrity_id);
    let customers = created["id"].as_i64().unwrap();
    let (status, refused) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/custom-fields",
        Some(&admin_token),
        Some(json!({"label": "X", "kind": "select"})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(refused["error"]["field"], "options");
    let (_, fields) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/custom-fields",
        Some(&responder_token),
        None,
    )
    .await;
    let region = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["label"] == "Region")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    // Declaring through the form names the region; the nested form names parse.
    let sev = severities(&app.db)
        .await
        .unwrap()
        .last()
        .unwrap()
        .id
        .to_string();
    let svc = app::catalog::service::create_service(&app.db, "Ledger", None)
        .await
        .unwrap();
    let key = format!("form[fields][field_{region}][]");
    let declare_form = [
        ("form[title]", "Totals off"),
        ("form[severity_id]", sev.as_str()),
        ("form[services]", "ledger"),
        ("form[type_id]", &integrity_id.to_string()),
        (key.as_str(), "US"),
    ];
    let res = app
        .call_with(&responder, "/rpc/declare_incident", &declare_form[..4])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Fill in Region"));
    let res = app
        .call_with(&responder, "/rpc/declare_incident", &declare_form)
        .await;
    assert_eq!(res.status(), 200);
    let path: String = res.json().await.unwrap();
    let reference =
        IncidentRef::parse_or_not_found(path.trim_start_matches("/incidents/")).unwrap();
    let _ = svc;

    // The incident page shows the type and the value, escaped; the admin pages too.
    let page = app.get_with(&responder, &path).await.text().await.unwrap();
    assert!(
        page.contains("Type and fields") && page.contains("Data &lt;b&gt;integrity&lt;/b&gt;"),
        "escaped type name"
    );
    if let Some(at) = page.find("<b>integrity</b>") {
        panic!("raw markup at: {}", &page[at.saturating_sub(300)..at + 50]);
    }
    for admin_page in ["/admin/incident-types", "/admin/fields"] {
        let res = app.get_with(&admin, admin_page).await;
        assert_eq!(res.status(), 200, "{admin_page}");
        let text = res.text().await.unwrap();
        assert!(
            text.contains("Region") && !text.contains("<b>integrity</b>"),
            "{admin_page}"
        );
        let res = app.get_with(&responder, admin_page).await;
        assert_ne!(res.status(), 200, "{admin_page} is for admins");
    }

    // The values through the API, and a write at a stale version refused.
    let fields_path = format!("/api/v1/incidents/{reference}/fields");
    let (status, read) = api(
        &app,
        reqwest::Method::GET,
        &fields_path,
        Some(&responder_token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read["incident_type"]["id"], integrity_id);
    let version = read["version"].as_i64().unwrap();
    let change = json!({"version": version, "values": {customers.to_string(): 42, region.to_string(): "eu"}});
    let (status, saved) = api(
        &app,
        reqwest::Method::PUT,
        &fields_path,
        Some(&responder_token),
        Some(change.clone()),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let value_of = |body: &Value, id: i64| {
        body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"]["id"] == id)
            .unwrap()["values"][0]["value"]
            .clone()
    };
    assert_eq!(value_of(&saved, customers), "42");
    assert_eq!(value_of(&saved, region), "EU");
    let (status, _) = api(
        &app,
        reqwest::Method::PUT,
        &fields_path,
        Some(&responder_token),
        Some(change),
    )
    .await;
    assert_eq!(status, 409);
    let (status, refused) = api(
        &app,
        reqwest::Method::PUT,
        &fields_path,
        Some(&responder_token),
        Some(json!({"version": version + 1, "values": {region.to_string(): null}})),
    )
    .await;
    assert_eq!(
        status, 422,
        "the region is needed from the declaration on: {refused}"
    );

    // The form on the incident page (no JavaScript) saves and returns to the card.
    let customers_key = format!("fields[field_{customers}][]");
    let current = (version + 1).to_string();
    let res = responder
        .post(app.url("/rpc/update_incident_fields"))
        .header("accept", "text/html")
        .header("referer", app.url(&path))
        .form(&[
            ("reference", reference.to_string().as_str()),
            ("version", current.as_str()),
            (customers_key.as_str(), "7"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/incidents/{reference}#fields").as_str()
    );
    let (_, read) = api(
        &app,
        reqwest::Method::GET,
        &fields_path,
        Some(&responder_token),
        None,
    )
    .await;
    assert_eq!(value_of(&read, customers), "7");

    // The form's "type's default" severity: the type's level, or an error beside the
    // severity when the type has none.
    let low = severities(&app.db).await.unwrap().last().unwrap().clone();
    let (status, typed) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/incident-types",
        Some(&admin_token),
        Some(json!({"name": "Billing", "default_severity_id": low.id})),
    )
    .await;
    assert_eq!(status, 201, "{typed}");
    let billing = typed["id"].as_i64().unwrap().to_string();
    // (Region is asked of every type from the declaration on.)
    let by_default = [
        ("form[title]", "Invoices late"),
        ("form[severity_id]", ""),
        ("form[services]", "ledger"),
        ("form[type_id]", billing.as_str()),
        (key.as_str(), "EU"),
    ];
    let res = app
        .call_with(&responder, "/rpc/declare_incident", &by_default)
        .await;
    assert_eq!(res.status(), 200);
    let path: String = res.json().await.unwrap();
    let declared = IncidentRef::parse_or_not_found(path.trim_start_matches("/incidents/")).unwrap();
    assert_eq!(
        get_incident(&app.db, declared).await.unwrap().severity.id,
        low.id
    );
    let mut no_default = by_default;
    no_default[3] = ("form[type_id]", "");
    let res = app
        .call_with(&responder, "/rpc/declare_incident", &no_default)
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Choose a severity"));

    // Declaring through the API with a type and fields; a bad key is a 422.
    let body = json!({"title": "API declared", "service_ids": [svc.id], "severity_id": sev.parse::<i64>().unwrap(), "type_id": integrity_id, "fields": {region.to_string(): "EU"}});
    let (status, declared) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/incidents",
        Some(&responder_token),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201, "{declared}");
    let mut bad = body;
    bad["fields"] = json!({"region": "EU"});
    let (status, _) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/incidents",
        Some(&responder_token),
        Some(bad),
    )
    .await;
    assert_eq!(status, 422);
}

async fn the_list_filters_and_exports_by_type_and_field(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let security = security_type(
        &app,
        &admin,
        TypeInput {
            name: "Security".into(),
            ..Default::default()
        },
        &[],
        &[],
    )
    .await;
    let region = field(
        &app,
        &admin,
        "Region",
        FieldKind::MultiSelect,
        &["EU", "US"],
        Stage::Never,
        vec![],
    )
    .await;
    let note = field(
        &app,
        &admin,
        "Note",
        FieldKind::Text,
        &[],
        Stage::Never,
        vec![],
    )
    .await;
    let sev = severities(&app.db).await.unwrap().last().unwrap().id;
    let mut declared = Vec::new();
    for (title, kind, regions, text) in [
        (
            "Breach in EU",
            Some(security),
            &["EU"][..],
            "=HYPERLINK(\"http://x\")",
        ),
        ("Slow in US", None, &["US", "EU"][..], "plain, with a comma"),
        ("Quiet", None, &[][..], ""),
    ] {
        let d = with_service(
            &app,
            declaration(
                title,
                kind,
                Some(sev),
                values(&[(region, regions), (note, &[text])]),
            ),
        )
        .await;
        declared.push(declare_incident(&app.db, &ic, d).await.unwrap());
    }
    let listed = |page: &str| {
        ["Breach in EU", "Slow in US", "Quiet"]
            .into_iter()
            .filter(|t| page.contains(t))
            .collect::<Vec<_>>()
    };
    let page = app
        .get_with(&viewer, &format!("/incidents?type={security}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(listed(&page), ["Breach in EU"]);
    // A value matches as the field stores it ("eu" is the option "EU"); a multi-select
    // matches any of its values.
    let page = app
        .get_with(&viewer, &format!("/incidents?field={region}&value=eu"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(listed(&page), ["Breach in EU", "Slow in US"]);
    let page = app
        .get_with(&viewer, &format!("/incidents?field={region}&value=Mars"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Choose Region from its list"),
        "refused beside the filter"
    );
    assert!(listed(&page).is_empty());

    // The API filters alike.
    let (_, token) = token_for(&app, Role::Viewer, "30").await;
    let (status, body) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/incidents?field_id={region}&field_value=US&type_id={security}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["incidents"].as_array().unwrap().len(), 0);
    let (status, _) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/incidents?field_value=US",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 422, "a value needs its field");

    // The CSV: the same filters, a column per field, formulas defused, commas quoted.
    let res = app.get_with(&viewer, "/incidents.csv").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "Incident,Title,Type,Severity,Status,Services,Declared,Resolved,Closed,Region,Note"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3);
    let breach = rows.iter().find(|r| r.contains("Breach in EU")).unwrap();
    assert!(
        breach.contains(",Security,") && breach.ends_with(",EU,\"'=HYPERLINK(\"\"http://x\"\")\""),
        "{breach}"
    );
    let slow = rows.iter().find(|r| r.contains("Slow in US")).unwrap();
    assert!(
        slow.contains(",Default,") && slow.ends_with(",EU; US,\"plain, with a comma\""),
        "{slow}"
    );
    let filtered = app
        .get_with(&viewer, &format!("/incidents.csv?type={security}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.lines().count(), 2);
    assert_eq!(
        app.get_with(&viewer, "/incidents.csv?status=nonsense")
            .await
            .status(),
        422
    );
    let anonymous = app.get("/incidents.csv").await;
    assert_eq!(anonymous.status(), 303, "signed in only");
    assert!(
        anonymous.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );

    // The postmortem's facts show the type and the values (a draft: to responders).
    let (responder, _) = app.signed_in(Role::Responder).await;
    app::postmortems::service::write::create_postmortem(&app.db, &ic, declared[0])
        .await
        .unwrap();
    let page = app
        .get_with(
            &responder,
            &format!("/incidents/{}/postmortem", declared[0]),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("postmortem-field") && page.contains("Security"),
        "the facts name the type and fields"
    );
}
