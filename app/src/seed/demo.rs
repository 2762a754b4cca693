//! `vigil seed --demo`: a small, believable history for a first look. Built through the
//! same service functions the UI uses (so it obeys every rule), then with the automatic
//! timeline entries moved to the moments they describe.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, Set,
};

use crate::accounts::{CurrentUser, Role};
use crate::action_items::service::{ItemFields, create_action_item};
use crate::action_items::{ItemKind, Priority};
use crate::audit::service::Actor;
use crate::catalog::form::ServiceForm;
use crate::catalog::service::add_service;
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::entities::{incident, severity, timeline_event};
use crate::incidents::service::declare::Declaration;
use crate::incidents::service::edit::Details;
use crate::incidents::service::timeline::{NewNote, add_note};
use crate::incidents::{EventKind, IncidentRef, IncidentRole, Marker, Status, Timestamps};
use crate::postmortems::ReviewStep;
use crate::postmortems::service::query::get_postmortem;
use crate::postmortems::service::review::{set_reviewers, take_review_step};
use crate::postmortems::service::write::{PostmortemEdit, create_postmortem, save_postmortem};
use crate::workflow::assign_role;
use crate::workflow::update_details;
use crate::workflow::{change_status, declare_incident};

/// What the demo added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Demo {
    pub services: usize,
    pub incidents: usize,
    /// Changes in the deploy history (not counting the outage's deploy and rollback).
    pub changes: usize,
}

struct ServiceSpec {
    name: &'static str,
    team: &'static str,
    tier: &'static str,
    slo: &'static str,
    window: &'static str,
    rule: &'static str,
    description: &'static str,
    runbooks: &'static str,
}

const SERVICES: [ServiceSpec; 5] = [
    ServiceSpec {
        name: "Checkout API",
        team: "Payments",
        tier: "1",
        slo: "99.9",
        window: "30",
        rule: "",
        description: "Takes orders from the web and mobile apps and hands them to the payments gateway.",
        runbooks: "High error rate | https://runbooks.example.com/checkout/errors\nRoll back a deploy | https://runbooks.example.com/checkout/rollback",
    },
    ServiceSpec {
        name: "Payments gateway",
        team: "Payments",
        tier: "1",
        slo: "99.95",
        window: "28",
        rule: "2",
        description: "Talks to the card processors. **Only SEV1 and SEV2 incidents count against its SLO.**",
        runbooks: "Processor failover | https://runbooks.example.com/payments/failover",
    },
    ServiceSpec {
        name: "Shakespeare search",
        team: "Search",
        tier: "2",
        slo: "99.5",
        window: "30",
        rule: "",
        description: "Full-text search over the works of Shakespeare (after the SRE book's example postmortem).",
        runbooks: "Overload and load shedding | https://runbooks.example.com/search/overload\nRebuild the index | https://runbooks.example.com/search/reindex",
    },
    ServiceSpec {
        name: "Sign-in",
        team: "Identity",
        tier: "1",
        slo: "99.99",
        window: "30",
        rule: "",
        description: "Passwords, SSO and sessions for every product.",
        runbooks: "Identity provider outage | https://runbooks.example.com/identity/idp",
    },
    ServiceSpec {
        name: "Internal admin tools",
        team: "Platform",
        tier: "3",
        slo: "",
        window: "30",
        rule: "",
        description: "Back-office tools for support staff.",
        runbooks: "",
    },
];

/// One incident of the story: minutes are measured from the impact start.
struct Story {
    title: &'static str,
    services: &'static [usize],
    severity: i32,
    days_ago: i64,
    detect: i64,
    declare: i64,
    ack: i64,
    /// `None`: still being worked on.
    mitigate: Option<i64>,
    resolve: Option<i64>,
    notes: &'static [(i64, &'static str, Option<Marker>)],
}

