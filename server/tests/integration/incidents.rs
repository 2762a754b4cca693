//! The incidents service layer on both backends: declaring, the lifecycle with its
//! automatic timeline, notes, filters and concurrent edits.

use app::accounts::Role;
use app::catalog::service::create_service;
use app::error::AppError;
use app::incidents::service::declare::Declaration;
use app::incidents::service::edit::Details;
use app::incidents::service::query::{get_incident, list_incidents, severities};
use app::incidents::service::timeline::{NewNote, add_note, delete_note, edit_note, timeline};
use app::incidents::{
    EventKind, IncidentFilter, IncidentRef, IncidentRole, Marker, PageStart, Status,
};
use app::workflow::assign_role;
use app::workflow::update_details;
use app::workflow::{change_severity, change_status, declare_incident};
use chrono::{Duration, Timelike, Utc};

use crate::support::TestApp;

backend_tests!(
    declaring_an_incident_records_the_first_timeline_event,
    a_declaration_is_checked_field_by_field,
    moving_through_the_lifecycle_records_each_step_and_its_times,
    an_impossible_transition_is_refused_with_the_way_forward,
    a_stale_update_is_a_conflict_not_an_overwrite,
    notes_can_be_backdated_tagged_edited_and_soft_deleted,
    roles_are_assigned_and_handovers_recorded,
    the_list_puts_open_incidents_first_and_filters_searches_and_pages,
    pages_walk_the_whole_list_both_ways_through_ties,
    viewers_read_incidents_but_cannot_change_anything,
    a_plain_form_post_declares_and_lands_on_the_incident,
    the_incident_pages_render_and_an_unknown_reference_is_404,
    the_event_stream_reports_changes_and_resumes_where_it_left_off,
    correcting_details_and_times_is_checked_and_recorded,
    merging_a_duplicate_names_its_target_on_both_timelines,
    the_commander_can_be_someone_else_at_declaration,
    times_are_shown_and_read_in_the_viewers_zone,
    a_damaged_stored_word_is_an_error_not_a_default,
    the_list_page_refuses_a_bad_filter_beside_its_field,
);

async fn declaring_an_incident_records_the_first_timeline_event(app: TestApp) {
    let commander = app.with_user(Role::Responder).await;
    let reference = app.declared(&commander, "Checkout returns 502").await;
    let incident = get_incident(&app.db, reference).await.unwrap();
    assert_eq!(incident.title, "Checkout returns 502");
    assert_eq!(incident.status, Status::Triage);
    assert_eq!(incident.severity.name, "SEV2");
    assert_eq!(incident.services.len(), 1);
    assert_eq!(incident.version, 1);
    assert_eq!(incident.roles[0].role, IncidentRole::Commander);
    assert_eq!(incident.roles[0].user_name, commander.display_name);

    let events = timeline(&app.db, reference, Role::Responder).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Declared);
    assert_eq!(
        events[0].author.as_deref(),
        Some(commander.display_name.as_str())
    );
    assert!(events[0].body.contains("SEV2"));

    let next = app.declared(&commander, "Another").await;
    assert_eq!(next.0, reference.0 + 1, "references are sequential");
}

