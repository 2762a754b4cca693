//! The on-call home page on both backends: what is on fire with my part in it, my
//! items, the postmortems that wait for me, burning budgets, the recently resolved;
//! a bounded number of statements whatever the number of incidents; and the admin's
//! About page that took over the instance facts.

use app::accounts::service::users;
use app::accounts::{CurrentUser, Role};
use app::action_items::service::{ItemFields, create_action_item};
use app::catalog::form::ServiceForm;
use app::catalog::service::add_service;
use app::incidents::service::declare::Declaration;
use app::incidents::service::edit::Details;
use app::incidents::service::query::{get_incident, severities};
use app::incidents::{IncidentRef, IncidentRole, Status, Timestamps};
use app::postmortems::ReviewStep;
use app::postmortems::service::review::{set_reviewers, take_review_step};
use app::postmortems::service::write::create_postmortem;
use app::workflow::assign_role;
use app::workflow::update_details;
use app::workflow::{change_status, declare_incident};
use chrono::{Duration, Utc};
use serde_json::Value;

use crate::support::{TestApp, TestUser, new_client};

backend_tests!(
    the_home_page_shows_what_is_on_fire_and_what_waits_for_me,
    a_viewer_sees_what_is_on_fire_and_no_writing_duties,
    the_home_page_reads_as_many_statements_for_thirty_incidents_as_for_sixty,
    the_home_page_shows_the_worst_budgets_and_counts_the_rest,
    the_budgets_kept_between_views_follow_every_change_at_once,
    the_instance_facts_are_on_the_admins_about_page,
);

/// The services' view of a person signed in over HTTP.
async fn current(app: &TestApp, user: &TestUser) -> CurrentUser {
    let model = users::find_by_email(&app.db, &user.email)
        .await
        .unwrap()
        .unwrap();
    users::to_current(&model)
}