const STORIES: [Story; 12] = [
    Story {
        title: "Checkout returns 502 after deploy",
        services: &[0],
        severity: 2,
        days_ago: 84,
        detect: 3,
        declare: 6,
        ack: 8,
        mitigate: Some(34),
        resolve: Some(60),
        notes: &[
            (
                4,
                "Error rate alert for Checkout API fired (5xx > 5%).",
                Some(Marker::Detection),
            ),
            (
                20,
                "Deploy 2026.08.31-2 changed the connection pool size; rolling back.",
                Some(Marker::Diagnosis),
            ),
            (
                34,
                "Rollback complete; error rate back to baseline.",
                Some(Marker::Repair),
            ),
        ],
    },
    Story {
        title: "Card payments declined for one processor",
        services: &[1],
        severity: 1,
        days_ago: 71,
        detect: 2,
        declare: 5,
        ack: 6,
        mitigate: Some(48),
        resolve: Some(95),
        notes: &[
            (
                2,
                "Decline rate for processor A jumped from 2% to 40%.",
                Some(Marker::Detection),
            ),
            (
                25,
                "Processor A confirms a regional outage on their side.",
                Some(Marker::Diagnosis),
            ),
            (
                48,
                "Traffic failed over to processor B.",
                Some(Marker::Repair),
            ),
        ],
    },
    Story {
        title: "Search latency above 2 s",
        services: &[2],
        severity: 3,
        days_ago: 63,
        detect: 10,
        declare: 15,
        ack: 20,
        mitigate: Some(90),
        resolve: Some(120),
        notes: &[
            (
                12,
                "p99 latency alert; CPU saturated on the search tier.",
                Some(Marker::Detection),
            ),
            (
                60,
                "A slow query pattern from a new client; rate limited it.",
                Some(Marker::Diagnosis),
            ),
        ],
    },
    Story {
        title: "Sign-in emails delayed",
        services: &[3],
        severity: 3,
        days_ago: 55,
        detect: 30,
        declare: 35,
        ack: 40,
        mitigate: Some(110),
        resolve: Some(130),
        notes: &[
            (
                35,
                "Support reports password reset emails arriving an hour late.",
                Some(Marker::Detection),
            ),
            (110, "Mail provider queue drained.", Some(Marker::Repair)),
        ],
    },
    Story {
        title: "Shakespeare search down: query of death",
        services: &[2],
        severity: 1,
        days_ago: 42,
        detect: 4,
        declare: 8,
        ack: 9,
        mitigate: Some(66),
        resolve: Some(140),
        notes: &[
            (
                4,
                "Search error rate 100%: every backend crashing and restarting.",
                Some(Marker::Detection),
            ),
            (
                30,
                "Crashes follow queries for the newly found sonnet: a file descriptor leak on terms absent from the corpus.",
                Some(Marker::Diagnosis),
            ),
            (
                52,
                "Traffic shifted to a sacrificial cluster; index updated with the new sonnet.",
                None,
            ),
            (
                66,
                "Error rate back to 0; serving normally.",
                Some(Marker::Repair),
            ),
        ],
    },
    Story {
        title: "Admin tools slow to load",
        services: &[4],
        severity: 4,
        days_ago: 36,
        detect: 60,
        declare: 70,
        ack: 80,
        mitigate: Some(200),
        resolve: Some(220),
        notes: &[(
            70,
            "Support staff report 20 s page loads.",
            Some(Marker::Detection),
        )],
    },
    Story {
        title: "Checkout and payments timeouts (network)",
        services: &[0, 1],
        severity: 2,
        days_ago: 27,
        detect: 2,
        declare: 4,
        ack: 5,
        mitigate: Some(41),
        resolve: Some(70),
        notes: &[
            (
                2,
                "Timeouts between Checkout API and the payments gateway.",
                Some(Marker::Detection),
            ),
            (
                30,
                "A top-of-rack switch is dropping packets; drained the rack.",
                Some(Marker::Diagnosis),
            ),
            (41, "Timeouts stopped after draining.", Some(Marker::Repair)),
        ],
    },
    Story {
        title: "SSO logins failing for one customer",
        services: &[3],
        severity: 2,
        days_ago: 19,
        detect: 15,
        declare: 18,
        ack: 19,
        mitigate: Some(55),
        resolve: Some(80),
        notes: &[
            (
                15,
                "Customer reports SSO errors after rotating their certificate.",
                Some(Marker::Detection),
            ),
            (
                55,
                "Metadata refreshed; logins work again.",
                Some(Marker::Repair),
            ),
        ],
    },
    Story {
        title: "Search index rebuild stuck",
        services: &[2],
        severity: 4,
        days_ago: 12,
        detect: 120,
        declare: 125,
        ack: 130,
        mitigate: Some(240),
        resolve: Some(260),
        notes: &[(
            125,
            "Nightly rebuild has not finished; serving yesterday's index.",
            Some(Marker::Detection),
        )],
    },
    Story {
        title: "Checkout error spike during sale",
        services: &[0],
        severity: 3,
        days_ago: 6,
        detect: 1,
        declare: 3,
        ack: 4,
        mitigate: Some(22),
        resolve: Some(30),
        notes: &[
            (
                1,
                "Traffic 4x normal; error rate 2%.",
                Some(Marker::Detection),
            ),
            (22, "Autoscaling caught up.", Some(Marker::Repair)),
        ],
    },
    Story {
        title: "Payments webhook backlog",
        services: &[1],
        severity: 3,
        days_ago: 1,
        detect: 5,
        declare: 9,
        ack: 12,
        mitigate: None,
        resolve: None,
        notes: &[
            (
                5,
                "Webhook queue depth growing; confirmations delayed by 10 minutes.",
                Some(Marker::Detection),
            ),
            (40, "Worker pool doubled; backlog shrinking slowly.", None),
        ],
    },
    Story {
        title: "Sign-in page intermittently slow",
        services: &[3],
        severity: 4,
        days_ago: 0,
        detect: 5,
        declare: 10,
        ack: 15,
        mitigate: None,
        resolve: None,
        notes: &[(
            10,
            "Synthetic check shows 1 in 20 sign-in page loads over 3 s.",
            Some(Marker::Detection),
        )],
    },
];

