use super::*;

fn at(value: &str) -> Option<DateTime<Utc>> {
    Some(value.parse().unwrap())
}

fn change(reported: Reported) -> Event {
    match reported {
        Reported::Change(event) => *event,
        Reported::Ignored(why) => panic!("ignored: {why}"),
    }
}

#[test]
fn a_github_deployment_status_is_a_finished_deploy_of_its_repository() {
    let body = include_bytes!("../fixtures/github_deployment_status.json");
    let event = change(github("deployment_status", body).unwrap());
    assert_eq!(event.subject, "acme/checkout");
    assert_eq!(event.environment.as_deref(), Some("production"));
    let c = event.change;
    assert_eq!(c.title, "Deploy acme/checkout to production");
    assert_eq!(c.version.as_deref(), Some("v2.14.0"));
    assert_eq!(c.author.as_deref(), Some("octocat"));
    assert_eq!(c.outcome, Some(ChangeOutcome::Succeeded));
    assert_eq!(c.started_at, at("2026-12-01T10:01:12Z"));
    assert_eq!(c.finished_at, at("2026-12-01T10:04:31Z"));
    assert_eq!(c.external_id.as_deref(), Some("deployment-1183407025"));
    assert_eq!(
        c.link.as_deref(),
        Some("https://github.com/acme/checkout/actions/runs/9876543210")
    );
    assert!(c.services.is_empty());
}

#[test]
fn github_states_that_change_nothing_are_ignored_and_pending_is_in_progress() {
    let mut v: Value =
        serde_json::from_slice(include_bytes!("../fixtures/github_deployment_status.json"))
            .unwrap();
    v["deployment_status"]["state"] = "inactive".into();
    let body = serde_json::to_vec(&v).unwrap();
    assert!(matches!(
        github("deployment_status", &body).unwrap(),
        Reported::Ignored(_)
    ));
    v["deployment_status"]["state"] = "in_progress".into();
    let body = serde_json::to_vec(&v).unwrap();
    let c = change(github("deployment_status", &body).unwrap()).change;
    assert_eq!(c.outcome, Some(ChangeOutcome::InProgress));
    assert_eq!(c.finished_at, None);
    assert_eq!(
        github("ping", b"{\"zen\":\"Keep it simple.\"}").unwrap(),
        Reported::Ignored("pong".into())
    );
    assert!(matches!(
        github("push", b"{}").unwrap(),
        Reported::Ignored(_)
    ));
}

#[test]
fn a_github_workflow_run_carries_its_commit_time_for_lead_time() {
    let body = include_bytes!("../fixtures/github_workflow_run.json");
    let event = change(github("workflow_run", body).unwrap());
    assert_eq!(event.workflow.as_deref(), Some("Deploy to production"));
    let c = event.change;
    assert_eq!(
        c.title,
        "Deploy to production: Cache the tax tables per region"
    );
    assert_eq!(c.version.as_deref(), Some("7638417"));
    assert_eq!(c.author.as_deref(), Some("Mona Lisa"));
    assert_eq!(c.outcome, Some(ChangeOutcome::Failed));
    assert_eq!(c.started_at, at("2026-12-01T10:00:02Z"));
    assert_eq!(c.finished_at, at("2026-12-01T10:06:40Z"));
    assert_eq!(c.committed_at, at("2026-12-01T09:41:55Z"));
    assert_eq!(c.external_id.as_deref(), Some("run-9876543210-1"));
}

#[test]
fn a_gitlab_deployment_reads_its_own_time_format() {
    let body = include_bytes!("../fixtures/gitlab_deployment.json");
    let event = change(gitlab(body).unwrap());
    assert_eq!(event.subject, "payments/ledger");
    let c = event.change;
    assert_eq!(
        c.title,
        "Deploy payments/ledger to production: Round ledger totals half-even"
    );
    assert_eq!(c.outcome, Some(ChangeOutcome::Succeeded));
    // 11:12:40 at +01:00; the start is whatever the running event said.
    assert_eq!(c.finished_at, at("2026-12-01T10:12:40Z"));
    assert_eq!(c.started_at, None);
    assert_eq!(c.version.as_deref(), Some("279484c0"));
    assert_eq!(c.author.as_deref(), Some("Ada Admin"));
    assert_eq!(c.external_id.as_deref(), Some("deployment-15"));
    assert!(matches!(
        gitlab(br#"{"object_kind":"push"}"#).unwrap(),
        Reported::Ignored(_)
    ));
}

#[test]
fn an_argocd_sync_is_one_change_per_operation() {
    let body = include_bytes!("../fixtures/argocd_sync.json");
    let event = change(argocd(body).unwrap());
    assert_eq!(event.subject, "search-api");
    let c = event.change;
    assert_eq!(c.title, "Sync search-api to production");
    assert_eq!(c.version.as_deref(), Some("4f1e2d3"));
    assert_eq!(c.outcome, Some(ChangeOutcome::Succeeded));
    assert_eq!(c.finished_at, at("2026-12-01T12:31:47Z"));
    assert_eq!(
        c.external_id.as_deref(),
        Some("search-api@2026-12-01T12:30:05Z")
    );
    // A template's empty values are absent, not errors.
    let running = br#"{"app":"search-api","phase":"Running","started_at":"2026-12-01T12:30:05Z","finished_at":"<no value>","revision":""}"#;
    let c = change(argocd(running).unwrap()).change;
    assert_eq!(c.outcome, Some(ChangeOutcome::InProgress));
    assert_eq!((c.finished_at, c.version), (None, None));
}

#[test]
fn malformed_deliveries_name_what_is_wrong() {
    let field = |e: AppError| match e {
        AppError::Invalid(errors) => errors[0].field.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(github("deployment_status", b"not json").unwrap_err()),
        "body"
    );
    assert_eq!(
        field(
            github(
                "deployment_status",
                br#"{"deployment_status":{"state":"success"}}"#
            )
            .unwrap_err()
        ),
        "deployment/id"
    );
    assert_eq!(
        field(gitlab(br#"{"object_kind":"deployment","status":"running","status_changed_at":"yesterday"}"#).unwrap_err()),
        "status_changed_at"
    );
    assert_eq!(field(argocd(br#"{"phase":"Running"}"#).unwrap_err()), "app");
    assert_eq!(
        field(generic(br#"{"title":"x","colour":"red"}"#).unwrap_err()),
        "body"
    );
    assert_eq!(field(generic(b"[]").unwrap_err()), "body");
}

#[test]
fn long_messages_become_one_line_titles() {
    let long = format!("{}\nsecond line", "x".repeat(300));
    let t = title(&long);
    assert_eq!(t.chars().count(), 200);
    assert!(t.ends_with('…'));
    assert_eq!(title("one\ntwo"), "one");
}
