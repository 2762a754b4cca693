//! Action items on both backends: validation, changes with their timeline records,
//! conflicts, the filters of the action items page, and who may do what over HTTP.

use app::accounts::Role;
use app::action_items::service::{
    ItemFields, create_action_item, list_action_items, update_action_item,
};
use app::action_items::{ActionItemFilter, ItemKind, ItemStatus, Priority};
use app::catalog::service::create_service;
use app::error::AppError;
use app::incidents::service::declare::Declaration;
use app::incidents::service::query::severities;
use app::incidents::service::timeline::timeline;
use app::incidents::{EventKind, IncidentRef};
use app::workflow::declare_incident;
use chrono::{Duration, NaiveDate, Utc};

use crate::support::TestApp;

backend_tests!(
    items_are_checked_changed_and_recorded_on_the_timeline,
    the_list_filters_by_owner_status_service_and_overdue,
    action_items_over_http_follow_the_roles,
    a_refused_items_errors_show_in_its_own_form_without_javascript,
);

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn item(title: &str) -> ItemFields {
    ItemFields {
        title: title.into(),
        ..Default::default()
    }
}

async fn items_are_checked_changed_and_recorded_on_the_timeline(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let owner = app.with_user(Role::Viewer).await;
    let reference = app.declared_at(&ic, "Disk full", 2).await;

    let err = create_action_item(
        &app.db,
        &ic,
        reference,
        ItemFields {
            title: " ".into(),
            owner_id: Some(424_242),
            tracker_url: "javascript:alert(1)".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    for field in ["title", "owner_id", "tracker_url"] {
        assert!(err.field_message(field).is_some(), "{field}: {err:?}");
    }

    let id = create_action_item(
        &app.db,
        &ic,
        reference,
        ItemFields {
            title: "Alert on disk usage above 80%".into(),
            kind: Some(ItemKind::Detect),
            priority: Some(Priority::High),
            owner_id: Some(owner.id.0),
            due_on: Some(today() + Duration::days(7)),
            tracker_url: "https://tracker.example/OPS-1".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let filter = ActionItemFilter {
        incident: Some(reference),
        page: 1,
        ..Default::default()
    };
    let listed = list_action_items(&app.db, &filter, today())
        .await
        .unwrap()
        .items;
    assert_eq!(listed.len(), 1);
    let first = listed[0].clone();
    assert_eq!(first.owner.as_ref().unwrap().name, owner.display_name);
    assert_eq!(first.kind, ItemKind::Detect);
    assert!(!first.overdue);

    let mut fields = ItemFields {
        title: first.title.clone(),
        kind: Some(first.kind),
        priority: Some(first.priority),
        owner_id: Some(owner.id.0),
        due_on: first.due_on,
        tracker_url: first.tracker_url.clone().unwrap(),
        status: ItemStatus::WontDo,
        ..Default::default()
    };
    let err = update_action_item(&app.db, &ic, id, fields.clone(), 1)
        .await
        .unwrap_err();
    assert!(err.field_message("wont_do_reason").is_some());

    fields.status = ItemStatus::Done;
    update_action_item(&app.db, &ic, id, fields.clone(), 1)
        .await
        .unwrap();
    let done = &list_action_items(&app.db, &filter, today())
        .await
        .unwrap()
        .items[0];
    assert_eq!(done.status, ItemStatus::Done);
    assert!(done.completed_at.is_some());
    assert_eq!(done.version, 2);

    let stale = update_action_item(&app.db, &ic, id, fields.clone(), 1).await;
    assert!(matches!(stale, Err(AppError::Conflict { .. })), "{stale:?}");

    fields.status = ItemStatus::Open;
    update_action_item(&app.db, &ic, id, fields.clone(), 2)
        .await
        .unwrap();
    let reopened = &list_action_items(&app.db, &filter, today())
        .await
        .unwrap()
        .items[0];
    assert!(reopened.completed_at.is_none());
    fields.status = ItemStatus::WontDo;
    fields.wont_do_reason = "Disks are being replaced by object storage".into();
    update_action_item(&app.db, &ic, id, fields, 3)
        .await
        .unwrap();

    let story: Vec<String> = timeline(&app.db, reference, Role::Responder)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::ActionItem)
        .map(|e| e.body)
        .collect();
    assert_eq!(
        story,
        [
            "Action item added: Alert on disk usage above 80%",
            "Action item completed: Alert on disk usage above 80%",
            "Action item reopened: Alert on disk usage above 80%",
            "Action item will not be done: Alert on disk usage above 80% (Disks are being replaced by object storage)",
        ]
    );
    let missing = update_action_item(&app.db, &ic, 424_242, item("x"), 1).await;
    assert!(matches!(missing, Err(AppError::NotFound(_))));
}

async fn the_list_filters_by_owner_status_service_and_overdue(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let alice = app.with_user(Role::Responder).await;
    let api = create_service(&app.db, "API", None).await.unwrap();
    let sev = severities(&app.db).await.unwrap()[2].id;
    let on_api = declare_incident(
        &app.db,
        &ic,
        Declaration {
            title: "API slow".into(),
            severity_id: Some(sev),
            service_ids: vec![api.id],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let elsewhere = app.declared_at(&ic, "Elsewhere", 2).await;
    let add = |reference: IncidentRef, title: &str, owner: Option<i64>, due: Option<i64>| {
        let fields = ItemFields {
            title: title.into(),
            owner_id: owner,
            due_on: due.map(|d| today() + Duration::days(d)),
            ..Default::default()
        };
        let (db, ic) = (app.db.clone(), ic.clone());
        async move {
            create_action_item(&db, &ic, reference, fields)
                .await
                .unwrap()
        }
    };
    add(on_api, "late", Some(alice.id.0), Some(-2)).await;
    add(on_api, "soon", Some(alice.id.0), Some(3)).await;
    add(elsewhere, "undated", None, None).await;
    let finished = add(elsewhere, "finished", Some(alice.id.0), Some(-9)).await;
    update_action_item(
        &app.db,
        &ic,
        finished,
        ItemFields {
            title: "finished".into(),
            owner_id: Some(alice.id.0),
            due_on: Some(today() - Duration::days(9)),
            status: ItemStatus::Done,
            ..Default::default()
        },
        1,
    )
    .await
    .unwrap();

    let titles = |filter: ActionItemFilter| {
        let db = app.db.clone();
        async move {
            list_action_items(&db, &ActionItemFilter { page: 1, ..filter }, today())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|i| i.title)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        titles(ActionItemFilter::default()).await,
        ["late", "soon", "undated", "finished"],
        "pending first, soonest due first, undated after"
    );
    assert_eq!(
        titles(ActionItemFilter {
            overdue: true,
            ..Default::default()
        })
        .await,
        ["late"],
        "done items are never overdue"
    );
    assert_eq!(
        titles(ActionItemFilter {
            owner_id: Some(alice.id.0),
            pending: true,
            ..Default::default()
        })
        .await,
        ["late", "soon"]
    );
    assert_eq!(
        titles(ActionItemFilter {
            service_id: Some(api.id),
            ..Default::default()
        })
        .await,
        ["late", "soon"]
    );
    assert_eq!(
        titles(ActionItemFilter {
            status: Some(ItemStatus::Done),
            ..Default::default()
        })
        .await,
        ["finished"]
    );
    let page = list_action_items(
        &app.db,
        &ActionItemFilter {
            page: 1,
            ..Default::default()
        },
        today(),
    )
    .await
    .unwrap();
    assert!(page.items[0].overdue && !page.items[1].overdue);
}

async fn action_items_over_http_follow_the_roles(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let reference = app.declared_at(&ic, "Cert expired", 2).await;
    let reference_text = reference.to_string();
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let form = [
        ("reference", reference_text.as_str()),
        ("form[title]", "Renew certificates automatically"),
        ("form[kind]", "prevent"),
        ("form[priority]", "high"),
        ("form[due_on]", "2026-13-45"),
    ];
    assert_eq!(
        app.call_with(&viewer, "/rpc/add_action_item", &form)
            .await
            .status(),
        403
    );
    let (responder, _) = app.signed_in(Role::Responder).await;
    let res = app
        .call_with(&responder, "/rpc/add_action_item", &form)
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Use a date like"));

    // Without JavaScript the form posts and lands back on the incident's items.
    let mut good = form.to_vec();
    good[4] = ("form[due_on]", "2020-01-01");
    let res = responder
        .post(app.url("/rpc/add_action_item"))
        .header("accept", "text/html")
        .header("referer", app.url(&format!("/incidents/{reference}")))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/incidents/{reference}#action-items").as_str()
    );

    let page = app.get_with(&viewer, "/action-items?overdue=1").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Renew certificates automatically") && html.contains("Overdue"));
    assert!(!html.contains("Mark done"), "viewers get no buttons");
    let html = app
        .get_with(&responder, &format!("/incidents/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Renew certificates automatically") && html.contains("Add action item"));
    let home = app.get_with(&viewer, "/").await.text().await.unwrap();
    assert!(home.contains("My action items"));
}

/// Every item's change form posts to one server function; without JavaScript the
/// refusal comes back keyed to the item sent and shows, open, in that item's form.
async fn a_refused_items_errors_show_in_its_own_form_without_javascript(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let reference = app.declared_at(&ic, "Queue backlog", 2).await;
    create_action_item(&app.db, &ic, reference, item("Alert on queue age"))
        .await
        .unwrap();
    let second = create_action_item(&app.db, &ic, reference, item("Cap the batch size"))
        .await
        .unwrap();
    let (responder, _) = app.signed_in(Role::Responder).await;
    let (id, page) = (second.to_string(), format!("/incidents/{reference}"));
    let html = app
        .post_without_js(
            &responder,
            "/rpc/update_action_item",
            &page,
            &[
                ("id", id.as_str()),
                ("version", "1"),
                (
                    "form[title]",
                    "Cap the batch size <script>alert(1)</script>",
                ),
                ("form[status]", "open"),
                ("form[due_on]", "2026-13-45"),
                ("form[tracker_url]", "javascript:alert(1)"),
                ("return_to", page.as_str()),
            ],
        )
        .await;
    let second_form = TestApp::part(&html, "data-item=\"Cap the batch size\"", "</li>");
    assert!(second_form.contains("Use a date like"), "{second_form}");
    assert!(second_form.contains("field--invalid"));
    assert!(
        second_form.contains("<details open class=\"item-list__edit\""),
        "{second_form}"
    );
    let first_form = TestApp::part(&html, "data-item=\"Alert on queue age\"", "</li>");
    assert!(!first_form.contains("field__error"), "{first_form}");
    assert_eq!(html.matches("Use a date like").count(), 1);
    assert!(!html.contains("<script>alert(1)"));
    let items = list_action_items(
        &app.db,
        &ActionItemFilter {
            incident: Some(reference),
            ..Default::default()
        },
        today(),
    )
    .await
    .unwrap();
    assert!(items.items.iter().all(|i| i.version == 1), "nothing saved");
}