/// The SRE book's example postmortem, retold for the Shakespeare search outage.
const POSTMORTEM: [(&str, &str); 8] = [
    (
        "Summary",
        "Shakespeare search was down for 66 minutes during a period of very high interest in Shakespeare, after a newly discovered sonnet made the news.",
    ),
    (
        "Impact",
        "An estimated 1.2 billion queries were lost. No revenue impact. Search was unavailable to every user for the duration.",
    ),
    (
        "Root causes",
        "Cascading failure from a combination of exceptionally high load and a resource leak when searches failed because terms were not in the corpus. The new sonnet used a word that had never appeared in the works of Shakespeare before, which happened to be the term users searched for. Under normal circumstances the rate of task failures from resource leaks is low enough to go unnoticed.",
    ),
    (
        "Trigger",
        "A latent bug triggered by a sudden increase in traffic.",
    ),
    (
        "Resolution",
        "Directed traffic to a sacrificial cluster and added tenfold capacity to mitigate the cascading failure. Updated the index with the new sonnet and fixed the file descriptor leak.",
    ),
    (
        "Detection",
        "The error rate alert fired four minutes after impact began; the on-call engineer was paged.",
    ),
    (
        "Lessons learned",
        "### What went well\n- Monitoring quickly alerted us to the high rate of errors.\n- The rapid distribution of the updated corpus worked.\n\n### What went wrong\n- We are out of practice responding to cascading failure.\n- We exceeded our availability error budget by several orders of magnitude.\n\n### Where we got lucky\n- A mailing list of Shakespeare aficionados had a copy of the new sonnet available.\n- Server logs had stack traces pointing to file descriptor exhaustion.",
    ),
    (
        "Supporting information",
        "Monitoring dashboard and the load test results are linked from the incident's timeline.",
    ),
];

async fn person(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    role: Role,
) -> Result<CurrentUser, AppError> {
    let id = super::seed_user(db, email, name, role).await?;
    let model = crate::accounts::service::users::find(db, crate::accounts::UserId(id))
        .await?
        .ok_or(AppError::Internal)?;
    Ok(crate::accounts::service::users::to_current(&model))
}

