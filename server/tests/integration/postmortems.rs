//! Postmortems on both backends: created from the template and the incident, saved as
//! revisions, conflicts that lose nothing, the review workflow and who may do what, the
//! rule that closing needs a published postmortem, search, export and the template.

use app::accounts::{CurrentUser, Role};
use app::audit::service::Actor;
use app::error::AppError;
use app::incidents::service::query::get_incident;
use app::incidents::service::timeline::{NewNote, add_note};
use app::incidents::{IncidentRef, Marker, Status};
use app::postmortems::service::query::{get_postmortem, list_postmortems, revision_history};
use app::postmortems::service::review::{add_comment, set_reviewers, take_review_step};
use app::postmortems::service::templates;
use app::postmortems::service::write::{
    PostmortemEdit, create_postmortem, refresh_timeline, save_postmortem,
};
use app::postmortems::template::{SectionTemplate, default_template};
use app::postmortems::{ListAt, PostmortemStatus, ReviewStep};
use app::workflow::change_status;

use crate::support::TestApp;

backend_tests!(
    a_postmortem_starts_from_the_template_and_the_incident_timeline,
    every_save_is_a_revision_and_a_stale_save_keeps_both_texts,
    the_review_goes_from_draft_to_published_with_approvals,
    closing_needs_a_published_postmortem_where_the_severity_says_so,
    postmortems_are_searched_exported_and_shown_by_role,
    admins_change_the_template_for_new_postmortems,
);

pub async fn started(app: &TestApp, actor: &CurrentUser, title: &str) -> IncidentRef {
    let reference = app.declared_at(actor, title, 1).await;
    create_postmortem(&app.db, actor, reference).await.unwrap();
    reference
}

fn edit_section(pm: &app::postmortems::PostmortemView, title: &str, body: &str) -> PostmortemEdit {
    let id = pm.sections.iter().find(|s| s.title == title).unwrap().id;
    PostmortemEdit {
        title: Some(pm.title.clone()),
        sections: vec![(id, body.to_owned())],
    }
}

