//! Rules on both backends: every action does what it says and leaves one timeline event,
//! conditions and triggers match as written (table-driven), two rules undoing each other
//! stop at the depth limit, and admins write, try, enable and delete rules through the
//! forms and the API, audited, with hostile input refused or shown as text.

use app::accounts::{CurrentUser, Role};
use app::action_items::Priority;
use app::action_items::entities::action_item;
use app::audit::entities::audit_log;
use app::error::AppError;
use app::fields::service::create_field;
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
use app::rules::service::{check_input, create_rule, delete_rule, set_enabled, update_rule};
use app::rules::{
    Actions, Conditions, FieldMatch, ItemTemplate, RoleAssignment, RuleInput, StatusDraft, Trigger,
};
use app::status::PublicState;
use app::status::entities::draft;
use app::workflow::{
    change_severity, change_status, declare_incident, link_change, update_details, update_fields,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::api::{api, token_for};
use crate::support::TestApp;

backend_tests!(
    every_action_does_what_it_says_once_on_the_timeline,
    conditions_and_triggers_match_as_written,
    rules_undoing_each_other_stop_at_the_depth_limit,
    rules_through_forms_the_api_the_dry_run_and_the_audit_log,
    a_rule_saved_paused_or_deleted_counts_from_the_next_change,
);

async fn add_rule(app: &TestApp, admin: &CurrentUser, input: RuleInput) -> i64 {
    let input = check_input(&app.db, admin, &input).await.unwrap();
    create_rule(&app.db, &admin.actor(None), &input)
        .await
        .unwrap()
}

fn rule(name: &str, trigger: Trigger, conditions: Conditions, actions: Actions) -> RuleInput {
    RuleInput {
        name: name.into(),
        description: String::new(),
        trigger,
        conditions,
        actions,
        enabled: true,
    }
}

async fn service(app: &TestApp, name: &str) -> i64 {
    let name = format!("{name} {}", uuid::Uuid::new_v4().simple());
    app::catalog::service::create_service(&app.db, &name, None)
        .await
        .unwrap()
        .id
}

async fn declare(
    app: &TestApp,
    ic: &CurrentUser,
    title: &str,
    severity_id: i64,
    service_id: i64,
    extra: Declaration,
) -> IncidentRef {
    declare_incident(
        &app.db,
        ic,
        Declaration {
            title: title.into(),
            severity_id: Some(severity_id),
            service_ids: vec![service_id],
            ..extra
        },
    )
    .await
    .unwrap()
}

/// A "Region" select (EU, US) asked of every type, never required.
async fn region_field(app: &TestApp, admin: &CurrentUser) -> i64 {
    create_field(
        &app.db,
        &admin.actor(None),
        &FieldInput {
            label: "Region".into(),
            description: String::new(),
            kind: FieldKind::Select,
            options: vec!["EU".into(), "US".into()],
            required_at: Stage::Never,
            type_ids: vec![],
        },
    )
    .await
    .unwrap()
}

/// The bodies of the incident's rule events, oldest first.
async fn runs(app: &TestApp, reference: IncidentRef) -> Vec<String> {
    let mut bodies: Vec<(chrono::DateTime<chrono::Utc>, i64, String)> =
        timeline(&app.db, reference, Role::Responder)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == EventKind::RuleRan)
            .map(|e| (e.occurred_at, e.id, e.body))
            .collect();
    bodies.sort();
    bodies.into_iter().map(|b| b.2).collect()
}

async fn version(app: &TestApp, reference: IncidentRef) -> i32 {
    get_incident(&app.db, reference).await.unwrap().version
}