async fn version(db: &impl ConnectionTrait, reference: IncidentRef) -> Result<i32, AppError> {
    Ok(crate::incidents::service::load(db, reference)
        .await?
        .version)
}

/// Loads the demo into a database without incidents; refuses otherwise, so it never
/// mixes with real data.
pub async fn seed_demo(db: &impl Writer, now: DateTime<Utc>) -> Result<Demo, AppError> {
    if incident::Entity::find().count(db).await? > 0 {
        return Err(AppError::Conflict {
            message:
                "The demo data goes into an empty database only: this one already has incidents."
                    .into(),
        });
    }
    let commander = person(
        db,
        "alex@demo.vigil.invalid",
        "Alex Rivera",
        Role::Responder,
    )
    .await?;
    let ops = person(db, "sam@demo.vigil.invalid", "Sam Okafor", Role::Responder).await?;
    let comms = person(
        db,
        "priya@demo.vigil.invalid",
        "Priya Natarajan",
        Role::Responder,
    )
    .await?;
    let scribe = person(
        db,
        "jordan@demo.vigil.invalid",
        "Jordan Lee",
        Role::Responder,
    )
    .await?;

    let (mut service_ids, mut slugs) = (Vec::new(), Vec::new());
    for s in &SERVICES {
        let form = ServiceForm {
            name: s.name.into(),
            description: s.description.into(),
            owner_team: s.team.into(),
            tier: s.tier.into(),
            slo_target: s.slo.into(),
            slo_window_days: s.window.into(),
            failure_severity_position: s.rule.into(),
            runbooks: s.runbooks.into(),
        };
        let added = add_service(db, &Actor::default(), &form).await?;
        service_ids.push(added.id);
        slugs.push(added.slug);
    }
    let changes = super::demo_changes::seed_history(db, &slugs, now).await?;
    let playbooks =
        super::demo_playbooks::seed_playbooks(db, &ops, [service_ids[0], service_ids[2]]).await?;
    let severities = severity::Entity::find().all(db).await?;
    let severity_at = |position: i32| {
        severities
            .iter()
            .find(|s| s.position == position)
            .map(|s| s.id)
            .ok_or(AppError::Internal)
    };

    let types = super::demo_types::seed_types(db, &ops.actor(None), &severity_at).await?;
    super::demo_types::seed_rule(db, &ops, types.outage).await?;
    let mut outages = 0;

    let mut shakespeare = None;
    let mut paged = Vec::new();
    let mut told = Vec::new();
    for story in &STORIES {
        let start =
            (now - Duration::days(story.days_ago) - Duration::hours(2 + story.days_ago % 7))
                .min(now - Duration::minutes(story.declare + 60));
        let at = |m: i64| start + Duration::minutes(m);
        let facing = story.severity <= 2;
        if facing {
            outages += 1;
        }
        let reference = declare_incident(
            db,
            &commander,
            Declaration {
                title: story.title.into(),
                severity_id: Some(severity_at(story.severity)?),
                service_ids: story.services.iter().map(|i| service_ids[*i]).collect(),
                summary: String::new(),
                customer_impact: story.severity <= 2,
                commander_id: Some(commander.id.0),
                type_id: facing.then_some(types.outage),
                fields: if facing {
                    types.values(outages)
                } else {
                    Default::default()
                },
                ..Default::default()
            },
        )
        .await?;
        for (role, who) in [
            (IncidentRole::Operations, &ops),
            (IncidentRole::Communications, &comms),
            (IncidentRole::Scribe, &scribe),
        ] {
            let v = version(db, reference).await?;
            assign_role(db, &commander, reference, role, who.id.0, v).await?;
        }
        let times = Timestamps {
            impact_started_at: Some(at(0)),
            detected_at: Some(at(story.detect)),
            declared_at: at(story.declare),
            acknowledged_at: Some(at(story.ack)),
            mitigated_at: story.mitigate.map(at),
            resolved_at: story.resolve.map(at),
            closed_at: None,
        };
        let v = version(db, reference).await?;
        update_details(
            db,
            &commander,
            reference,
            Details {
                title: story.title.into(),
                summary: format!(
                    "{} Affected: {}.",
                    story.title,
                    story
                        .services
                        .iter()
                        .map(|i| SERVICES[*i].name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                customer_impact: story.severity <= 2,
                service_ids: story.services.iter().map(|i| service_ids[*i]).collect(),
                times: times.clone(),
            },
            v,
        )
        .await?;
        for (minute, body, marker) in story.notes {
            let author = if *minute % 2 == 0 { &scribe } else { &ops };
            add_note(
                db,
                author,
                reference,
                NewNote {
                    body: (*body).into(),
                    occurred_at: Some(at(*minute)),
                    marker: *marker,
                    highlighted: marker.is_some(),
                },
            )
            .await?;
        }
        let path: &[Status] = match (story.mitigate, story.resolve) {
            (Some(_), Some(_)) => &[
                Status::Investigating,
                Status::Identified,
                Status::Monitoring,
                Status::Resolved,
            ],
            (Some(_), None) => &[Status::Investigating, Status::Monitoring],
            _ => &[Status::Investigating],
        };
        for status in path {
            let v = version(db, reference).await?;
            change_status(db, &commander, reference, *status, None, v).await?;
        }
        if story.resolve.is_some() && story.severity > 2 {
            let v = version(db, reference).await?;
            change_status(db, &commander, reference, Status::Closed, None, v).await?;
        }
        if story.title.ends_with("after deploy") {
            let slug = &slugs[story.services[0]];
            let back = story.mitigate.unwrap_or(story.declare);
            super::demo_changes::seed_cause(db, &commander, reference, slug, at(0), back).await?;
        }
        backdate_events(db, reference).await?;
        if story.title.starts_with("Shakespeare") {
            super::demo_playbooks::follow(db, &ops, reference, playbooks[1]).await?;
        }
        if story.severity <= 2 {
            paged.push(DemoAlert {
                incident: Some(reference),
                title: story.title.to_owned(),
                severity: "critical",
                fired: at(story.detect),
                resolved: story.resolve.map(at),
                repeats: 3,
            });
        }
        if story.title.starts_with("Shakespeare") {
            shakespeare = Some(reference);
        }
        told.push(super::demo_status::Told {
            title: story.title,
            reference,
            services: story.services,
            start,
            declare: story.declare,
            mitigate: story.mitigate,
            resolve: story.resolve,
        });
    }

    seed_alerts(db, &commander, service_ids[0], severity_at(1)?, paged, now).await?;
    let admin = person(db, "casey@demo.vigil.invalid", "Casey Morgan", Role::Admin).await?;
    super::demo_status::seed_status_page(db, &admin, &service_ids, &told, now).await?;

    if let Some(reference) = shakespeare {
        write_postmortem(db, reference, &commander, &ops, &comms).await?;
        let due = |days: i64| Some((now + Duration::days(days)).date_naive());
        for (title, kind, priority, owner, due_on) in [
            (
                "Fix the file descriptor leak on terms missing from the corpus",
                ItemKind::Prevent,
                Priority::High,
                &ops,
                due(-10),
            ),
            (
                "Load test search at 10x peak before big announcements",
                ItemKind::Prevent,
                Priority::Medium,
                &comms,
                due(14),
            ),
            (
                "Write a cascading-failure runbook and practise it",
                ItemKind::Mitigate,
                Priority::Medium,
                &commander,
                due(-3),
            ),
            (
                "Alert on rising file descriptor counts",
                ItemKind::Detect,
                Priority::Low,
                &scribe,
                due(30),
            ),
        ] {
            create_action_item(
                db,
                &commander,
                reference,
                ItemFields {
                    title: title.into(),
                    kind: Some(kind),
                    priority: Some(priority),
                    owner_id: Some(owner.id.0),
                    due_on,
                    ..Default::default()
                },
            )
            .await?;
        }
    }
    Ok(Demo {
        services: SERVICES.len(),
        incidents: STORIES.len(),
        changes,
    })
}

/// The automatic timeline entries were recorded now; move each to the moment it
/// describes (the incident's own timestamps), keeping their order.
async fn backdate_events(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<(), AppError> {
    let i = crate::incidents::service::load(db, reference).await?;
    let declared = i.declared_at;
    let events = timeline_event::Entity::find()
        .filter(timeline_event::Column::IncidentId.eq(i.id))
        .filter(timeline_event::Column::Kind.ne(EventKind::Note))
        .all(db)
        .await?;
    let mut roles = 0;
    for e in events {
        let at = match e.kind.as_str() {
            "declared" => declared,
            "role_assigned" => {
                roles += 1;
                declared + Duration::minutes(roles)
            }
            "status_changed" if e.body.ends_with("to Investigating") => {
                i.acknowledged_at.unwrap_or(declared)
            }
            // A change marked as the cause: found when the cause was identified.
            "status_changed" if e.body.ends_with("to Identified") => {
                let ack = i.acknowledged_at.unwrap_or(declared);
                ack + (i.mitigated_at.unwrap_or(ack) - ack) / 2
            }
            "change" => {
                let ack = i.acknowledged_at.unwrap_or(declared);
                ack + (i.mitigated_at.unwrap_or(ack) - ack) / 2
            }
            "status_changed" if e.body.ends_with("to Monitoring") => {
                i.mitigated_at.unwrap_or(declared)
            }
            "status_changed" if e.body.ends_with("to Resolved") => {
                i.resolved_at.unwrap_or(declared)
            }
            "status_changed" if e.body.ends_with("to Closed") => {
                let closed = i.resolved_at.unwrap_or(declared) + Duration::hours(20);
                let mut model = i.clone().into_active_model();
                model.closed_at = Set(Some(closed));
                model.update(db).await?;
                closed
            }
            _ => declared + Duration::minutes(5),
        };
        let mut model = e.into_active_model();
        model.occurred_at = Set(at);
        model.update(db).await?;
    }
    Ok(())
}

async fn write_postmortem(
    db: &impl Writer,
    reference: IncidentRef,
    author: &CurrentUser,
    first: &CurrentUser,
    second: &CurrentUser,
) -> Result<(), AppError> {
    create_postmortem(db, author, reference).await?;
    let pm = get_postmortem(db, reference, Role::Responder).await?;
    let sections = POSTMORTEM
        .iter()
        .filter_map(|(title, body)| {
            pm.sections
                .iter()
                .find(|s| s.title == *title)
                .map(|s| (s.id, (*body).to_owned()))
        })
        .collect();
    save_postmortem(
        db,
        author,
        reference,
        PostmortemEdit {
            title: Some("Shakespeare Sonnet++ postmortem".into()),
            sections,
        },
        pm.version,
    )
    .await?;
    let v = get_postmortem(db, reference, Role::Responder)
        .await?
        .version;
    set_reviewers(db, reference, vec![first.id.0, second.id.0], v).await?;
    for (who, step) in [
        (author, ReviewStep::SubmitForReview),
        (first, ReviewStep::Approve),
        (second, ReviewStep::Approve),
        (author, ReviewStep::Publish),
    ] {
        let v = get_postmortem(db, reference, Role::Responder)
            .await?
            .version;
        take_review_step(db, who, reference, step, v).await?;
    }
    let v = version(db, reference).await?;
    change_status(db, author, reference, Status::Closed, None, v).await?;
    backdate_events(db, reference).await
}

/// One alert of the demo's history.
struct DemoAlert {
    incident: Option<IncidentRef>,
    title: String,
    severity: &'static str,
    fired: DateTime<Utc>,
    resolved: Option<DateTime<Utc>>,
    repeats: i32,
}

/// An Alertmanager source whose alerts paged the severe stories, plus warnings it only
/// recorded. Nobody knows its token: an admin issues a new one to connect a real sender.
async fn seed_alerts(
    db: &impl ConnectionTrait,
    owner: &CurrentUser,
    service_id: i64,
    top_severity: i64,
    mut alerts: Vec<DemoAlert>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use crate::alerts::entities::{alert, source};
    use crate::alerts::{AlertAction, AlertState, Rule, Rules, SourceKind};
    use crate::incidents::EventKind;
    use crate::incidents::service::timeline::{AutoEvent, record_event};

    let rules: Rules = [
        (
            "critical",
            Rule::Open {
                severity_id: top_severity,
            },
        ),
        (
            "error",
            Rule::Open {
                severity_id: top_severity,
            },
        ),
    ]
    .into_iter()
    .map(|(w, r)| (w.to_owned(), r))
    .collect();
    let unknown = crate::secrets::random();
    let created = source::ActiveModel {
        name: Set("Production Alertmanager".to_owned()),
        kind: Set(SourceKind::Alertmanager),
        token_hash: Set(crate::secrets::hash(&unknown)),
        token_hint: Set(unknown[unknown.len() - 4..].to_owned()),
        service_id: Set(service_id),
        rules: Set(serde_json::to_string(&rules).map_err(AppError::internal)?),
        auto_resolve: Set(false),
        owner_id: Set(owner.id.0),
        version: Set(1),
        created_at: Set(now - Duration::days(120)),
        updated_at: Set(now - Duration::days(120)),
        disabled_at: Set(None),
        last_received_at: Set(Some(now - Duration::hours(3))),
        ..Default::default()
    }
    .insert(db)
    .await?;
    alerts.push(DemoAlert {
        incident: None,
        title: "Disk 80% full on db-2".to_owned(),
        severity: "warning",
        fired: now - Duration::days(2),
        resolved: None,
        repeats: 11,
    });
    alerts.push(DemoAlert {
        incident: None,
        title: "Certificate for status.example.com expires in 14 days".to_owned(),
        severity: "info",
        fired: now - Duration::hours(3),
        resolved: None,
        repeats: 0,
    });
    for (i, a) in alerts.into_iter().enumerate() {
        let DemoAlert {
            incident,
            title,
            severity,
            fired,
            resolved,
            repeats,
        } = a;
        let name: String = title
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join("");
        let labels = serde_json::json!({ "alertname": name, "severity": severity });
        let annotations = serde_json::json!({ "summary": title });
        let raw = serde_json::json!({
            "status": if resolved.is_some() { "resolved" } else { "firing" },
            "labels": labels,
            "annotations": annotations,
            "startsAt": fired.to_rfc3339(),
            "fingerprint": format!("demo{i:04}"),
        });
        alert::ActiveModel {
            source_id: Set(created.id),
            fingerprint: Set(format!("demo{i:04}")),
            group_key: Set(Some(format!("{{}}:{{alertname=\"{name}\"}}"))),
            state: Set(if resolved.is_some() {
                AlertState::Resolved
            } else {
                AlertState::Firing
            }),
            title: Set(title.clone()),
            description: Set(String::new()),
            severity: Set(Some(severity.to_owned())),
            labels: Set(labels.to_string()),
            annotations: Set(annotations.to_string()),
            starts_at: Set(Some(fired)),
            ends_at: Set(resolved),
            generator_url: Set(Some(
                "http://prometheus.demo.vigil.invalid/graph".to_owned(),
            )),
            raw: Set(raw.to_string()),
            incident_id: Set(incident.map(|r| r.0)),
            action: Set(if incident.is_some() {
                AlertAction::Opened
            } else {
                AlertAction::Recorded
            }),
            repeats: Set(repeats),
            received_at: Set(fired),
            last_received_at: Set(resolved.unwrap_or(fired)),
            ..Default::default()
        }
        .insert(db)
        .await?;
        if let Some(reference) = incident {
            record_event(
                db,
                reference.0,
                owner,
                AutoEvent {
                    kind: EventKind::Alert,
                    body: format!("Alert fired: “{title}” from Production Alertmanager (critical)"),
                    at: fired,
                },
            )
            .await?;
        }
    }
    Ok(())
}