async fn a_postmortem_starts_from_the_template_and_the_incident_timeline(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let reference = app.declared_at(&ic, "Search outage", 1).await;
    add_note(
        &app.db,
        &ic,
        reference,
        NewNote {
            body: "Rolled back\nthe index deploy".into(),
            marker: Some(Marker::Repair),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    create_postmortem(&app.db, &ic, reference).await.unwrap();
    let pm = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();
    assert_eq!(pm.title, "Postmortem: Search outage");
    assert_eq!(pm.status, PostmortemStatus::Draft);
    let titles: Vec<String> = pm.sections.iter().map(|s| s.title.clone()).collect();
    let expected: Vec<String> = default_template().into_iter().map(|s| s.title).collect();
    assert_eq!(titles, expected);
    let timeline = pm.sections.iter().find(|s| s.title == "Timeline").unwrap();
    let key = timeline
        .body
        .find("### Key moments")
        .expect("key moments first");
    let repair = timeline
        .body
        .find("Repair: Rolled back the index deploy")
        .unwrap();
    let everything = timeline.body.find("### Everything that happened").unwrap();
    assert!(key < repair && repair < everything, "{}", timeline.body);
    assert!(timeline.body.contains("Declared as SEV2"));
    let lessons = pm
        .sections
        .iter()
        .find(|s| s.title == "Lessons learned")
        .unwrap();
    assert!(lessons.body.contains("### Where we got lucky"));
    assert_eq!(pm.authors, vec![ic.display_name.clone()]);
    assert_eq!(
        pm.incident.severity.name, "SEV2",
        "facts come from the incident"
    );

    let again = create_postmortem(&app.db, &ic, reference).await;
    assert!(matches!(again, Err(AppError::Conflict { .. })), "{again:?}");
    let missing = create_postmortem(&app.db, &ic, IncidentRef(999_999)).await;
    assert!(matches!(missing, Err(AppError::NotFound(_))));

    // The timeline section is refreshed from later events, as a new revision.
    add_note(
        &app.db,
        &ic,
        reference,
        NewNote {
            body: "Customers confirmed recovery".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    refresh_timeline(&app.db, &ic, reference, pm.version)
        .await
        .unwrap();
    let pm = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();
    assert_eq!(pm.version, 2);
    assert!(
        pm.sections
            .iter()
            .any(|s| s.title == "Timeline" && s.body.contains("Customers confirmed recovery"))
    );
}

async fn every_save_is_a_revision_and_a_stale_save_keeps_both_texts(app: TestApp) {
    let alice = app.with_user(Role::Responder).await;
    let bob = app.with_user(Role::Responder).await;
    let reference = started(&app, &alice, "Login errors").await;
    let pm = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();

    let mut edit = edit_section(&pm, "Impact", "12% of sign-ins failed for 40 minutes.");
    edit.title = Some("Login errors after the auth deploy".into());
    save_postmortem(&app.db, &alice, reference, edit, 1)
        .await
        .unwrap();
    let saved = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.title, "Login errors after the auth deploy");

    // Saving the same text again records nothing.
    let same = edit_section(&saved, "Impact", "12% of sign-ins failed for 40 minutes.");
    save_postmortem(&app.db, &alice, reference, same, 2)
        .await
        .unwrap();
    assert_eq!(
        get_postmortem(&app.db, reference, Role::Responder)
            .await
            .unwrap()
            .version,
        2
    );

    // Bob started from version 1: his save is refused with both texts in the message.
    let stale = edit_section(&pm, "Impact", "Sign-ins were slow.");
    let err = save_postmortem(&app.db, &bob, reference, stale, 1)
        .await
        .unwrap_err();
    match err {
        AppError::Conflict { message } => {
            assert!(message.contains("12% of sign-ins failed"), "{message}");
            assert!(message.contains("Sign-ins were slow."), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }

    let bad = save_postmortem(
        &app.db,
        &alice,
        reference,
        PostmortemEdit {
            title: Some(" ".into()),
            sections: vec![],
        },
        2,
    )
    .await
    .unwrap_err();
    assert!(bad.field_message("title").is_some());
    let foreign = save_postmortem(
        &app.db,
        &alice,
        reference,
        PostmortemEdit {
            title: Some("x".into()),
            sections: vec![(424_242, "x".into())],
        },
        2,
    )
    .await
    .unwrap_err();
    assert!(foreign.field_message("sections").is_some());

    let history = revision_history(&app.db, reference, Some((1, 2)), Role::Responder)
        .await
        .unwrap();
    assert_eq!(
        history
            .revisions
            .iter()
            .map(|r| r.version)
            .collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(history.revisions[0].author, alice.display_name);
    let impact = history.diff.iter().find(|d| d.title == "Impact").unwrap();
    assert!(impact.changed);
    assert!(
        impact
            .lines
            .iter()
            .any(|l| l.change == app::diff::Change::Added
                && l.text == "12% of sign-ins failed for 40 minutes.")
    );
    assert!(
        history
            .diff
            .iter()
            .find(|d| d.title == "Title")
            .unwrap()
            .changed
    );
    assert!(
        !history
            .diff
            .iter()
            .find(|d| d.title == "Trigger")
            .unwrap()
            .changed
    );
    let missing = revision_history(&app.db, reference, Some((1, 9)), Role::Responder).await;
    assert!(missing.is_err());
}

async fn the_review_goes_from_draft_to_published_with_approvals(app: TestApp) {
    let author = app.with_user(Role::Responder).await;
    let first = app.with_user(Role::Responder).await;
    let second = app.with_user(Role::Admin).await;
    let viewer = app.with_user(Role::Viewer).await;
    let reference = started(&app, &author, "Queue stuck").await;
    let version = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            get_postmortem(&db, reference, Role::Responder)
                .await
                .unwrap()
                .version
        }
    };

    let err = take_review_step(&app.db, &author, reference, ReviewStep::SubmitForReview, 1)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("reviewer"), "{err}");
    let err = set_reviewers(&app.db, reference, vec![viewer.id.0], 1)
        .await
        .unwrap_err();
    assert!(err.field_message("reviewer_ids").is_some());
    set_reviewers(&app.db, reference, vec![first.id.0, second.id.0], 1)
        .await
        .unwrap();
    let v = version(&app).await;
    assert_eq!(
        take_review_step(&app.db, &author, reference, ReviewStep::SubmitForReview, v)
            .await
            .unwrap(),
        PostmortemStatus::InReview
    );
    let v = version(&app).await;
    let err = take_review_step(&app.db, &author, reference, ReviewStep::Approve, v)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Only an assigned reviewer"));
    assert_eq!(
        take_review_step(&app.db, &first, reference, ReviewStep::Approve, v)
            .await
            .unwrap(),
        PostmortemStatus::InReview
    );
    // A change during review withdraws the approvals: reviewers approve what they read.
    let pm = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();
    assert!(pm.reviewers.iter().any(|r| r.approved_at.is_some()));
    save_postmortem(
        &app.db,
        &author,
        reference,
        edit_section(&pm, "Trigger", "A config push."),
        pm.version,
    )
    .await
    .unwrap();
    let pm = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();
    assert!(pm.reviewers.iter().all(|r| r.approved_at.is_none()));
    take_review_step(&app.db, &first, reference, ReviewStep::Approve, pm.version)
        .await
        .unwrap();
    let v = version(&app).await;
    assert_eq!(
        take_review_step(&app.db, &second, reference, ReviewStep::Approve, v)
            .await
            .unwrap(),
        PostmortemStatus::Approved
    );
    // Approved text is frozen until reopened.
    let pm = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();
    let frozen = save_postmortem(
        &app.db,
        &author,
        reference,
        edit_section(&pm, "Trigger", "changed"),
        pm.version,
    )
    .await
    .unwrap_err();
    assert!(frozen.to_string().contains("reopen it"), "{frozen}");

    // Viewers read only published postmortems.
    let hidden = get_postmortem(&app.db, reference, Role::Viewer).await;
    assert!(matches!(hidden, Err(AppError::Forbidden)), "{hidden:?}");
    take_review_step(&app.db, &author, reference, ReviewStep::Publish, pm.version)
        .await
        .unwrap();
    let published = get_postmortem(&app.db, reference, Role::Viewer)
        .await
        .unwrap();
    assert_eq!(published.status, PostmortemStatus::Published);
    assert!(published.published_at.is_some());
    add_comment(&app.db, &second, reference, "Great **write-up**")
        .await
        .unwrap();
    let empty = add_comment(&app.db, &second, reference, "  ")
        .await
        .unwrap_err();
    assert!(empty.field_message("body").is_some());
    let pm = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();
    let log: Vec<&str> = pm.comments.iter().map(|c| c.body_html.as_str()).collect();
    assert!(log[0].contains("Submitted for review."), "{log:?}");
    assert!(
        log.iter()
            .any(|c| c.contains("Every reviewer has approved"))
    );
    assert!(log.last().unwrap().contains("<strong>write-up</strong>"));

    let step = take_review_step(&app.db, &author, reference, ReviewStep::Reopen, pm.version)
        .await
        .unwrap();
    assert_eq!(step, PostmortemStatus::Draft);
    let pm = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap();
    assert!(pm.published_at.is_none());
    let stale = take_review_step(&app.db, &author, reference, ReviewStep::SubmitForReview, 1).await;
    assert!(matches!(stale, Err(AppError::Conflict { .. })), "{stale:?}");
}

/// Takes a started postmortem through review to published.
pub async fn publish(
    app: &TestApp,
    author: &CurrentUser,
    reviewer: &CurrentUser,
    reference: IncidentRef,
) {
    let v = get_postmortem(&app.db, reference, Role::Responder)
        .await
        .unwrap()
        .version;
    set_reviewers(&app.db, reference, vec![reviewer.id.0], v)
        .await
        .unwrap();
    for (who, step) in [
        (author, ReviewStep::SubmitForReview),
        (reviewer, ReviewStep::Approve),
        (author, ReviewStep::Publish),
    ] {
        let v = get_postmortem(&app.db, reference, Role::Responder)
            .await
            .unwrap()
            .version;
        take_review_step(&app.db, who, reference, step, v)
            .await
            .unwrap();
    }
}

async fn closing_needs_a_published_postmortem_where_the_severity_says_so(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let reviewer = app.with_user(Role::Responder).await;
    let sev1 = app.declared_at(&ic, "Everything down", 0).await;
    change_status(&app.db, &ic, sev1, Status::Resolved, None, 1)
        .await
        .unwrap();
    let err = change_status(&app.db, &ic, sev1, Status::Closed, None, 2)
        .await
        .unwrap_err();
    let message = err.field_message("status").unwrap();
    assert!(
        message.contains("SEV1 incidents need a published postmortem"),
        "{message}"
    );
    assert!(message.contains("it has none yet"), "{message}");

    create_postmortem(&app.db, &ic, sev1).await.unwrap();
    let err = change_status(&app.db, &ic, sev1, Status::Closed, None, 2)
        .await
        .unwrap_err();
    assert!(
        err.field_message("status")
            .unwrap()
            .contains("postmortem is draft")
    );
    publish(&app, &ic, &reviewer, sev1).await;
    change_status(&app.db, &ic, sev1, Status::Closed, None, 2)
        .await
        .unwrap();
    assert_eq!(
        get_incident(&app.db, sev1).await.unwrap().status,
        Status::Closed
    );

    let sev3 = app.declared_at(&ic, "Slow report", 2).await;
    change_status(&app.db, &ic, sev3, Status::Resolved, None, 1)
        .await
        .unwrap();
    change_status(&app.db, &ic, sev3, Status::Closed, None, 2)
        .await
        .expect("SEV3 closes without a postmortem");
}

async fn postmortems_are_searched_exported_and_shown_by_role(app: TestApp) {
    let author = app.with_user(Role::Responder).await;
    let reviewer = app.with_user(Role::Responder).await;
    let draft = started(&app, &author, "Draft one").await;
    let done = started(&app, &author, "Cache stampede").await;
    let pm = get_postmortem(&app.db, done, Role::Responder)
        .await
        .unwrap();
    save_postmortem(
        &app.db,
        &author,
        done,
        edit_section(
            &pm,
            "Root causes",
            "The thundering_herd of cache misses.\n\n<script>alert(1)</script>",
        ),
        pm.version,
    )
    .await
    .unwrap();
    publish(&app, &author, &reviewer, done).await;

    let everyone = list_postmortems(&app.db, None, None, ListAt::Page(1), Role::Responder)
        .await
        .unwrap();
    assert_eq!(everyone.total, 2);
    let viewers = list_postmortems(&app.db, None, None, ListAt::Page(1), Role::Viewer)
        .await
        .unwrap();
    assert_eq!(viewers.total, 1, "viewers see published ones");
    assert_eq!(viewers.postmortems[0].incident, done);
    let found = list_postmortems(
        &app.db,
        Some("THUNDERING_HERD"),
        None,
        ListAt::Page(1),
        Role::Responder,
    )
    .await
    .unwrap();
    assert_eq!(found.total, 1, "section text is searched, `_` literally");
    let none = list_postmortems(
        &app.db,
        Some("thundering%"),
        None,
        ListAt::Page(1),
        Role::Responder,
    )
    .await
    .unwrap();
    assert_eq!(none.total, 0);
    let drafts = list_postmortems(
        &app.db,
        None,
        Some(PostmortemStatus::Draft),
        ListAt::Page(1),
        Role::Responder,
    )
    .await
    .unwrap();
    assert_eq!(drafts.postmortems[0].incident, draft);

    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let page = app
        .get_with(&viewer, &format!("/incidents/{done}/postmortem"))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("The thundering_herd of cache misses."));
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "section text is sanitised"
    );
    assert!(!html.contains("Save postmortem"), "viewers get no editor");
    assert_eq!(
        app.get_with(&viewer, &format!("/incidents/{draft}/postmortem"))
            .await
            .status(),
        403
    );
    assert_eq!(app.get_with(&viewer, "/postmortems").await.status(), 200);
    assert_eq!(
        app.get_with(&viewer, &format!("/incidents/{done}/postmortem/print"))
            .await
            .status(),
        200
    );
    // Earlier drafts may hold text that was taken out on purpose: not for viewers.
    assert!(!html.contains("Revision history"));
    assert_eq!(
        app.get_with(&viewer, &format!("/incidents/{done}/postmortem/history"))
            .await
            .status(),
        403
    );
    let (responder, _) = app.signed_in(Role::Responder).await;
    assert_eq!(
        app.get_with(&responder, &format!("/incidents/{done}/postmortem/history"))
            .await
            .status(),
        200
    );

    app::action_items::service::create_action_item(
        &app.db,
        &author,
        done,
        app::action_items::service::ItemFields {
            title: "Add request coalescing | jitter".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let file = app
        .get_with(&viewer, &format!("/incidents/{done}/postmortem.md"))
        .await;
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.headers()["content-type"],
        "text/markdown; charset=utf-8"
    );
    let disposition = file.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"inc-"),
        "{disposition}"
    );
    let text = file.text().await.unwrap();
    assert!(
        text.starts_with("---\ntitle: \"Postmortem: Cache stampede\"\n"),
        "{text}"
    );
    assert!(text.contains("\nstatus: published\n"));
    assert!(text.contains("\nseverity: \"SEV2\"\n"));
    assert!(text.contains("\n## Root causes\n\nThe thundering_herd"));
    assert!(
        text.contains(
            "| Add request coalescing \\| jitter | Prevent | Medium | unassigned | — | Open |"
        ),
        "{text}"
    );
    let hidden = app
        .get_with(&viewer, &format!("/incidents/{draft}/postmortem.md"))
        .await;
    assert_eq!(hidden.status(), 403);
    assert!(hidden.text().await.unwrap().contains("\"code\""));
    let anonymous = app.get(&format!("/incidents/{done}/postmortem.md")).await;
    assert_eq!(anonymous.status(), 303);

    // Viewers cannot write: every postmortem server function refuses them.
    let done_text = done.to_string();
    for (path, form) in [
        (
            "/rpc/start_postmortem",
            vec![("reference", done_text.as_str())],
        ),
        (
            "/rpc/comment_on_postmortem",
            vec![("reference", done_text.as_str()), ("body", "hi")],
        ),
        (
            "/rpc/postmortem_review_step",
            vec![
                ("reference", done_text.as_str()),
                ("version", "1"),
                ("step", "reopen"),
            ],
        ),
        ("/rpc/preview_markdown", vec![("body", "x")]),
    ] {
        assert_eq!(
            app.call_with(&viewer, path, &form).await.status(),
            403,
            "{path}"
        );
    }

    // The live preview renders, sanitises and advises.
    let (writer, _) = app.signed_in(Role::Responder).await;
    let res = app
        .call_with(
            &writer,
            "/rpc/preview_markdown",
            &[(
                "body",
                "It was **human error**. <img src=x onerror=alert(1)>",
            )],
        )
        .await;
    assert_eq!(res.status(), 200);
    let preview: serde_json::Value = res.json().await.unwrap();
    let html = preview["html"].as_str().unwrap();
    assert!(
        html.contains("<strong>human error</strong>") && !html.contains("onerror"),
        "{html}"
    );
    assert_eq!(preview["findings"][0]["phrase"], "human error");
}