async fn declare(
    app: &TestApp,
    actor: &CurrentUser,
    title: &str,
    position: usize,
    service: i64,
) -> IncidentRef {
    let severity_id = severities(&app.db).await.unwrap()[position].id;
    declare_incident(
        &app.db,
        actor,
        Declaration {
            title: title.into(),
            severity_id: Some(severity_id),
            service_ids: vec![service],
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// Marks `reference` (on `services`) as having had customer impact for two hours so far.
async fn down_for_two_hours(
    app: &TestApp,
    actor: &CurrentUser,
    reference: IncidentRef,
    services: Vec<i64>,
) {
    let view = get_incident(&app.db, reference).await.unwrap();
    update_details(
        &app.db,
        actor,
        reference,
        Details {
            title: view.title.clone(),
            summary: String::new(),
            customer_impact: true,
            service_ids: services,
            times: Timestamps {
                impact_started_at: Some(Utc::now() - Duration::hours(2)),
                ..view.times.clone()
            },
        },
        view.version,
    )
    .await
    .unwrap();
}

async fn on_call(app: &TestApp, client: &reqwest::Client) -> Value {
    let res = app.call_with(client, "/rpc/on_call", &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn the_home_page_shows_what_is_on_fire_and_what_waits_for_me(app: TestApp) {
    let (client, me) = app.signed_in(Role::Responder).await;
    let me = current(&app, &me).await;
    let other = app.with_user(Role::Responder).await;
    let admin = app::audit::service::Actor::default();
    let payments = add_service(
        &app.db,
        &admin,
        &ServiceForm {
            name: "Payments".into(),
            slo_target: "99.9".into(),
            slo_window_days: "30".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let quiet = add_service(
        &app.db,
        &admin,
        &ServiceForm {
            name: "Quiet".into(),
            slo_target: "99.9".into(),
            slo_window_days: "30".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Mine (I declared it, so I command it): two hours down on Payments so far, far
    // past a 99.9% budget of 43 minutes.
    let burning = declare(&app, &me, "Payments <b>down</b>", 1, payments.id).await;
    down_for_two_hours(&app, &me, burning, vec![payments.id]).await;
    // Someone else's, where I am the scribe.
    let scribing = declare(&app, &other, "Search slow", 2, quiet.id).await;
    let version = get_incident(&app.db, scribing).await.unwrap().version;
    assign_role(
        &app.db,
        &other,
        scribing,
        IncidentRole::Scribe,
        me.id.0,
        version,
    )
    .await
    .unwrap();
    // Mine, a SEV1 (needs a postmortem), resolved without one.
    let resolved = declare(&app, &me, "Login outage", 0, quiet.id).await;
    let version = get_incident(&app.db, resolved).await.unwrap().version;
    change_status(&app.db, &me, resolved, Status::Resolved, None, version)
        .await
        .unwrap();
    // Someone else's, with a postmortem in review and me as a reviewer.
    let reviewed = declare(&app, &other, "Queue backlog", 1, quiet.id).await;
    create_postmortem(&app.db, &other, reviewed).await.unwrap();
    set_reviewers(&app.db, reviewed, vec![me.id.0], 1)
        .await
        .unwrap();
    take_review_step(&app.db, &other, reviewed, ReviewStep::SubmitForReview, 2)
        .await
        .unwrap();
    // My items: one due in a month, one overdue (listed first), one of someone else's.
    let today = Utc::now().date_naive();
    for (title, owner, due) in [
        ("Later item", me.id.0, today + Duration::days(30)),
        ("Overdue item", me.id.0, today - Duration::days(2)),
        ("Not my item", other.id.0, today - Duration::days(2)),
    ] {
        let fields = ItemFields {
            title: title.into(),
            owner_id: Some(owner),
            due_on: Some(due),
            ..Default::default()
        };
        create_action_item(&app.db, &me, burning, fields)
            .await
            .unwrap();
    }

    let home = on_call(&app, &client).await;
    assert_eq!(home["active_total"], 3, "{home}");
    let active = home["active"].as_array().unwrap();
    let refs: Vec<&str> = active
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        [reviewed, scribing, burning].map(|r| r.to_string()),
        "newest declared first, the resolved one not among them"
    );
    let row = |r: IncidentRef| {
        active
            .iter()
            .find(|i| i["reference"] == r.to_string())
            .unwrap()
    };
    assert_eq!(row(burning)["my_roles"], serde_json::json!(["commander"]));
    assert_eq!(row(burning)["commander"], me.display_name.as_str());
    assert_eq!(row(scribing)["my_roles"], serde_json::json!(["scribe"]));
    assert_eq!(row(scribing)["commander"], other.display_name.as_str());
    assert_eq!(row(reviewed)["my_roles"], serde_json::json!([]));

    let items: Vec<&str> = home["my_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(items, ["Overdue item", "Later item"]);
    assert_eq!(home["my_items_total"], 2);

    let duties: Vec<(String, String)> = home["postmortems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["incident"].as_str().unwrap().to_owned(),
                d["duty"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        duties,
        [
            (reviewed.to_string(), "review".to_owned()),
            (resolved.to_string(), "start".to_owned())
        ]
    );

    let budgets = home["budgets"].as_array().unwrap();
    assert_eq!(budgets.len(), 1, "Quiet's budget is untouched: {budgets:?}");
    assert_eq!(budgets[0]["service"]["name"], "Payments");
    assert_eq!(budgets[0]["exhausted"], true);
    assert!(budgets[0]["burn_rate"].as_f64().unwrap() > 3.0);

    let recent: Vec<&str> = home["resolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(recent, [resolved.to_string()]);

    // The page itself, server-rendered: every section, the title escaped.
    let html = app.get_with(&client, "/").await.text().await.unwrap();
    for text in [
        "3 incidents are active.",
        "Active incidents",
        "You: Incident commander",
        "You: Scribe",
        "Overdue item",
        "Waiting for your review",
        "Needs a postmortem",
        "Exhausted",
        "Recently resolved",
        "Declare incident",
        "Payments &lt;b&gt;down&lt;/b&gt;",
    ] {
        assert!(html.contains(text), "{text} is on the home page");
    }
    assert!(!html.contains("<b>down</b>"));
    assert!(!html.contains("Not my item"));

    // Once it has a postmortem, the resolved incident stops asking for one.
    create_postmortem(&app.db, &me, resolved).await.unwrap();
    let home = on_call(&app, &client).await;
    let duties: Vec<&str> = home["postmortems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["duty"].as_str().unwrap())
        .collect();
    assert_eq!(
        duties,
        ["review", "finish"],
        "my new draft is mine to finish"
    );
}

async fn a_viewer_sees_what_is_on_fire_and_no_writing_duties(app: TestApp) {
    assert_eq!(
        app.call_with(&new_client(), "/rpc/on_call", &[])
            .await
            .status(),
        401
    );
    let (client, _) = app.signed_in(Role::Viewer).await;
    let home = on_call(&app, &client).await;
    assert_eq!(home["active_total"], 0);
    let html = app.get_with(&client, "/").await.text().await.unwrap();
    assert!(html.contains("Nothing is on fire."));
    assert!(html.contains("No incident is open."));
    assert!(html.contains("Nothing assigned to you is still open."));
    assert!(html.contains("No error budget is exhausted or burning fast."));
    assert!(html.contains("Nothing was resolved in the last 7 days."));

    let responder = app.with_user(Role::Responder).await;
    let reference = app.declared(&responder, "Disk full").await;
    let home = on_call(&app, &client).await;
    assert_eq!(home["active"][0]["reference"], reference.to_string());
    assert_eq!(home["can_write"], false);
    assert_eq!(home["postmortems"], serde_json::json!([]));
    let html = app.get_with(&client, "/").await.text().await.unwrap();
    assert!(html.contains("Disk full") && html.contains("1 incident is active."));
    assert!(!html.contains("Postmortems waiting for you"));
    assert!(!html.contains("Declare incident"), "viewers cannot declare");
}

async fn the_home_page_reads_as_many_statements_for_thirty_incidents_as_for_sixty(app: TestApp) {
    let (client, me) = app.signed_in(Role::Responder).await;
    let me = current(&app, &me).await;
    let service = app::catalog::service::create_service(&app.db, "Edge", None)
        .await
        .unwrap();
    let (mut counts, mut declared) = (Vec::new(), 0);
    for n in [3, 30, 60] {
        while declared < n {
            declare(&app, &me, "Edge errors", 1, service.id).await;
            declared += 1;
        }
        let (res, statements) = app.statements_during(app.get_with(&client, "/")).await;
        assert_eq!(res.status(), 200);
        counts.push(statements.len());
    }
    // Past the 20 shown, the open incidents are counted: one statement more, then no
    // more however many there are.
    assert_eq!(counts[1], counts[0] + 1, "{counts:?}");
    assert_eq!(
        counts[1], counts[2],
        "no statement per incident: {counts:?}"
    );
    assert!(counts[2] <= 16, "{counts:?} statements for the home page");
}

async fn the_home_page_shows_the_worst_budgets_and_counts_the_rest(app: TestApp) {
    let (client, me) = app.signed_in(Role::Responder).await;
    let me = current(&app, &me).await;
    let admin = app::audit::service::Actor::default();
    let shown = app::home::OnCall::BUDGETS_SHOWN;
    let mut services = Vec::new();
    for n in 0..shown + 2 {
        // Looser targets further down: the same outage leaves them more budget.
        let service = add_service(
            &app.db,
            &admin,
            &ServiceForm {
                name: format!("Service {n:02}"),
                slo_target: format!("99.{}", 99 - n),
                slo_window_days: "30".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        services.push(service.id);
    }
    // One outage across them all, down for two hours so far: every budget exhausted.
    let severity_id = severities(&app.db).await.unwrap()[1].id;
    let reference = declare_incident(
        &app.db,
        &me,
        Declaration {
            title: "Region down".into(),
            severity_id: Some(severity_id),
            service_ids: services.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    down_for_two_hours(&app, &me, reference, services).await;

    let home = on_call(&app, &client).await;
    let budgets = home["budgets"].as_array().unwrap();
    assert_eq!(budgets.len(), shown, "only the worst are sent");
    assert_eq!(home["budgets_total"], shown as u64 + 2);
    assert!(budgets.iter().all(|b| b["exhausted"] == true));
    let html = app.get_with(&client, "/").await.text().await.unwrap();
    assert!(html.contains(&format!("The worst {shown} of {}", shown + 2)));
    assert_eq!(html.matches("href=\"/services/service-").count(), shown);
}

/// The budgets are kept between views (`db::Shared`), never past a change: the view after
/// a write shows it, whoever wrote and however soon.
async fn the_budgets_kept_between_views_follow_every_change_at_once(app: TestApp) {
    let (client, _) = app.signed_in(Role::Viewer).await;
    let admin = app::audit::service::Actor::default();
    let responder = app.with_user(Role::Responder).await;
    let payments = add_service(
        &app.db,
        &admin,
        &ServiceForm {
            name: "Payments".into(),
            slo_target: "99.9".into(),
            slo_window_days: "30".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        on_call(&app, &client).await["budgets"],
        serde_json::json!([])
    );
    // Read twice: the second view is the kept one.
    assert_eq!(on_call(&app, &client).await["budgets_total"], 0);

    let reference = declare(&app, &responder, "Payments down", 1, payments.id).await;
    down_for_two_hours(&app, &responder, reference, vec![payments.id]).await;
    let home = on_call(&app, &client).await;
    assert_eq!(home["budgets_total"], 1, "{home}");
    assert_eq!(home["budgets"][0]["service"]["name"], "Payments");
    assert_eq!(home["budgets"][0]["exhausted"], true);

    // Archiving is written outside a write transaction; it counts all the same.
    app::catalog::service::set_archived(&app.db, &admin, payments.id, true)
        .await
        .unwrap();
    let home = on_call(&app, &client).await;
    assert_eq!(home["budgets_total"], 0, "{home}");
    let html = app.get_with(&client, "/").await.text().await.unwrap();
    assert!(html.contains("No error budget is exhausted or burning fast."));
}

async fn the_instance_facts_are_on_the_admins_about_page(app: TestApp) {
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    assert_eq!(
        app.call_with(&viewer, "/rpc/system_status", &[])
            .await
            .status(),
        403
    );
    let (admin, _) = app.signed_in(Role::Admin).await;
    let html = app
        .get_with(&admin, "/admin/about")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("About this instance"));
    let database = match app.backend {
        crate::support::Backend::Sqlite => "SQLite",
        crate::support::Backend::Postgres => "PostgreSQL",
    };
    assert!(
        html.contains(&format!("data-testid=\"database\">{database}<")),
        "{html}"
    );
    assert!(html.contains(env!("CARGO_PKG_VERSION")));
    // The home page no longer shows them.
    let home = app.get_with(&admin, "/").await.text().await.unwrap();
    assert!(!home.contains("data-testid=\"database\""));
    // The admin menu links the page; a viewer's has no admin menu.
    assert!(home.contains("href=\"/admin/about\""));
    let home = app.get_with(&viewer, "/").await.text().await.unwrap();
    assert!(!home.contains("href=\"/admin/"));
}