async fn every_action_does_what_it_says_once_on_the_timeline(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let comms = app.with_user(Role::Responder).await;
    let levels = severities(&app.db).await.unwrap();
    let (worst, least) = (levels[0].id, levels[levels.len() - 1].id);
    let form = PlaybookForm {
        title: "Customer comms".into(),
        body: String::new(),
        steps: "Draft the notice\nSend it".into(),
        services: String::new(),
    };
    let (spec, services) = check_form(&app.db, &form).await.unwrap();
    let playbook = create_playbook(&app.db, &ic.actor(None), &spec, &services)
        .await
        .unwrap();
    create_channel(
        &app.db,
        &admin,
        ChannelForm {
            name: "#exec".into(),
            kind: "webhook".into(),
            url: "https://hooks.example.com/exec".into(),
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
        .unwrap()
        .id;
    let region = region_field(&app, &admin).await;
    let svc = service(&app, "Checkout").await;

    // Each case: one rule with one action, one declaration, then what must be true.
    let cases: Vec<(&str, Actions)> = vec![
        (
            "playbook",
            Actions {
                playbook_id: Some(playbook.0),
                ..Default::default()
            },
        ),
        (
            "role",
            Actions {
                assign_role: Some(RoleAssignment {
                    role: IncidentRole::Communications,
                    user_id: comms.id.0,
                }),
                ..Default::default()
            },
        ),
        (
            "item",
            Actions {
                action_item: Some(ItemTemplate {
                    title: "Send the letter".into(),
                    priority: Priority::High,
                    due_in_days: Some(2),
                }),
                ..Default::default()
            },
        ),
        (
            "field",
            Actions {
                set_field: Some(FieldMatch {
                    field_id: region,
                    value: "eu".into(),
                }),
                ..Default::default()
            },
        ),
        (
            "channel",
            Actions {
                channel_id: Some(channel),
                ..Default::default()
            },
        ),
        (
            "postmortem",
            Actions {
                require_postmortem: true,
                ..Default::default()
            },
        ),
        (
            "draft",
            Actions {
                status_draft: Some(StatusDraft {
                    state: PublicState::Identified,
                    body: "We found it.".into(),
                }),
                ..Default::default()
            },
        ),
        (
            "severity",
            Actions {
                set_severity_id: Some(worst),
                ..Default::default()
            },
        ),
    ];
    for (name, actions) in cases {
        let id = add_rule(
            &app,
            &admin,
            rule(
                &format!("Rule {name}"),
                Trigger::Declared,
                Conditions::default(),
                actions,
            ),
        )
        .await;
        let reference = declare(
            &app,
            &ic,
            &format!("Case {name}"),
            least,
            svc,
            Declaration::default(),
        )
        .await;
        let done = runs(&app, reference).await;
        assert_eq!(done.len(), 1, "{name}: one event per run: {done:?}");
        assert!(
            done[0].starts_with(&format!(
                "Rule **Rule {name}** ran (an incident is declared): "
            )),
            "{name}: {}",
            done[0]
        );
        let incident = get_incident(&app.db, reference).await.unwrap();
        match name {
            "playbook" => {
                let lists = incident_playbooks(&app.db, reference).await.unwrap();
                assert_eq!(lists.checklists.len(), 1);
                assert!(
                    done[0].contains("attached the playbook Customer comms"),
                    "{}",
                    done[0]
                );
            }
            "role" => {
                let holder = incident
                    .roles
                    .iter()
                    .find(|r| r.role == IncidentRole::Communications);
                assert_eq!(
                    holder.map(|r| r.user_id),
                    Some(comms.id.0),
                    "{:?}",
                    incident.roles
                );
            }
            "item" => {
                let item = action_item::Entity::find()
                    .filter(action_item::Column::IncidentId.eq(reference.0))
                    .one(&app.db)
                    .await
                    .unwrap()
                    .expect("an action item");
                assert_eq!(item.title, "Send the letter");
                assert_eq!(item.priority, Priority::High);
                assert_eq!(item.owner_id, Some(ic.id.0), "owned by the commander");
                assert_eq!(
                    item.due_on,
                    Some(chrono::Utc::now().date_naive() + chrono::Days::new(2))
                );
            }
            "field" => {
                let fields = app::fields::service::incident_fields(&app.db, reference)
                    .await
                    .unwrap();
                let held = fields
                    .entries
                    .iter()
                    .find(|e| e.field.id == region)
                    .unwrap();
                assert_eq!(
                    held.values[0].value, "EU",
                    "stored as the option is spelled"
                );
            }
            "channel" => {
                let told = delivery::Entity::find()
                    .filter(delivery::Column::ChannelId.eq(channel))
                    .filter(delivery::Column::IncidentId.eq(reference.0))
                    .all(&app.db)
                    .await
                    .unwrap();
                assert_eq!(
                    told.len(),
                    1,
                    "told once although it subscribes to no declarations"
                );
                assert!(
                    told[0].payload.contains("incident.rule_matched"),
                    "{}",
                    told[0].payload
                );
                assert!(
                    told[0].payload.contains("Rule channel"),
                    "{}",
                    told[0].payload
                );
            }
            "postmortem" => {
                for (i, to) in [Status::Resolved, Status::Closed].into_iter().enumerate() {
                    let v = version(&app, reference).await;
                    let result = change_status(&app.db, &ic, reference, to, None, v).await;
                    if i == 1 {
                        let message = result.unwrap_err().field_message("status").unwrap();
                        assert!(message.starts_with("The rule “Rule postmortem” says this incident needs a published postmortem"), "{message}");
                    } else {
                        result.unwrap();
                    }
                }
            }
            "draft" => {
                let drafted = draft::Entity::find_by_id(reference.0)
                    .one(&app.db)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(
                    (
                        drafted.state,
                        drafted.body.as_str(),
                        drafted.rule_name.as_str()
                    ),
                    (PublicState::Identified, "We found it.", "Rule draft")
                );
            }
            "severity" => assert_eq!(incident.severity.id, worst),
            other => unreachable!("{other}"),
        }
        delete_rule(&app.db, &admin.actor(None), id).await.unwrap();
    }
    // A rule whose playbook was archived since says so instead of failing the change.
    let id = add_rule(
        &app,
        &admin,
        rule(
            "Again",
            Trigger::Declared,
            Conditions::default(),
            Actions {
                playbook_id: Some(playbook.0),
                ..Default::default()
            },
        ),
    )
    .await;
    app::playbooks::service::set_archived(&app.db, &ic.actor(None), playbook, true)
        .await
        .unwrap();
    let reference = declare(
        &app,
        &ic,
        "After archiving",
        least,
        svc,
        Declaration::default(),
    )
    .await;
    let done = runs(&app, reference).await;
    assert!(
        done[0].contains("did not attach the playbook Customer comms: it is archived"),
        "{done:?}"
    );
    delete_rule(&app.db, &admin.actor(None), id).await.unwrap();
}

async fn conditions_and_triggers_match_as_written(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let levels = severities(&app.db).await.unwrap();
    let (sev1, sev2, low) = (levels[0].id, levels[1].id, levels[levels.len() - 1].id);
    let (checkout, search) = (
        service(&app, "Checkout").await,
        service(&app, "Search").await,
    );
    let security = app::fields::service::save_type(
        &app.db,
        &admin.actor(None),
        None,
        &TypeInput {
            name: "Security".into(),
            ..Default::default()
        },
        &[],
        &[],
        1,
    )
    .await
    .unwrap();
    let region = region_field(&app, &admin).await;
    let tag = |name: &str| Actions {
        action_item: Some(ItemTemplate {
            title: format!("from {name}"),
            priority: Priority::Low,
            due_in_days: None,
        }),
        ..Default::default()
    };
    // Conditions on declaration: (rule, conditions).
    let rules = [
        (
            "at least SEV2",
            Conditions {
                min_severity_id: Some(sev2),
                ..Default::default()
            },
        ),
        (
            "checkout",
            Conditions {
                service_ids: vec![checkout],
                ..Default::default()
            },
        ),
        (
            "security",
            Conditions {
                type_id: Some(security),
                ..Default::default()
            },
        ),
        (
            "in the EU",
            Conditions {
                field: Some(FieldMatch {
                    field_id: region,
                    value: "EU".into(),
                }),
                ..Default::default()
            },
        ),
        (
            "all four",
            Conditions {
                min_severity_id: Some(sev1),
                service_ids: vec![checkout, search],
                type_id: Some(security),
                field: Some(FieldMatch {
                    field_id: region,
                    value: "EU".into(),
                }),
            },
        ),
    ];
    let mut ids = Vec::new();
    for (name, conditions) in rules.clone() {
        ids.push(
            add_rule(
                &app,
                &admin,
                rule(name, Trigger::Declared, conditions, tag(name)),
            )
            .await,
        );
    }
    let eu = FieldValues::from([(region, vec!["EU".to_owned()])]);
    let us = FieldValues::from([(region, vec!["US".to_owned()])]);
    // (severity, service, type, region) → the rules that ran, in order.
    type Incident = (i64, i64, Option<i64>, FieldValues);
    let cases: Vec<(Incident, Vec<&str>)> = vec![
        ((low, search, None, us.clone()), vec![]),
        ((sev2, search, None, us.clone()), vec!["at least SEV2"]),
        (
            (sev1, search, None, FieldValues::new()),
            vec!["at least SEV2"],
        ),
        ((low, checkout, None, us.clone()), vec!["checkout"]),
        ((low, search, Some(security), us.clone()), vec!["security"]),
        ((low, search, None, eu.clone()), vec!["in the EU"]),
        (
            (sev2, checkout, Some(security), eu.clone()),
            vec!["at least SEV2", "checkout", "security", "in the EU"],
        ),
        (
            (sev1, search, Some(security), eu.clone()),
            vec!["at least SEV2", "security", "in the EU", "all four"],
        ),
    ];
    for ((severity, svc, kind, fields), expected) in cases {
        let reference = declare(
            &app,
            &ic,
            "Case",
            severity,
            svc,
            Declaration {
                type_id: kind,
                fields: fields.clone(),
                ..Default::default()
            },
        )
        .await;
        let ran: Vec<String> = runs(&app, reference)
            .await
            .iter()
            .map(|b| {
                b.trim_start_matches("Rule **")
                    .split("**")
                    .next()
                    .unwrap()
                    .replace('\\', "")
            })
            .collect();
        assert_eq!(
            ran, expected,
            "severity {severity}, service {svc}, type {kind:?}, {fields:?}"
        );
    }
    for id in ids {
        delete_rule(&app.db, &admin.actor(None), id).await.unwrap();
    }

    // Each trigger fires its own rules, only when its change happens.
    for trigger in Trigger::ALL {
        add_rule(
            &app,
            &admin,
            rule(
                trigger.as_str(),
                trigger,
                Conditions::default(),
                tag(trigger.as_str()),
            ),
        )
        .await;
    }
    let fired = |bodies: Vec<String>| -> Vec<String> {
        bodies
            .iter()
            .map(|b| {
                b.trim_start_matches("Rule **")
                    .split("**")
                    .next()
                    .unwrap()
                    .replace('\\', "")
            })
            .collect()
    };
    let reference = declare(&app, &ic, "Plain", low, search, Declaration::default()).await;
    assert_eq!(fired(runs(&app, reference).await), ["declared"]);
    let slug = app::catalog::entities::service::Entity::find_by_id(search)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .slug;
    let v = version(&app, reference).await;
    change_severity(&app.db, &ic, reference, sev2, v)
        .await
        .unwrap();
    let v = version(&app, reference).await;
    change_severity(&app.db, &ic, reference, sev2, v)
        .await
        .unwrap();
    assert_eq!(
        fired(runs(&app, reference).await),
        ["declared", "severity_changed"],
        "no change, no run"
    );
    let v = version(&app, reference).await;
    change_status(&app.db, &ic, reference, Status::Investigating, None, v)
        .await
        .unwrap();
    let v = version(&app, reference).await;
    let incident = get_incident(&app.db, reference).await.unwrap();
    let details = app::incidents::service::edit::Details {
        title: incident.title.clone(),
        summary: incident.summary.clone(),
        customer_impact: true,
        service_ids: vec![search],
        times: incident.times.clone(),
    };
    update_details(&app.db, &ic, reference, details.clone(), v)
        .await
        .unwrap();
    let v = version(&app, reference).await;
    update_details(&app.db, &ic, reference, details, v)
        .await
        .unwrap();
    let v = version(&app, reference).await;
    update_fields(
        &app.db,
        &ic,
        reference,
        Some(security),
        &FieldValues::new(),
        v,
    )
    .await
    .unwrap();
    let recorded = app::changes::service::record(
        &app.db,
        None,
        &app::changes::service::NewChange {
            title: "Deploy 41".into(),
            services: vec![slug],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let change_id = recorded.change.id;
    link_change(
        &app.db,
        &ic,
        reference,
        change_id,
        Some(app::changes::Cause::Suspected),
    )
    .await
    .unwrap();
    link_change(
        &app.db,
        &ic,
        reference,
        change_id,
        Some(app::changes::Cause::Confirmed),
    )
    .await
    .unwrap();
    assert_eq!(
        fired(runs(&app, reference).await),
        [
            "declared",
            "severity_changed",
            "status_changed",
            "impact_set",
            "type_set",
            "change_linked"
        ],
        "impact set once, a change linked once (confirming it is no new link)"
    );
    // Software declaring with customer impact fires declared, alert, impact set.
    let alerted = declare(
        &app,
        &ic,
        "Paged",
        low,
        search,
        Declaration {
            unattended: true,
            customer_impact: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        fired(runs(&app, alerted).await),
        ["declared", "alert", "impact_set"]
    );
}

async fn rules_undoing_each_other_stop_at_the_depth_limit(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let levels = severities(&app.db).await.unwrap();
    let (sev1, sev2, low) = (levels[0].id, levels[1].id, levels[levels.len() - 1].id);
    let svc = service(&app, "Search").await;
    let set = |id| Actions {
        set_severity_id: Some(id),
        ..Default::default()
    };
    add_rule(
        &app,
        &admin,
        rule(
            "Up",
            Trigger::SeverityChanged,
            Conditions {
                min_severity_id: Some(sev2),
                ..Default::default()
            },
            set(sev1),
        ),
    )
    .await;
    add_rule(
        &app,
        &admin,
        rule(
            "Down",
            Trigger::SeverityChanged,
            Conditions {
                min_severity_id: Some(sev1),
                ..Default::default()
            },
            set(sev2),
        ),
    )
    .await;
    let reference = declare(&app, &ic, "Ping-pong", low, svc, Declaration::default()).await;
    let v = version(&app, reference).await;
    change_severity(&app.db, &ic, reference, sev2, v)
        .await
        .unwrap();
    let done = runs(&app, reference).await;
    // Each round both run (Down sees what Up did); the fourth round is refused.
    let expected = ["Up", "Down", "Up", "Down", "Up", "Down"];
    assert_eq!(done.len(), expected.len() + 1, "{done:#?}");
    for (body, name) in done.iter().zip(expected) {
        assert!(
            body.starts_with(&format!(
                "Rule **{name}** ran (its severity changes): set the severity to "
            )),
            "{body}"
        );
    }
    assert!(
        done[6].starts_with("Rules stopped: Up matched again after 3 rounds"),
        "{}",
        done[6]
    );
    assert_eq!(
        get_incident(&app.db, reference).await.unwrap().severity.id,
        sev2
    );
    let severity_events = timeline(&app.db, reference, Role::Responder)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::SeverityChanged)
        .count();
    assert_eq!(
        severity_events, 7,
        "the person's change and the six the rules made"
    );
}

async fn rules_through_forms_the_api_the_dry_run_and_the_audit_log(app: TestApp) {
    let (admin, admin_user) = app.signed_in(Role::Admin).await;
    let (responder, _) = app.signed_in(Role::Responder).await;
    let ic = app.with_user(Role::Responder).await;
    let levels = severities(&app.db).await.unwrap();
    let sev2 = levels[1].id.to_string();
    let form = [
        ("form[name]", "SEV2 <script>alert(1)</script>"),
        ("form[trigger]", "declared"),
        ("form[min_severity_id]", sev2.as_str()),
        ("form[item_title]", "Review the <b>runbook</b>"),
        ("form[item_priority]", "high"),
        ("form[item_due_days]", "5"),
    ];
    assert_eq!(
        app.call_with(&responder, "/rpc/save_rule", &form)
            .await
            .status(),
        403
    );
    let res = app.call_with(&admin, "/rpc/save_rule", &form).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id: i64 = res.json().await.unwrap();
    // Bad input: every error beside its field.
    let bad = app
        .call_with(
            &admin,
            "/rpc/save_rule",
            &[
                ("form[name]", ""),
                ("form[trigger]", "declared"),
                ("form[role]", "scribe"),
                ("form[role_user_id]", "999999"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let text = bad.text().await.unwrap();
    assert!(
        text.contains("role_user_id") && text.contains("name"),
        "{text}"
    );
    let none = app
        .call_with(
            &admin,
            "/rpc/save_rule",
            &[("form[name]", "Nothing"), ("form[trigger]", "declared")],
        )
        .await;
    assert_eq!(none.status(), 422);
    assert!(none.text().await.unwrap().contains("at least one thing"));

    // A draft runs on nothing; its page shows the markup as text.
    let svc = service(&app, "Checkout").await;
    let quiet = declare(
        &app,
        &ic,
        "Before enabling",
        levels[0].id,
        svc,
        Declaration::default(),
    )
    .await;
    assert!(runs(&app, quiet).await.is_empty());
    let page = app.get_with(&admin, &format!("/admin/rules/{id}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "the name is escaped"
    );
    assert!(html.contains("SEV2 &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Draft"));
    let list = app
        .get_with(&admin, "/admin/rules")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("add the action item “Review the &lt;b&gt;runbook&lt;/b&gt;”"),
        "in words"
    );
    let refused = app.get_with(&responder, "/admin/rules").await;
    assert_eq!(refused.status(), 403, "admins only");
    assert!(!refused.text().await.unwrap().contains("SEV2 &lt;script"));

    // The dry run: the page's GET form, the server function and the API agree.
    let low = levels[levels.len() - 1].id;
    let calm = declare(&app, &ic, "Calm", low, svc, Declaration::default()).await;
    let tried = app
        .get_with(&admin, &format!("/admin/rules/{id}?incident={quiet}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        tried.contains(&format!(
            "When an incident is declared, on {quiet} this rule would:"
        )),
        "dry run on the page"
    );
    assert!(tried.contains("As a draft it runs on nothing"));
    // Before saving: the form's Dry run sends the form as written (GET), saves nothing,
    // and comes back filled in, with errors beside their fields.
    let before = app::rules::service::list_rules(&app.db)
        .await
        .unwrap()
        .len();
    let unsaved = format!(
        "/admin/rules/new?form%5Bname%5D=Not+yet&form%5Btrigger%5D=declared&form%5Bservices%5D%5B%5D={svc}&form%5Bitem_title%5D=Unsaved+%3Ci%3Eitem%3C%2Fi%3E&incident={quiet}"
    );
    let html = app.get_with(&admin, &unsaved).await.text().await.unwrap();
    assert!(
        html.contains(&format!("on {quiet} this rule would:")),
        "the unsaved rule tried"
    );
    assert!(html.contains("add the action item “Unsaved &lt;i&gt;item&lt;/i&gt;”"));
    assert!(
        html.contains("value=\"Not yet\""),
        "the form comes back filled in"
    );
    assert!(html.contains(&format!("<option value=\"{svc}\" selected")));
    let html = app
        .get_with(&admin, &format!("/admin/rules/new?form%5Bname%5D=Nothing&form%5Btrigger%5D=declared&incident={quiet}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Choose at least one thing for the rule to do."));
    let html = app
        .get_with(&admin, &format!("/admin/rules/{id}?form%5Bname%5D=Edited&form%5Btrigger%5D=declared&form%5Bitem_title%5D=Other&incident=nonsense"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Name an incident like INC-42."),
        "beside the incident"
    );
    assert!(html.contains("value=\"Edited\""));
    assert_eq!(
        app::rules::service::list_rules(&app.db)
            .await
            .unwrap()
            .len(),
        before,
        "nothing saved"
    );
    let (_, token) = token_for(&app, Role::Admin, "30").await;
    let (_, responder_token) = token_for(&app, Role::Responder, "30").await;
    let (status, dry) = api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/rules/{id}/dry-run"),
        Some(&token),
        Some(json!({"incident": calm.to_string()})),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["matches"], false);
    assert!(
        dry["lines"][1]
            .as_str()
            .unwrap()
            .contains("is less severe than"),
        "{dry}"
    );
    let (status, _) = api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/rules/{id}/dry-run"),
        Some(&token),
        Some(json!({"incident": "INC-999999"})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/rules/{id}/dry-run"),
        Some(&responder_token),
        Some(json!({"incident": "1"})),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(count(&app, calm).await, 0, "a dry run writes nothing");

    // Enabled by the form: the next declaration runs it.
    let res = app
        .call_with(
            &admin,
            "/rpc/enable_rule",
            &[
                ("id", &id.to_string()),
                ("version", "1"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let stale = app
        .call_with(
            &admin,
            "/rpc/enable_rule",
            &[
                ("id", &id.to_string()),
                ("version", "1"),
                ("enabled", "false"),
            ],
        )
        .await;
    assert_eq!(stale.status(), 409, "a stale switch is refused");
    let loud = declare(
        &app,
        &ic,
        "After enabling",
        levels[0].id,
        svc,
        Declaration::default(),
    )
    .await;
    assert_eq!(runs(&app, loud).await.len(), 1);
    assert_eq!(count(&app, loud).await, 1);

    // The API: list, read, change at a version, refuse bad references, delete.
    let (status, listed) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/rules",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["rules"][0]["enabled"], true);
    assert_eq!(
        listed["rules"][0]["actions"]["action_item"]["due_in_days"],
        5
    );
    let (status, _) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/rules",
        Some(&responder_token),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let body = json!({
        "name": "Exec channel", "trigger": "severity_changed",
        "conditions": {"service_ids": [svc]},
        "actions": {"playbook_id": 999999},
    });
    let (status, refused) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/rules",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["field"], "playbook_id");
    let (status, refused) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/rules",
        Some(&token),
        Some(json!({"name": "x", "trigger": "whenever", "actions": {}})),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let body = json!({
        "name": "Exec", "trigger": "status_changed",
        "actions": {"require_postmortem": true},
    });
    let (status, created) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/rules",
        Some(&token),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let second = created["id"].as_i64().unwrap();
    assert_eq!(created["enabled"], false, "a draft unless enabled");
    let (status, _) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/rules",
        Some(&token),
        Some(
            json!({"name": "EXEC", "trigger": "declared", "actions": {"require_postmortem": true}}),
        ),
    )
    .await;
    assert_eq!(status, 422, "names are unique whatever the case");
    let mut change = body.clone();
    change["version"] = json!(1);
    change["enabled"] = json!(true);
    let (status, saved) = api(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/rules/{second}"),
        Some(&token),
        Some(change.clone()),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 2);
    let (status, _) = api(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/rules/{second}"),
        Some(&token),
        Some(change),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = api(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/rules/{second}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/rules/{second}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/rules/abc",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Every change is audited, naming who.
    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("rule."))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "rule.created",
            "rule.updated",
            "rule.created",
            "rule.updated",
            "rule.deleted"
        ]
    );
    let first = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("rule.created"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.actor_email.as_deref(),
        Some(admin_user.email.as_str())
    );
    // Saving through the service at a stale version is refused too.
    let input = check_input(
        &app.db,
        &ic,
        &rule(
            "Late",
            Trigger::Declared,
            Conditions::default(),
            Actions {
                require_postmortem: true,
                ..Default::default()
            },
        ),
    )
    .await
    .unwrap();
    let refused = update_rule(&app.db, &ic.actor(None), id, &input, 1)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Conflict { .. }));

    // A drafted status update waits on the incident page, filled in, for a person.
    crate::status_page::switch_on(&app, &admin, "0", true).await;
    let body = json!({
        "name": "First words", "trigger": "declared", "enabled": true,
        "actions": {"status_draft": {"state": "identified", "body": "Payments <fail> for some & we know why."}, "require_postmortem": true},
    });
    let (status, created) = api(
        &app,
        reqwest::Method::POST,
        "/api/v1/rules",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let drafted = declare(&app, &ic, "Drafted", low, svc, Declaration::default()).await;
    let page = app
        .get_with(&admin, &format!("/incidents/{drafted}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-testid=\"status-draft\""),
        "the draft is announced"
    );
    assert!(page.contains("First words") && page.contains("drafted this update."));
    assert!(
        page.contains("Payments &lt;fail&gt; for some &amp; we know why.</textarea>"),
        "filled in, as text"
    );
    assert!(
        page.contains("<option value=\"identified\" selected"),
        "in the draft's state"
    );
    assert!(
        page.contains("asks for a published postmortem before this incident closes."),
        "the postmortem card says why it is needed"
    );
}

/// The action items on an incident.
async fn count(app: &TestApp, reference: IncidentRef) -> u64 {
    action_item::Entity::find()
        .filter(action_item::Column::IncidentId.eq(reference.0))
        .count(&app.db)
        .await
        .unwrap()
}

/// The enabled rules are kept between changes (read before the writer's turn): a rule
/// saved, turned off, turned on again or deleted counts from the very next change.
async fn a_rule_saved_paused_or_deleted_counts_from_the_next_change(app: TestApp) {
    let admin = app.with_user(Role::Admin).await;
    let ic = app.with_user(Role::Responder).await;
    let least = severities(&app.db).await.unwrap().last().unwrap().id;
    let svc = service(&app, "Billing").await;
    let rules_run = |title: &'static str| {
        let (app, ic) = (&app, &ic);
        async move {
            let reference = declare(app, ic, title, least, svc, Declaration::default()).await;
            runs(app, reference).await.len()
        }
    };
    assert_eq!(rules_run("No rule yet").await, 0);
    let actions = Actions {
        require_postmortem: true,
        ..Default::default()
    };
    let input = rule(
        "Postmortem always",
        Trigger::Declared,
        Conditions::default(),
        actions,
    );
    let id = add_rule(&app, &admin, input).await;
    assert_eq!(rules_run("Rule saved").await, 1, "saved");
    let actor = admin.actor(None);
    set_enabled(&app.db, &actor, id, false, 1).await.unwrap();
    assert_eq!(rules_run("Rule off").await, 0, "turned off");
    set_enabled(&app.db, &actor, id, true, 2).await.unwrap();
    assert_eq!(rules_run("Rule on").await, 1, "turned on again");
    delete_rule(&app.db, &actor, id).await.unwrap();
    assert_eq!(rules_run("Rule gone").await, 0, "deleted");
}