async fn admins_change_the_template_for_new_postmortems(app: TestApp) {
    let ic = app.with_user(Role::Responder).await;
    let err = templates::save(&app.db, &Actor::default(), &[])
        .await
        .unwrap_err();
    assert!(err.field_message("sections").is_some());

    let (responder, _) = app.signed_in(Role::Responder).await;
    let form = [
        ("titles[]", "What happened"),
        ("guidance[]", "In plain words."),
        ("starters[]", ""),
        ("positions[]", "1"),
        ("titles[]", "Timeline"),
        ("guidance[]", "From the incident."),
        ("starters[]", ""),
        ("positions[]", "2"),
        ("titles[]", "Impact"),
        ("guidance[]", "Who noticed."),
        ("starters[]", ""),
        ("positions[]", "1"),
    ];
    let res = app
        .call_with(&responder, "/rpc/save_postmortem_template", &form)
        .await;
    assert_eq!(res.status(), 403);
    let (admin, _) = app.signed_in(Role::Admin).await;
    let res = app
        .call_with(&admin, "/rpc/save_postmortem_template", &form)
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let titles: Vec<String> = templates::current(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert_eq!(
        titles,
        ["Impact", "What happened", "Timeline"],
        "moved to 1 means first"
    );

    let older = started(&app, &ic, "Before").await;
    let newer_titles: Vec<String> = get_postmortem(&app.db, older, Role::Responder)
        .await
        .unwrap()
        .sections
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert_eq!(newer_titles, titles);

    templates::save(
        &app.db,
        &Actor::default(),
        &[SectionTemplate {
            title: "Only".into(),
            guidance: String::new(),
            starter: String::new(),
        }],
    )
    .await
    .unwrap();
    let kept = get_postmortem(&app.db, older, Role::Responder)
        .await
        .unwrap();
    assert_eq!(
        kept.sections.len(),
        3,
        "a postmortem keeps the sections it began with"
    );
    let page = app.get_with(&admin, "/admin/postmortem-template").await;
    assert_eq!(page.status(), 200);
    assert_eq!(
        app.get_with(&responder, "/admin/postmortem-template")
            .await
            .status(),
        403
    );
    templates::reset(&app.db, &Actor::default()).await.unwrap();
    assert_eq!(
        templates::current(&app.db).await.unwrap(),
        default_template()
    );
}