async fn a_declaration_is_checked_field_by_field(app: TestApp) {
    let actor = app.with_user(Role::Responder).await;
    let err = declare_incident(
        &app.db,
        &actor,
        Declaration {
            title: "  ".into(),
            severity_id: Some(999),
            service_ids: vec![],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    for field in ["title", "severity_id", "service_ids"] {
        assert!(err.field_message(field).is_some(), "{field}: {err:?}");
    }
    let sev = severities(&app.db).await.unwrap()[0].id;
    let err = declare_incident(
        &app.db,
        &actor,
        Declaration {
            title: "x".into(),
            severity_id: Some(sev),
            service_ids: vec![424242],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.field_message("service_ids").as_deref(),
        Some("One of the chosen services does not exist or is archived.")
    );
}

async fn moving_through_the_lifecycle_records_each_step_and_its_times(app: TestApp) {
    let actor = app.with_user(Role::Responder).await;
    // SEV3: no postmortem is required to close.
    let reference = app.declared_at(&actor, "Queue backlog", 2).await;
    let path = [
        Status::Investigating,
        Status::Identified,
        Status::Monitoring,
        Status::Resolved,
        Status::Closed,
    ];
    for (i, to) in path.into_iter().enumerate() {
        change_status(&app.db, &actor, reference, to, None, 1 + i as i32)
            .await
            .unwrap();
    }
    let incident = get_incident(&app.db, reference).await.unwrap();
    assert_eq!(incident.status, Status::Closed);
    assert_eq!(incident.version, 6);
    let t = &incident.times;
    for (name, value) in [
        ("acknowledged", t.acknowledged_at),
        ("mitigated", t.mitigated_at),
        ("resolved", t.resolved_at),
        ("closed", t.closed_at),
    ] {
        assert!(value.is_some(), "{name} was filled");
    }
    assert!(
        t.acknowledged_at <= t.mitigated_at
            && t.mitigated_at <= t.resolved_at
            && t.resolved_at <= t.closed_at
    );
    assert_eq!(t.validate(Utc::now()), Ok(()));

    let events = timeline(&app.db, reference, Role::Responder).await.unwrap();
    let changes: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == EventKind::StatusChanged)
        .map(|e| e.body.as_str())
        .collect();
    assert_eq!(
        changes,
        [
            "Status changed from Triage to Investigating",
            "Status changed from Investigating to Identified",
            "Status changed from Identified to Monitoring",
            "Status changed from Monitoring to Resolved",
            "Status changed from Resolved to Closed",
        ]
    );
}

async fn an_impossible_transition_is_refused_with_the_way_forward(app: TestApp) {
    let actor = app.with_user(Role::Responder).await;
    let reference = app.declared(&actor, "Disk full").await;
    let err = change_status(&app.db, &actor, reference, Status::Closed, None, 1)
        .await
        .unwrap_err();
    let message = err.field_message("status").unwrap();
    assert!(
        message.contains("cannot go from Triage to Closed"),
        "{message}"
    );
    let unchanged = get_incident(&app.db, reference).await.unwrap();
    assert_eq!((unchanged.status, unchanged.version), (Status::Triage, 1));
    assert_eq!(
        timeline(&app.db, reference, Role::Responder)
            .await
            .unwrap()
            .len(),
        1,
        "nothing half-applied"
    );
}

async fn a_stale_update_is_a_conflict_not_an_overwrite(app: TestApp) {
    let alice = app.with_user(Role::Responder).await;
    let bob = app.with_user(Role::Responder).await;
    let reference = app.declared(&alice, "Latency spike").await;
    // Both opened the page at version 1; Alice saves first.
    change_status(&app.db, &alice, reference, Status::Investigating, None, 1)
        .await
        .unwrap();
    let err = change_status(&app.db, &bob, reference, Status::Resolved, None, 1)
        .await
        .unwrap_err();
    match &err {
        AppError::Conflict { message } => {
            assert!(message.contains(&reference.to_string()), "{message}");
            assert!(
                message.contains("investigating"),
                "the current value is shown: {message}"
            );
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let sev1 = severities(&app.db).await.unwrap()[0].id;
    assert!(matches!(
        change_severity(&app.db, &bob, reference, sev1, 1).await,
        Err(AppError::Conflict { .. })
    ));
    let incident = get_incident(&app.db, reference).await.unwrap();
    assert_eq!(
        (incident.status, incident.severity.name.as_str()),
        (Status::Investigating, "SEV2")
    );
    change_severity(&app.db, &bob, reference, sev1, incident.version)
        .await
        .unwrap();
    assert_eq!(
        get_incident(&app.db, reference)
            .await
            .unwrap()
            .severity
            .name,
        "SEV1"
    );
}

async fn notes_can_be_backdated_tagged_edited_and_soft_deleted(app: TestApp) {
    let scribe = app.with_user(Role::Responder).await;
    let reference = app.declared(&scribe, "Cache stampede").await;
    let earlier = Utc::now() - Duration::minutes(30);
    let note = add_note(
        &app.db,
        &scribe,
        reference,
        NewNote {
            body: "Alert fired: **p99 > 2s**".into(),
            occurred_at: Some(earlier),
            marker: Some(Marker::Detection),
            highlighted: true,
        },
    )
    .await
    .unwrap();
    assert!(
        note.recorded_at > note.occurred_at,
        "backdated: recorded now, occurred earlier"
    );

    let events = timeline(&app.db, reference, Role::Responder).await.unwrap();
    assert_eq!(
        events[0].id, note.id,
        "ordered by when it happened, before the declaration"
    );
    assert_eq!(events[0].marker, Some(Marker::Detection));
    assert!(events[0].highlighted);

    edit_note(
        &app.db,
        &scribe,
        reference,
        note.id,
        "Alert fired: p99 > 3s",
        note.version,
    )
    .await
    .unwrap();
    let edited = timeline(&app.db, reference, Role::Responder)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(edited.body, "Alert fired: p99 > 3s");
    assert_eq!(edited.revisions, ["Alert fired: **p99 > 2s**"]);

    delete_note(&app.db, &scribe, reference, note.id)
        .await
        .unwrap();
    assert!(
        timeline(&app.db, reference, Role::Responder)
            .await
            .unwrap()
            .iter()
            .all(|e| e.id != note.id)
    );
    let for_admins = timeline(&app.db, reference, Role::Admin).await.unwrap();
    assert!(for_admins.iter().any(|e| e.id == note.id && e.deleted));

    let empty = add_note(
        &app.db,
        &scribe,
        reference,
        NewNote {
            body: "  ".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(empty.unwrap_err().field_message("body").is_some());
    let future = NewNote {
        body: "later".into(),
        occurred_at: Some(Utc::now() + Duration::hours(1)),
        ..Default::default()
    };
    assert!(
        add_note(&app.db, &scribe, reference, future)
            .await
            .unwrap_err()
            .field_message("occurred_at")
            .is_some()
    );
    let missing = add_note(
        &app.db,
        &scribe,
        IncidentRef(987654),
        NewNote {
            body: "x".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(missing, Err(AppError::NotFound(_))));
}

async fn roles_are_assigned_and_handovers_recorded(app: TestApp) {
    let first = app.with_user(Role::Responder).await;
    let second = app.with_user(Role::Responder).await;
    let reference = app.declared(&first, "DNS outage").await;
    assign_role(
        &app.db,
        &first,
        reference,
        IncidentRole::Scribe,
        second.id.0,
        1,
    )
    .await
    .unwrap();
    assign_role(
        &app.db,
        &first,
        reference,
        IncidentRole::Commander,
        second.id.0,
        2,
    )
    .await
    .unwrap();
    let incident = get_incident(&app.db, reference).await.unwrap();
    let commander = incident
        .roles
        .iter()
        .find(|r| r.role == IncidentRole::Commander)
        .unwrap();
    assert_eq!(commander.user_id, second.id.0);
    let bodies: Vec<String> = timeline(&app.db, reference, Role::Responder)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::RoleAssigned)
        .map(|e| e.body)
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        bodies[1],
        format!(
            "Incident commander handed over from {} to {}",
            first.display_name, second.display_name
        )
    );
}

async fn the_list_puts_open_incidents_first_and_filters_searches_and_pages(app: TestApp) {
    let actor = app.with_user(Role::Responder).await;
    let old = app.declared(&actor, "Old resolved outage").await;
    change_status(&app.db, &actor, old, Status::Resolved, None, 1)
        .await
        .unwrap();
    let mut open = Vec::new();
    for i in 0..27 {
        open.push(
            app.declared(&actor, &format!("Open incident {i} 100%_match"))
                .await,
        );
    }

    let first = list_incidents(&app.db, &IncidentFilter::default())
        .await
        .unwrap();
    assert_eq!(first.total, 28);
    assert_eq!(first.incidents.len(), 25);
    assert_eq!(first.newer, None, "nothing is newer than the first page");
    assert_eq!(
        first.incidents[0].reference,
        *open.last().unwrap(),
        "newest open first"
    );
    let second = list_incidents(
        &app.db,
        &IncidentFilter {
            start: PageStart::After(first.older.expect("an older page")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(second.incidents.len(), 3);
    assert_eq!(second.older, None, "the last page");
    assert_eq!(
        second.incidents.last().unwrap().reference,
        old,
        "resolved ones after every open one"
    );
    let back = list_incidents(
        &app.db,
        &IncidentFilter {
            start: PageStart::Before(second.newer.expect("a newer page")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(back.incidents, first.incidents, "back to the first page");

    let resolved = IncidentFilter {
        status: Some(Status::Resolved),
        ..Default::default()
    };
    assert_eq!(list_incidents(&app.db, &resolved).await.unwrap().total, 1);

    let search = IncidentFilter {
        text: Some("OLD outage".into()),
        ..Default::default()
    };
    let found = list_incidents(&app.db, &search).await.unwrap();
    assert_eq!(
        found
            .incidents
            .iter()
            .map(|i| i.reference)
            .collect::<Vec<_>>(),
        [old]
    );
    let literal = IncidentFilter {
        text: Some("100%_".into()),
        ..Default::default()
    };
    assert_eq!(
        list_incidents(&app.db, &literal).await.unwrap().total,
        27,
        "% and _ match literally"
    );

    let incident = get_incident(&app.db, old).await.unwrap();
    let by_service = IncidentFilter {
        service_id: Some(incident.services[0].id),
        ..Default::default()
    };
    assert_eq!(list_incidents(&app.db, &by_service).await.unwrap().total, 1);
    let future = IncidentFilter {
        from: Some(Utc::now() + Duration::days(1)),
        ..Default::default()
    };
    assert_eq!(list_incidents(&app.db, &future).await.unwrap().total, 0);
}

async fn viewers_read_incidents_but_cannot_change_anything(app: TestApp) {
    let responder = app.with_user(Role::Responder).await;
    let reference = app.declared(&responder, "Search is slow").await.to_string();
    let service = create_service(&app.db, "Search", None)
        .await
        .unwrap()
        .id
        .to_string();
    let sev = severities(&app.db).await.unwrap()[0].id.to_string();
    let writes: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/rpc/declare_incident",
            vec![
                ("form[title]", "New"),
                ("form[severity_id]", &sev),
                ("form[service_ids][]", &service),
            ],
        ),
        (
            "/rpc/change_incident_status",
            vec![
                ("reference", &reference),
                ("status", "investigating"),
                ("version", "1"),
            ],
        ),
        (
            "/rpc/change_incident_severity",
            vec![
                ("reference", &reference),
                ("severity_id", &sev),
                ("version", "2"),
            ],
        ),
        (
            "/rpc/add_incident_note",
            vec![("reference", &reference), ("body", "Looking")],
        ),
    ];
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let (writer, _) = app.signed_in(Role::Responder).await;
    for (path, form) in &writes {
        assert_eq!(app.call(path, form).await.status(), 401, "anonymous {path}");
        assert_eq!(
            app.call_with(&viewer, path, form).await.status(),
            403,
            "viewer {path}"
        );
        let res = app.call_with(&writer, path, form).await;
        assert_eq!(
            res.status(),
            200,
            "responder {path}: {}",
            res.text().await.unwrap()
        );
    }
    let reads: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/rpc/list_incidents", vec![]),
        ("/rpc/incident_detail", vec![("reference", &reference)]),
        ("/rpc/incident_timeline", vec![("reference", &reference)]),
        ("/rpc/incident_options", vec![]),
        ("/rpc/list_services", vec![]),
    ];
    for (path, form) in &reads {
        assert_eq!(app.call(path, form).await.status(), 401, "anonymous {path}");
        assert_eq!(
            app.call_with(&viewer, path, form).await.status(),
            200,
            "viewer {path}"
        );
    }
    for path in ["/rpc/edit_incident_note", "/rpc/delete_incident_note"] {
        let form = [
            ("reference", reference.as_str()),
            ("event_id", "1"),
            ("body", "changed"),
            ("version", "1"),
        ];
        assert_eq!(
            app.call(path, &form).await.status(),
            401,
            "anonymous {path}"
        );
        assert_eq!(
            app.call_with(&viewer, path, &form).await.status(),
            403,
            "viewer {path}"
        );
    }
    let admin_only = [("form[name]", "Billing")];
    assert_eq!(
        app.call_with(&writer, "/rpc/create_service", &admin_only)
            .await
            .status(),
        403
    );
}

async fn a_plain_form_post_declares_and_lands_on_the_incident(app: TestApp) {
    let (client, _) = app.signed_in(Role::Responder).await;
    let api = create_service(&app.db, "API", None)
        .await
        .unwrap()
        .id
        .to_string();
    let web = create_service(&app.db, "Web", None)
        .await
        .unwrap()
        .id
        .to_string();
    let sev = severities(&app.db).await.unwrap()[0].id.to_string();
    let res = client
        .post(app.url("/rpc/declare_incident"))
        .header("accept", "text/html")
        .header("referer", app.url("/incidents/new"))
        .form(&[
            ("form[title]", "Login broken"),
            ("form[severity_id]", sev.as_str()),
            ("form[service_ids][]", api.as_str()),
            ("form[service_ids][]", web.as_str()),
            ("form[summary]", "Users *cannot* sign in"),
            ("form[customer_impact]", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/incidents/INC-"), "{location}");
    let reference = IncidentRef::parse(location.trim_start_matches("/incidents/")).unwrap();
    let incident = get_incident(&app.db, reference).await.unwrap();
    assert_eq!(incident.services.len(), 2);
    assert!(incident.customer_impact);
    assert_eq!(
        incident.summary_html,
        "<p>Users <em>cannot</em> sign in</p>\n"
    );

    // A missing title goes back to the form with the error in the URL, never a 500.
    let res = client
        .post(app.url("/rpc/declare_incident"))
        .header("accept", "text/html")
        .header("referer", app.url("/incidents/new"))
        .form(&[("form[title]", ""), ("form[severity_id]", sev.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.contains("/incidents/new") && back.contains("__err="),
        "{back}"
    );
    let page = app
        .get_with(&client, &back.replace(&format!("http://{}", app.addr), ""))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Give the incident a short title."),
        "the error is shown next to the field"
    );

    // The same link sent to someone else (or crafted) shows no error: it loses `__err`
    // and `__path` by a redirect, so a link cannot put words into a form.
    let (other, _) = app.signed_in(Role::Responder).await;
    let path = back.replace(&format!("http://{}", app.addr), "");
    for link in [path.clone(), path.replace("__err", "%5F%5Ferr")] {
        let res = app.get_with(&other, &link).await;
        assert_eq!(res.status(), 303, "{link}");
        assert_eq!(res.headers()["location"], "/incidents/new");
        let page = app
            .get_with(&other, "/incidents/new")
            .await
            .text()
            .await
            .unwrap();
        assert!(!page.contains("Give the incident a short title."));
    }
}

async fn the_incident_pages_render_and_an_unknown_reference_is_404(app: TestApp) {
    let responder = app.with_user(Role::Responder).await;
    let reference = app
        .declared(&responder, "Payments <script>alert(1)</script> failing")
        .await;
    add_note(
        &app.db,
        &responder,
        reference,
        NewNote {
            body: "<img src=x onerror=alert(1)> **rolled back**".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let list = app.get_with(&viewer, "/incidents").await;
    assert_eq!(list.status(), 200);
    assert!(list.text().await.unwrap().contains(&reference.to_string()));
    let page = app
        .get_with(&viewer, &format!("/incidents/{reference}"))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<strong>rolled back</strong>"),
        "notes render as Markdown"
    );
    // (Serialised page data escapes `<` as `\u003c`, so a raw tag can only come from rendering.)
    for bad in [
        "<script>alert(1)</script>",
        "</title><script>",
        "<img src=x onerror",
        "<img src=\"x\" onerror",
    ] {
        if let Some(i) = html.find(bad) {
            panic!(
                "unsafe {bad:?} at: {}",
                &html[i.saturating_sub(80)..(i + 200).min(html.len())]
            );
        }
    }
    assert!(
        !html.contains("Change status"),
        "viewers see no quick actions"
    );
    let (writer, _) = app.signed_in(Role::Responder).await;
    let html = app
        .get_with(&writer, &format!("/incidents/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Change status") && html.contains("Add note"));
    assert_eq!(app.get_with(&writer, "/incidents/new").await.status(), 200);
    assert_eq!(
        app.get_with(&viewer, "/incidents/INC-999999")
            .await
            .status(),
        404
    );
}

/// Reads from an event stream until `needle` shows up (or fails after a few seconds).
async fn read_until(res: &mut reqwest::Response, needle: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(8);
    while !seen.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in {seen:?}"))
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

async fn the_event_stream_reports_changes_and_resumes_where_it_left_off(app: TestApp) {
    let responder = app.with_user(Role::Responder).await;
    // A hostile title: the header the live timeline puts in place is escaped HTML.
    let reference = app
        .declared(&responder, "Streaming <img src=x onerror=alert(1)>")
        .await;
    let path = format!("/incidents/{reference}/events");
    assert_eq!(
        app.get(&path).await.status(),
        303,
        "anonymous visitors are sent to sign in"
    );

    let (client, _) = app.signed_in(Role::Viewer).await;
    assert_eq!(
        app.get_with(&client, "/incidents/INC-999999/events")
            .await
            .status(),
        404
    );
    // Never compressed: a compressor would hold events back to fill its blocks.
    let compressible = client
        .get(app.url(&path))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressible.status(), 200);
    assert!(compressible.headers().get("content-encoding").is_none());
    drop(compressible);
    let mut res = app.get_with(&client, &path).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let first = read_until(&mut res, "event: changed").await;
    let marker = first
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap()
        .to_owned();

    add_note(
        &app.db,
        &responder,
        reference,
        NewNote {
            body: "new".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let next = read_until(&mut res, "event: changed").await;
    let next = if next.contains(&marker) {
        read_until(&mut res, "\n\n").await
    } else {
        next
    };
    assert!(
        !next.contains(&format!("id: {marker}\n")),
        "a new marker after the note: {next}"
    );
    drop(res);

    // A client that already saw the latest marker hears nothing until something changes.
    let latest = app::incidents::service::marker::change_marker(&app.db, reference)
        .await
        .unwrap();
    let mut resumed = client
        .get(app.url(&path))
        .header("last-event-id", &latest)
        .send()
        .await
        .unwrap();
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(1500), resumed.chunk()).await;
    assert!(
        quiet.is_err()
            || quiet
                .unwrap()
                .unwrap()
                .is_none_or(|c| !String::from_utf8_lossy(&c).contains("changed"))
    );
    change_status(
        &app.db,
        &responder,
        reference,
        Status::Investigating,
        None,
        1,
    )
    .await
    .unwrap();
    let after = read_until(&mut resumed, "event: changed").await;
    assert!(!after.contains(&format!("id: {latest}\n")), "{after}");

    // Editing or deleting a note changes the marker too, so live viewers see it.
    let note = add_note(
        &app.db,
        &responder,
        reference,
        NewNote {
            body: "typo".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let before_edit = app::incidents::service::marker::change_marker(&app.db, reference)
        .await
        .unwrap();
    edit_note(
        &app.db,
        &responder,
        reference,
        note.id,
        "fixed",
        note.version,
    )
    .await
    .unwrap();
    let after_edit = app::incidents::service::marker::change_marker(&app.db, reference)
        .await
        .unwrap();
    assert_ne!(before_edit, after_edit, "an edit moves the marker");
    delete_note(&app.db, &responder, reference, note.id)
        .await
        .unwrap();
    let after_delete = app::incidents::service::marker::change_marker(&app.db, reference)
        .await
        .unwrap();
    assert_ne!(after_edit, after_delete, "a deletion moves the marker");

    // What the live timeline re-reads: the events as this reader may see them, with the
    // marker the stream reports (a viewer sees no deleted note and may not edit).
    let res = app
        .call_with(
            &client,
            "/rpc/incident_timeline",
            &[("reference", reference.to_string().as_str())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let read: serde_json::Value = res.json().await.unwrap();
    assert_eq!(read["marker"], after_delete.as_str());
    assert_eq!(read["can_write"], false);
    // The header's title and badges come with it as the page renders them, so the
    // status set above shows there too (and the title is escaped).
    let incident = get_incident(&app.db, reference).await.unwrap();
    let facts = read["facts_html"].as_str().unwrap();
    assert_eq!(facts, app::incidents::pages::facts_html(&incident));
    assert!(
        facts.contains(
            r#"<span class="status-badge status-badge--investigating">Investigating</span>"#
        ),
        "{facts}"
    );
    assert!(
        facts.contains("<h1>Streaming &lt;img src=x onerror=alert(1)&gt;</h1>"),
        "{facts}"
    );
    assert!(!facts.contains("<img"), "{facts}");
    let page = app
        .get_with(&client, &format!("/incidents/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            r#"<div id="incident-facts" aria-live="polite">{facts}</div>"#
        )),
        "the page's header is the same HTML, so an unchanged header is left alone"
    );
    let bodies: Vec<&str> = read["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .collect();
    assert!(
        !bodies.contains(&"fixed"),
        "the deleted note is hidden: {bodies:?}"
    );
    assert_eq!(
        app.call_with(
            &client,
            "/rpc/incident_timeline",
            &[("reference", "INC-999999")]
        )
        .await
        .status(),
        404
    );
}

async fn correcting_details_and_times_is_checked_and_recorded(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let reference = app.declared(&ic, "Elevated errors").await;
    let incident = get_incident(&app.db, reference).await.unwrap();
    let extra = create_service(&app.db, "Queue", None).await.unwrap();
    let declared_at = incident.times.declared_at;

    let mut times = incident.times.clone();
    times.impact_started_at = Some(declared_at - Duration::minutes(20));
    times.detected_at = Some(declared_at - Duration::minutes(5));
    times.mitigated_at = Some(declared_at - Duration::minutes(30));
    let invalid = Details {
        title: "Elevated 5xx on checkout".into(),
        summary: "Caused by a bad deploy".into(),
        customer_impact: true,
        service_ids: vec![incident.services[0].id, extra.id],
        times: times.clone(),
    };
    let err = update_details(&app.db, &ic, reference, invalid.clone(), 1)
        .await
        .unwrap_err();
    assert_eq!(
        err.field_message("mitigated_at").as_deref(),
        Some("Mitigated cannot be before impact started.")
    );
    assert_eq!(
        get_incident(&app.db, reference).await.unwrap().version,
        1,
        "nothing was written"
    );

    let mut valid = invalid;
    valid.times.mitigated_at = Some(declared_at);
    update_details(&app.db, &ic, reference, valid.clone(), 1)
        .await
        .unwrap();
    let updated = get_incident(&app.db, reference).await.unwrap();
    assert_eq!(updated.title, "Elevated 5xx on checkout");
    assert!(updated.customer_impact);
    assert_eq!(updated.services.len(), 2);
    assert_eq!(
        updated.times.impact_started_at,
        valid.times.impact_started_at
    );
    assert_eq!(updated.version, 2);

    let kinds: Vec<EventKind> = timeline(&app.db, reference, Role::Responder)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for kind in [
        EventKind::TitleChanged,
        EventKind::DetailsChanged,
        EventKind::TimestampChanged,
        EventKind::ServicesChanged,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
    }
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventKind::TimestampChanged)
            .count(),
        3
    );

    let unchanged = update_details(&app.db, &ic, reference, valid.clone(), 1).await;
    assert!(
        unchanged.is_ok(),
        "resending the same values changes nothing and is fine"
    );
    let mut stale_edit = valid;
    stale_edit.title = "Someone else's older idea".into();
    let stale = update_details(&app.db, &ic, reference, stale_edit, 1).await;
    assert!(matches!(stale, Err(AppError::Conflict { .. })), "{stale:?}");
}

async fn merging_a_duplicate_names_its_target_on_both_timelines(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let original = app.declared(&ic, "Checkout down").await;
    let duplicate = app.declared(&ic, "Cannot pay").await;
    let third = app.declared(&ic, "Payments page blank").await;

    for (target, expected) in [
        (None, "Name the incident this one duplicates"),
        (Some(duplicate), "cannot be a duplicate of itself"),
        (
            Some(IncidentRef(999_999)),
            "There is no incident INC-999999.",
        ),
    ] {
        let err = change_status(&app.db, &ic, duplicate, Status::Merged, target, 1)
            .await
            .unwrap_err();
        let message = err.field_message("merged_into").unwrap_or_default();
        assert!(message.contains(expected), "{message:?}");
    }
    change_status(&app.db, &ic, duplicate, Status::Merged, Some(original), 1)
        .await
        .unwrap();
    let merged = get_incident(&app.db, duplicate).await.unwrap();
    assert_eq!(merged.status, Status::Merged);
    assert_eq!(merged.merged_into, Some(original));
    let own = timeline(&app.db, duplicate, Role::Responder).await.unwrap();
    assert!(
        own.last()
            .unwrap()
            .body
            .contains(&format!("duplicate of {original}"))
    );
    let target_events = timeline(&app.db, original, Role::Responder).await.unwrap();
    let note = target_events
        .iter()
        .find(|e| e.kind == EventKind::DuplicateMerged)
        .expect("the target records the merge");
    assert!(note.body.contains(&duplicate.to_string()), "{}", note.body);

    // A chain is refused: merge into the incident the duplicate went to.
    let err = change_status(&app.db, &ic, third, Status::Merged, Some(duplicate), 1)
        .await
        .unwrap_err();
    assert!(
        err.field_message("merged_into")
            .unwrap_or_default()
            .contains("merge into that one"),
        "{err:?}"
    );

    // The page of the duplicate links to its target; the plain form names it too.
    let (client, _) = app.signed_in(Role::Responder).await;
    let html = app
        .get_with(&client, &format!("/incidents/{duplicate}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"/incidents/{original}\"")));
    let (third_ref, version) = (third.to_string(), "1".to_owned());
    let res = app
        .call_with(
            &client,
            "/rpc/change_incident_status",
            &[
                ("reference", third_ref.as_str()),
                ("status", "merged"),
                ("version", version.as_str()),
                ("merged_into", "not a reference"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("INC-12"));
}

async fn the_commander_can_be_someone_else_at_declaration(app: TestApp) {
    let dispatcher = app.with_user(Role::Responder).await;
    let commander = app.with_user(Role::Responder).await;
    let viewer = app.with_user(Role::Viewer).await;
    let service = create_service(&app.db, "Search", None).await.unwrap();
    let sev = severities(&app.db).await.unwrap()[0].id;
    let declaration = |commander_id| Declaration {
        title: "Search is slow".into(),
        severity_id: Some(sev),
        service_ids: vec![service.id],
        commander_id,
        ..Default::default()
    };
    let reference = declare_incident(&app.db, &dispatcher, declaration(Some(commander.id.0)))
        .await
        .unwrap();
    let incident = get_incident(&app.db, reference).await.unwrap();
    assert_eq!(incident.roles[0].role, IncidentRole::Commander);
    assert_eq!(incident.roles[0].user_name, commander.display_name);
    let first = &timeline(&app.db, reference, Role::Responder).await.unwrap()[0];
    assert!(
        first.body.contains(&commander.display_name),
        "{}",
        first.body
    );
    assert_eq!(
        first.author.as_deref(),
        Some(dispatcher.display_name.as_str())
    );
    for bad in [viewer.id.0, 424_242] {
        let err = declare_incident(&app.db, &dispatcher, declaration(Some(bad)))
            .await
            .unwrap_err();
        assert!(err.field_message("commander_id").is_some(), "{err:?}");
    }
    // Viewers are not offered as commanders (nor for any other role).
    let err = assign_role(
        &app.db,
        &dispatcher,
        reference,
        IncidentRole::Scribe,
        viewer.id.0,
        1,
    )
    .await
    .unwrap_err();
    assert!(err.field_message("user_id").is_some());
}

async fn times_are_shown_and_read_in_the_viewers_zone(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let reference = app.declared(&ic, "Clock check").await;
    let (client, _) = app.signed_in(Role::Responder).await;
    let path = format!("/incidents/{reference}");

    let res = app
        .call_with(
            &client,
            "/rpc/update_profile",
            &[
                ("display_name", "Kolkata Responder"),
                ("time_zone", "Mars/Base"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("time zone"));
    let res = app
        .call_with(
            &client,
            "/rpc/update_profile",
            &[
                ("display_name", "Kolkata Responder"),
                ("time_zone", "Asia/Kolkata"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);

    // A backdated note typed in Kolkata's wall-clock time (UTC+5:30, no daylight saving).
    let utc = (Utc::now() - Duration::days(1))
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap();
    let typed = (utc + Duration::minutes(330))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let reference_text = reference.to_string();
    let res = app
        .call_with(
            &client,
            "/rpc/add_incident_note",
            &[
                ("reference", reference_text.as_str()),
                ("body", "Deploy started"),
                ("occurred_at", typed.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let events = timeline(&app.db, reference, Role::Responder).await.unwrap();
    let note = events.iter().find(|e| e.kind == EventKind::Note).unwrap();
    assert_eq!(note.occurred_at, utc);

    let shown = |zone: &str| {
        let zone = app::time::parse_zone(zone).unwrap();
        format!(">{}</time>", zone.format(utc))
    };
    let html = app.get_with(&client, &path).await.text().await.unwrap();
    assert!(html.contains("data-tz=\"Asia/Kolkata\""));
    assert!(
        html.contains(&format!(">{}</time>", typed.replace('T', " "))),
        "shown in Kolkata"
    );

    // Without a setting the browser's zone (its cookie) decides, else UTC.
    let user = app.create_user(Role::Viewer).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let url: reqwest::Url = app.url("/").parse().unwrap();
    jar.add_cookie_str("vigil_tz=Europe%2FBerlin; Path=/", &url);
    let berlin = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    app.sign_in_with(&berlin, &user.email, &user.password).await;
    let html = app.get_with(&berlin, &path).await.text().await.unwrap();
    assert!(html.contains(&shown("Europe/Berlin")), "shown in Berlin");
    let (plain, _) = app.signed_in(Role::Viewer).await;
    let html = app.get_with(&plain, &path).await.text().await.unwrap();
    assert!(html.contains("data-tz=\"UTC\""));
    assert!(html.contains(&shown("UTC")), "shown in UTC");
}

/// 70 incidents, a third of them resolved, many declared at the same instant: walking
/// the pages forward, then back from the end, meets every incident exactly once, in the
/// list's order (open first, then newest, then highest number).
async fn pages_walk_the_whole_list_both_ways_through_ties(app: TestApp) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let actor = app.with_user(Role::Responder).await;
    let base = Utc::now().with_nanosecond(0).unwrap() - Duration::days(3);
    let mut expected = Vec::new();
    for i in 0..70i64 {
        let reference = app.declared(&actor, &format!("Incident {i}")).await;
        // Seven incidents share each instant.
        let declared_at = base + Duration::minutes(i / 7);
        app::incidents::entities::incident::ActiveModel {
            id: Set(reference.0),
            declared_at: Set(declared_at),
            ..Default::default()
        }
        .update(&app.db)
        .await
        .unwrap();
        let open = i % 3 != 0;
        if !open {
            change_status(&app.db, &actor, reference, Status::Resolved, None, 1)
                .await
                .unwrap();
        }
        expected.push((
            !open,
            std::cmp::Reverse(declared_at),
            std::cmp::Reverse(reference.0),
        ));
    }
    expected.sort();
    let expected: Vec<i64> = expected.into_iter().map(|(_, _, id)| id.0).collect();

    let mut forward = Vec::new();
    let mut start = PageStart::First;
    let last = loop {
        let page = list_incidents(
            &app.db,
            &IncidentFilter {
                start,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(page.total, 70);
        forward.extend(page.incidents.iter().map(|i| i.reference.0));
        match page.older {
            Some(at) => start = PageStart::After(at),
            None => break page,
        }
    };
    assert_eq!(forward, expected, "forward, page by page");

    // From the last page back to the first.
    let mut backward: Vec<i64> = last.incidents.iter().map(|i| i.reference.0).collect();
    let mut at = last.newer;
    while let Some(cursor) = at {
        let page = list_incidents(
            &app.db,
            &IncidentFilter {
                start: PageStart::Before(cursor),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut ids: Vec<i64> = page.incidents.iter().map(|i| i.reference.0).collect();
        ids.extend(backward);
        backward = ids;
        at = page.newer;
    }
    assert_eq!(backward, expected, "backward, page by page");

    // Filters keep to the order and the count: only the resolved ones.
    let resolved = list_incidents(
        &app.db,
        &IncidentFilter {
            status: Some(Status::Resolved),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(resolved.total, 24);
    assert_eq!(
        resolved
            .incidents
            .iter()
            .map(|i| i.reference.0)
            .collect::<Vec<_>>(),
        expected[46..]
    );
}

/// A stored status that names no status (a damaged row, a newer Vigil's word) fails the
/// read with a logged error: it is never read as triage and then written back as if
/// the incident had been in triage.
async fn a_damaged_stored_word_is_an_error_not_a_default(app: TestApp) {
    use app::incidents::entities::incident;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let actor = app.with_user(Role::Responder).await;
    let reference = app.declared(&actor, "Damaged").await;
    let damage = |word: &'static str| {
        incident::Entity::update_many()
            .col_expr(incident::Column::Status, Expr::value(word))
            .filter(incident::Column::Id.eq(reference.0))
            .exec(&app.db)
    };
    damage("Investigating").await.unwrap();
    assert!(matches!(
        get_incident(&app.db, reference).await,
        Err(AppError::Internal)
    ));
    let moved = change_status(&app.db, &actor, reference, Status::Resolved, None, 1).await;
    assert!(matches!(moved, Err(AppError::Internal)), "{moved:?}");

    damage("investigating").await.unwrap();
    let incident = get_incident(&app.db, reference).await.unwrap();
    assert_eq!(
        incident.status,
        Status::Investigating,
        "the stored word is exact"
    );
}

/// The list page gives a bad filter the API's verdict (refused, naming the field) as a
/// message beside the field, with nothing listed, instead of ignoring it.
async fn the_list_page_refuses_a_bad_filter_beside_its_field(app: TestApp) {
    let (client, _) = app.signed_in(Role::Responder).await;
    let actor = app.with_user(Role::Responder).await;
    app.declared(&actor, "Listed only when the filters hold")
        .await;
    let page = |query: &'static str| {
        let client = client.clone();
        let app = &app;
        async move {
            let res = app.get_with(&client, &format!("/incidents?{query}")).await;
            assert_eq!(res.status(), 200, "{query}");
            res.text().await.unwrap()
        }
    };
    let good = page("status=triage").await;
    assert!(good.contains("Listed only when the filters hold"));
    assert!(!good.contains("field__error"));
    for (query, field, message) in [
        (
            "status=bogus",
            "filter-status",
            "Choose a status from the list.",
        ),
        (
            "severity=high",
            "filter-severity",
            "Choose a severity from the list.",
        ),
        ("from=yesterday", "filter-from", "Use a date like"),
        (
            "status=triage&to=2026-13-45",
            "filter-to",
            "Use a date like",
        ),
    ] {
        let html = page(query).await;
        assert!(html.contains(message), "{query}: {html}");
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "{query}: the message is named by its field"
        );
        assert!(
            html.contains(&format!("aria-describedby=\"{field}-error\"")),
            "{query}: the field points at its message"
        );
        assert!(
            !html.contains("Listed only when the filters hold"),
            "{query}: nothing is listed under a refused filter"
        );
    }
    // The server function the hydrated page calls answers the same.
    let res = app
        .call_with(
            &client,
            "/rpc/list_incidents",
            &[("query[status]", "bogus")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["incidents"], serde_json::json!([]));
    assert_eq!(body["invalid"][0]["field"], "status");
}
