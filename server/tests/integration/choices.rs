//! Search fields instead of lists of everyone: the typeahead endpoint, and forms and
//! filters that name people and services by text (what the field holds without
//! JavaScript too).

use app::accounts::Role;
use app::accounts::service::users::{self, NewUser};
use app::action_items::service::{ItemFields, create_action_item};
use app::audit::service::Actor;
use app::catalog::service::{create_service, set_archived};
use app::incidents::service::query::{get_incident, severities};
use app::incidents::{IncidentRef, IncidentRole};
use app::postmortems::service::query::get_postmortem;
use app::postmortems::service::write::create_postmortem;
use serde_json::Value;

use crate::support::TestApp;

backend_tests!(
    suggestions_find_people_and_services_by_any_part_of_their_names,
    forms_name_services_and_people_by_text,
    a_name_that_fits_nobody_or_several_is_a_field_error,
    filters_take_a_slug_a_name_or_me,
    the_incident_page_does_not_list_everyone,
    reviewers_are_named_in_a_search_field,
);

async fn suggestions(app: &TestApp, client: &reqwest::Client, kind: &str, q: &str) -> Vec<Value> {
    let res = client
        .get(app.url("/rpc/choices"))
        .query(&[("kind", kind), ("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{kind} {q}");
    res.json::<Vec<Value>>().await.unwrap()
}

fn values(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|c| c["value"].as_str().unwrap().to_owned())
        .collect()
}

/// A user with a chosen name.
async fn named(app: &TestApp, name: &str, email: &str, role: Role) -> i64 {
    let new = NewUser::parse(email, name, "a-long-password-1", role).unwrap();
    users::create(&app.db, new, &Actor::default())
        .await
        .unwrap()
        .id
        .0
}

async fn suggestions_find_people_and_services_by_any_part_of_their_names(app: TestApp) {
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    create_service(&app.db, "Checkout API", Some("Payments team"))
        .await
        .unwrap();
    create_service(&app.db, "Payments", None).await.unwrap();
    let old = create_service(&app.db, "Old checkout", None).await.unwrap();
    set_archived(&app.db, &Actor::default(), old.id, true)
        .await
        .unwrap();
    create_service(&app.db, "100% uptime", None).await.unwrap();
    for n in 0..10 {
        create_service(&app.db, &format!("Bulk {n}"), None)
            .await
            .unwrap();
    }

    let found = suggestions(&app, &viewer, "services", "CHECK").await;
    assert_eq!(
        values(&found),
        vec!["checkout-api"],
        "archived ones are not offered"
    );
    assert_eq!(found[0]["label"], "Checkout API");
    assert_eq!(found[0]["detail"], "checkout-api · Payments team");
    assert_eq!(
        values(&suggestions(&app, &viewer, "services", "ments").await),
        vec!["payments"]
    );
    // Pattern characters are taken literally.
    assert_eq!(
        values(&suggestions(&app, &viewer, "services", "%").await),
        vec!["100-uptime"]
    );
    assert!(
        suggestions(&app, &viewer, "services", "_u")
            .await
            .is_empty()
    );
    assert_eq!(
        suggestions(&app, &viewer, "services", "bulk").await.len(),
        8,
        "at most eight"
    );

    named(&app, "Ada Lovelace", "ada@example.com", Role::Responder).await;
    named(&app, "Adam Viewer", "adam@example.com", Role::Viewer).await;
    let gone = named(&app, "Ada Gone", "ada.gone@example.com", Role::Responder).await;
    users::set_active(
        &app.db,
        app::accounts::UserId(gone),
        false,
        &Actor::default(),
    )
    .await
    .unwrap();
    let people = suggestions(&app, &viewer, "people", "ada").await;
    assert_eq!(
        values(&people),
        vec!["Ada Lovelace <ada@example.com>"],
        "only active people who can respond"
    );
    assert_eq!(
        values(&suggestions(&app, &viewer, "people", "ADA@EXAMPLE").await).len(),
        1
    );

    // Signed out: nothing.
    let res = app
        .client
        .get(app.url("/rpc/choices?kind=people&q=ada"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // A kind that does not exist is the client's mistake, not the server's.
    let res = viewer
        .get(app.url("/rpc/choices?kind=Secrets&q=a"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    // So is any server function's argument that cannot be decoded.
    let res = app
        .call_with(
            &viewer,
            "/rpc/list_incidents",
            &[("query[after]", "x"), ("query[after]", "y")],
        )
        .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = app
        .call_with(
            &viewer,
            "/rpc/delete_incident_note",
            &[("reference", "INC-1"), ("event_id", "abc")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["Invalid"].is_array(), "{body}");
}

async fn forms_name_services_and_people_by_text(app: TestApp) {
    let (client, me) = app.signed_in(Role::Responder).await;
    create_service(&app.db, "Checkout API", None).await.unwrap();
    create_service(&app.db, "Payments", None).await.unwrap();
    named(&app, "Grace Hopper", "grace@example.com", Role::Responder).await;
    let sev = severities(&app.db).await.unwrap()[1].id.to_string();

    // Declare: services by slug and by name, the commander by `Name <email>`.
    let res = client
        .post(app.url("/rpc/declare_incident"))
        .header("accept", "text/html")
        .header("referer", app.url("/incidents/new"))
        .form(&[
            ("form[title]", "Card payments fail"),
            ("form[severity_id]", sev.as_str()),
            ("form[services]", "checkout-api, payments ,"),
            ("form[commander]", "Grace Hopper <grace@example.com>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let reference = IncidentRef::parse(location.trim_start_matches("/incidents/")).unwrap();
    let incident = get_incident(&app.db, reference).await.unwrap();
    let slugs: Vec<&str> = incident.services.iter().map(|s| s.slug.as_str()).collect();
    assert_eq!(slugs.len(), 2);
    assert!(slugs.contains(&"checkout-api") && slugs.contains(&"payments"));
    let commander = |i: &app::incidents::IncidentView| {
        i.roles
            .iter()
            .find(|r| r.role == IncidentRole::Commander)
            .map(|r| r.user_name.clone())
    };
    assert_eq!(commander(&incident).as_deref(), Some("Grace Hopper"));

    // An empty commander field means the one declaring.
    let res = app
        .call_with(
            &client,
            "/rpc/declare_incident",
            &[
                ("form[title]", "Second"),
                ("form[severity_id]", sev.as_str()),
                ("form[services]", "Payments"),
                ("form[commander]", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let second = get_incident(&app.db, IncidentRef(reference.0 + 1))
        .await
        .unwrap();
    assert_eq!(commander(&second).as_deref(), Some(me.name.as_str()));

    // A role by email, then by name; the edit form keeps services by slug.
    let version = incident.version.to_string();
    let res = app
        .call_with(
            &client,
            "/rpc/assign_incident_role",
            &[
                ("reference", &reference.to_string()),
                ("role", "scribe"),
                ("person", "GRACE@example.com"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let incident = get_incident(&app.db, reference).await.unwrap();
    let res = app
        .call_with(
            &client,
            "/rpc/assign_incident_role",
            &[
                ("reference", &reference.to_string()),
                ("role", "communications"),
                ("person", "me"),
                ("version", &incident.version.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let incident = get_incident(&app.db, reference).await.unwrap();
    let holder = |role| {
        incident
            .roles
            .iter()
            .find(|r| r.role == role)
            .map(|r| r.user_name.clone())
    };
    assert_eq!(
        holder(IncidentRole::Scribe).as_deref(),
        Some("Grace Hopper")
    );
    assert_eq!(
        holder(IncidentRole::Communications).as_deref(),
        Some(me.name.as_str())
    );

    let declared = incident
        .times
        .declared_at
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = app
        .call_with(
            &client,
            "/rpc/update_incident_details",
            &[
                ("reference", &reference.to_string()),
                ("version", &incident.version.to_string()),
                ("form[title]", "Card payments fail"),
                ("form[services]", "payments"),
                ("form[declared_at]", &declared),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let incident = get_incident(&app.db, reference).await.unwrap();
    let slugs: Vec<&str> = incident.services.iter().map(|s| s.slug.as_str()).collect();
    assert_eq!(slugs, vec!["payments"]);

    // An action item's owner by name; an empty owner field leaves it unassigned.
    for (title, owner, expected) in [
        ("Add a retry budget", "grace hopper", Some("Grace Hopper")),
        ("Alert on card errors", "", None),
    ] {
        let res = app
            .call_with(
                &client,
                "/rpc/add_action_item",
                &[
                    ("reference", &reference.to_string()),
                    ("form[title]", title),
                    ("form[kind]", "prevent"),
                    ("form[priority]", "high"),
                    ("form[owner]", owner),
                ],
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let items = app::action_items::service::list_action_items(
            &app.db,
            &app::action_items::ActionItemFilter {
                incident: Some(reference),
                page: 1,
                ..Default::default()
            },
            chrono::Utc::now().date_naive(),
        )
        .await
        .unwrap();
        let item = items.items.iter().find(|i| i.title == title).unwrap();
        assert_eq!(item.owner.as_ref().map(|o| o.name.as_str()), expected);
        assert_eq!(
            item.owner_value.as_deref(),
            expected.map(|_| "Grace Hopper <grace@example.com>")
        );
    }
}

async fn a_name_that_fits_nobody_or_several_is_a_field_error(app: TestApp) {
    let (client, me) = app.signed_in(Role::Responder).await;
    let me = person_of(&app, &me.email).await;
    let reference = app.declared_at(&me, "Search is slow", 1).await;
    named(&app, "Sam Lee", "sam.one@example.com", Role::Responder).await;
    named(&app, "sam lee", "sam.two@example.com", Role::Responder).await;
    let sev = severities(&app.db).await.unwrap()[1].id.to_string();

    let refused = |field: &'static str, form: Vec<(&'static str, String)>, path: &'static str| {
        let client = client.clone();
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.call_with(&client, path, &form).await;
            assert_eq!(res.status(), 422, "{path} {form:?}");
            let body: Value = res.json().await.unwrap();
            let message = body.to_string();
            assert!(message.contains(field), "{message}");
            message
        }
    };
    let r = reference.to_string();
    let message = refused(
        "user_id",
        vec![
            ("reference", r.clone()),
            ("role", "scribe".into()),
            ("person", "Sam Lee".into()),
            ("version", "1".into()),
        ],
        "/rpc/assign_incident_role",
    )
    .await;
    assert!(message.contains("More than one person"), "{message}");
    let message = refused(
        "user_id",
        vec![
            ("reference", r.clone()),
            ("role", "scribe".into()),
            ("person", "Nobody Here".into()),
            ("version", "1".into()),
        ],
        "/rpc/assign_incident_role",
    )
    .await;
    assert!(message.contains("No active person matches"), "{message}");
    refused(
        "user_id",
        vec![
            ("reference", r.clone()),
            ("role", "scribe".into()),
            ("person", "  ".into()),
            ("version", "1".into()),
        ],
        "/rpc/assign_incident_role",
    )
    .await;
    // By email the same name is no longer ambiguous.
    let res = app
        .call_with(
            &client,
            "/rpc/assign_incident_role",
            &[
                ("reference", &r),
                ("role", "scribe"),
                ("person", "sam.two@example.com"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let message = refused(
        "service_ids",
        vec![
            ("form[title]", "x".into()),
            ("form[severity_id]", sev.clone()),
            (
                "form[services]",
                "no-such-service, <script>alert(1)</script>".into(),
            ),
        ],
        "/rpc/declare_incident",
    )
    .await;
    assert!(message.contains("no-such-service"), "{message}");
    refused(
        "owner_id",
        vec![
            ("reference", r.clone()),
            ("form[title]", "x".into()),
            ("form[owner]", "sam".into()),
        ],
        "/rpc/add_action_item",
    )
    .await;
    let too_many = (0..101)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(",");
    refused(
        "service_ids",
        vec![
            ("form[title]", "x".into()),
            ("form[severity_id]", sev.clone()),
            ("form[services]", too_many),
        ],
        "/rpc/declare_incident",
    )
    .await;

    // Without JavaScript the error comes back next to the field, what was typed kept out
    // of the page's markup as markup.
    let res = client
        .post(app.url("/rpc/declare_incident"))
        .header("accept", "text/html")
        .header("referer", app.url("/incidents/new"))
        .form(&[
            ("form[title]", "x"),
            ("form[severity_id]", sev.as_str()),
            ("form[services]", "<b>nope</b>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    let page = app
        .get_with(&client, &back.replace(&format!("http://{}", app.addr), ""))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("field-services-error"),
        "the error is beside the field"
    );
    assert!(!page.contains("<b>nope</b>"), "typed text is escaped");
}

async fn person_of(app: &TestApp, email: &str) -> app::accounts::CurrentUser {
    users::to_current(&users::find_by_email(&app.db, email).await.unwrap().unwrap())
}

async fn filters_take_a_slug_a_name_or_me(app: TestApp) {
    let (client, me) = app.signed_in(Role::Responder).await;
    let me = person_of(&app, &me.email).await;
    let a = app.declared_at(&me, "First", 1).await;
    let b = app.declared_at(&me, "Second", 1).await;
    let service_of = |r| {
        let db = app.db.clone();
        async move { get_incident(&db, r).await.unwrap().services[0].clone() }
    };
    let (sa, _) = (service_of(a).await, service_of(b).await);

    for term in [sa.slug.clone(), sa.name.to_uppercase(), sa.id.to_string()] {
        let res = app
            .call_with(
                &client,
                "/rpc/list_incidents",
                &[("query[service]", term.as_str())],
            )
            .await;
        assert_eq!(res.status(), 200, "{term}");
        let page: Value = res.json().await.unwrap();
        let titles: Vec<&str> = page["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, vec!["First"], "{term}");
    }
    // A name that fits no service is refused beside the field, with nothing listed (the
    // page shows it there; the API answers 422).
    let res = app
        .call_with(
            &client,
            "/rpc/list_incidents",
            &[("query[service]", "nothing-like-it")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["incidents"], serde_json::json!([]));
    assert_eq!(page["invalid"][0]["field"], "service");

    create_action_item(
        &app.db,
        &me,
        a,
        ItemFields {
            title: "Mine".into(),
            owner_id: Some(me.id.0),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    create_action_item(
        &app.db,
        &me,
        b,
        ItemFields {
            title: "Nobody's".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let titles = |res: Value| -> Vec<String> {
        res["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    for (key, value, expected) in [
        ("query[owner]", "me".to_owned(), vec!["Mine"]),
        ("query[owner]", me.email.to_uppercase(), vec!["Mine"]),
        ("query[owner]", me.id.0.to_string(), vec!["Mine"]),
        ("query[service]", sa.slug.clone(), vec!["Mine"]),
    ] {
        let res = app
            .call_with(&client, "/rpc/list_action_items", &[(key, value.as_str())])
            .await;
        assert_eq!(res.status(), 200, "{key}={value}");
        assert_eq!(titles(res.json().await.unwrap()), expected, "{key}={value}");
    }
    let res = app
        .call_with(
            &client,
            "/rpc/list_action_items",
            &[("query[owner]", "nobody at all")],
        )
        .await;
    assert_eq!(res.status(), 422);
    // The list page keeps a slug filter in its field.
    let page = app
        .get_with(&client, &format!("/incidents?service={}", sa.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("value=\"{}\"", sa.slug)),
        "the filter shows what it filters by"
    );
}

async fn the_incident_page_does_not_list_everyone(app: TestApp) {
    let (client, me) = app.signed_in(Role::Responder).await;
    let me = person_of(&app, &me.email).await;
    for n in 0..40 {
        named(
            &app,
            &format!("Bystander {n}"),
            &format!("b{n}@example.com"),
            Role::Responder,
        )
        .await;
        create_service(&app.db, &format!("Unrelated {n}"), None)
            .await
            .unwrap();
    }
    let reference = app.declared_at(&me, "Queue backs up", 1).await;
    create_postmortem(&app.db, &me, reference).await.unwrap();
    for path in [
        format!("/incidents/{reference}"),
        format!("/incidents/{reference}/postmortem"),
        "/incidents/new".to_owned(),
        "/incidents".to_owned(),
        "/action-items".to_owned(),
    ] {
        let res = app.get_with(&client, &path).await;
        assert_eq!(res.status(), 200, "{path}");
        let page = res.text().await.unwrap();
        assert!(!page.contains("Bystander"), "{path} lists people");
        assert!(!page.contains("Unrelated"), "{path} lists services");
        assert!(
            page.contains("role=\"combobox\""),
            "{path} has a search field"
        );
    }
}

async fn reviewers_are_named_in_a_search_field(app: TestApp) {
    let (client, me) = app.signed_in(Role::Responder).await;
    let me = person_of(&app, &me.email).await;
    let ada = named(&app, "Ada Reviewer", "ada@example.com", Role::Responder).await;
    let bob = named(&app, "Bob Reviewer", "bob@example.com", Role::Admin).await;
    named(&app, "Vera Viewer", "vera@example.com", Role::Viewer).await;
    let reference = app.declared_at(&me, "Search is stale", 1).await;
    create_postmortem(&app.db, &me, reference).await.unwrap();
    let version = || {
        let db = app.db.clone();
        async move {
            get_postmortem(&db, reference, Role::Admin)
                .await
                .unwrap()
                .version
                .to_string()
        }
    };
    let set = |typed: &'static str, version: String| {
        let (app, client) = (&app, &client);
        async move {
            let reference = reference.to_string();
            app.call_with(
                client,
                "/rpc/set_postmortem_reviewers",
                &[
                    ("reference", reference.as_str()),
                    ("version", version.as_str()),
                    ("reviewers", typed),
                ],
            )
            .await
        }
    };
    // A name and an email, as typed or picked.
    let res = set(
        "ada reviewer, Bob Reviewer <bob@example.com>",
        version().await,
    )
    .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let chosen: Vec<i64> = get_postmortem(&app.db, reference, Role::Admin)
        .await
        .unwrap()
        .reviewers
        .iter()
        .map(|r| r.user_id)
        .collect();
    assert_eq!(chosen.len(), 2);
    assert!(chosen.contains(&ada) && chosen.contains(&bob));
    // The field shows them again, to edit.
    let page = app
        .get_with(&client, &format!("/incidents/{reference}/postmortem"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Ada Reviewer &lt;ada@example.com&gt;")
            || page.contains("Ada Reviewer <ada@example.com>"),
        "{page}"
    );
    // Nobody, a viewer, or a typo: an error beside the field, and nothing changes.
    for typed in ["Ada Reviewer, Nobody Atall", "vera@example.com"] {
        let res = set(typed, version().await).await;
        assert_eq!(res.status(), 422, "{typed}");
        let body = res.text().await.unwrap();
        assert!(body.contains("reviewers"), "{typed}: {body}");
        assert_eq!(
            get_postmortem(&app.db, reference, Role::Admin)
                .await
                .unwrap()
                .reviewers
                .len(),
            2,
            "{typed}"
        );
    }
    // An empty field clears the list.
    let res = set("", version().await).await;
    assert!(res.status().is_success());
    assert!(
        get_postmortem(&app.db, reference, Role::Admin)
            .await
            .unwrap()
            .reviewers
            .is_empty()
    );
}
