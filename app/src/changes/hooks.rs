//! What the deploy tools' webhooks say, read into changes: GitHub (`deployment_status`,
//! `workflow_run`), GitLab (deployment events), Argo CD (the notifications template in the
//! README) and a generic JSON shape. Pure: the caller checks who sent it and stores it.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::service::NewChange;
use super::{ChangeKind, ChangeOutcome};
use crate::error::AppError;

/// What one delivery reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Reported {
    Change(Box<Event>),
    /// Nothing to record, and why (a ping, a status that changes nothing, ...).
    Ignored(String),
}

/// A change as a webhook reports it, before the source maps it to services.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The repository or application, which the source's mapping turns into a service.
    pub subject: String,
    pub environment: Option<String>,
    /// A GitHub workflow run's workflow name: the source records only its deploy
    /// workflows.
    pub workflow: Option<String>,
    /// Without services unless the sender named them.
    pub change: NewChange,
}

fn malformed(field: &str, what: &str) -> AppError {
    AppError::invalid(field, format!("Expected {what} at `{field}`."))
}

fn json(body: &[u8]) -> Result<Value, AppError> {
    serde_json::from_slice(body)
        .map_err(|e| AppError::invalid("body", format!("The body is not JSON: {e}.")))
}

/// The text at `pointer`; templates write a missing value as "" or `<no value>`.
fn text(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty() && s != "<no value>")
}

fn required(v: &Value, pointer: &str, what: &str) -> Result<String, AppError> {
    text(v, pointer).ok_or_else(|| malformed(pointer.trim_start_matches('/'), what))
}

/// A time in RFC 3339, or GitLab's `2021-04-28 21:50:00 +0200`.
fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::<FixedOffset>::parse_from_str(value, "%Y-%m-%d %H:%M:%S %z"))
        .or_else(|_| {
            DateTime::<FixedOffset>::parse_from_str(
                &value.replace(" UTC", " +0000"),
                "%Y-%m-%d %H:%M:%S %z",
            )
        })
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn time(v: &Value, pointer: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    match text(v, pointer) {
        None => Ok(None),
        Some(t) => parse_time(&t)
            .map(Some)
            .ok_or_else(|| malformed(pointer.trim_start_matches('/'), "a time")),
    }
}

/// A one-line title of at most 200 characters: the first line, cut with an ellipsis.
fn title(value: &str) -> String {
    let line = value.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= 200 {
        line.to_owned()
    } else {
        format!("{}…", line.chars().take(199).collect::<String>())
    }
}

/// A commit id shortened as people read them; other refs as they are.
fn version(value: String) -> String {
    if value.len() == 40 && value.chars().all(|c| c.is_ascii_hexdigit()) {
        value[..7].to_owned()
    } else {
        value
    }
}

/// A GitHub delivery, by its `X-GitHub-Event` header.
pub fn github(event: &str, body: &[u8]) -> Result<Reported, AppError> {
    let v = json(body)?;
    match event {
        "ping" => Ok(Reported::Ignored("pong".into())),
        "deployment_status" => github_deployment(&v),
        "workflow_run" => github_workflow_run(&v),
        other => Ok(Reported::Ignored(format!(
            "A {other:?} event is not a change; send deployment_status and workflow_run."
        ))),
    }
}

fn github_deployment(v: &Value) -> Result<Reported, AppError> {
    let state = required(v, "/deployment_status/state", "the deployment's state")?;
    let (outcome, finished) = match state.as_str() {
        "pending" | "queued" | "in_progress" => (ChangeOutcome::InProgress, false),
        "success" => (ChangeOutcome::Succeeded, true),
        "failure" | "error" => (ChangeOutcome::Failed, true),
        other => {
            return Ok(Reported::Ignored(format!(
                "A deployment status of {other:?} changes nothing."
            )));
        }
    };
    let id = required(v, "/deployment/id", "the deployment's id")?;
    let repository = required(v, "/repository/full_name", "the repository's name")?;
    let environment = text(v, "/deployment/environment");
    let started = time(v, "/deployment/created_at")?;
    let finished_at = if finished {
        time(v, "/deployment_status/created_at")?.or(Some(Utc::now()))
    } else {
        None
    };
    let name = match &environment {
        Some(env) => format!("Deploy {repository} to {env}"),
        None => format!("Deploy {repository}"),
    };
    let change = NewChange {
        kind: Some(ChangeKind::Deploy),
        title: title(&name),
        version: text(v, "/deployment/ref")
            .or_else(|| text(v, "/deployment/sha"))
            .map(version),
        author: text(v, "/deployment/creator/login"),
        link: text(v, "/deployment_status/log_url")
            .or_else(|| text(v, "/deployment_status/target_url"))
            .or_else(|| text(v, "/repository/html_url")),
        started_at: started,
        finished_at,
        outcome: Some(outcome),
        external_id: Some(format!("deployment-{id}")),
        ..Default::default()
    };
    Ok(Reported::Change(Box::new(Event {
        subject: repository,
        environment,
        workflow: None,
        change,
    })))
}

fn github_workflow_run(v: &Value) -> Result<Reported, AppError> {
    let action = required(v, "/action", "the run's action")?;
    let outcome = match action.as_str() {
        "requested" | "in_progress" => ChangeOutcome::InProgress,
        "completed" => match text(v, "/workflow_run/conclusion").as_deref() {
            Some("success") => ChangeOutcome::Succeeded,
            Some("failure" | "timed_out" | "cancelled" | "startup_failure") => {
                ChangeOutcome::Failed
            }
            other => {
                return Ok(Reported::Ignored(format!(
                    "A run that ended {} deployed nothing.",
                    other.unwrap_or("without a conclusion")
                )));
            }
        },
        other => {
            return Ok(Reported::Ignored(format!(
                "A workflow run {other:?} changes nothing."
            )));
        }
    };
    let id = required(v, "/workflow_run/id", "the run's id")?;
    let attempt = text(v, "/workflow_run/run_attempt").unwrap_or_else(|| "1".into());
    let workflow = required(v, "/workflow_run/name", "the workflow's name")?;
    let repository = required(v, "/repository/full_name", "the repository's name")?;
    let started = time(v, "/workflow_run/run_started_at")?;
    let finished_at = match outcome {
        ChangeOutcome::InProgress => None,
        _ => time(v, "/workflow_run/updated_at")?.or(Some(Utc::now())),
    };
    // A commit clock a little ahead of the runner's must not lose the event.
    let committed_at =
        time(v, "/workflow_run/head_commit/timestamp")?.map(|c| started.map_or(c, |s| c.min(s)));
    let message = text(v, "/workflow_run/head_commit/message");
    let name = match &message {
        Some(m) => format!("{workflow}: {}", m.lines().next().unwrap_or_default()),
        None => format!("{workflow} in {repository}"),
    };
    let change = NewChange {
        kind: Some(ChangeKind::Deploy),
        title: title(&name),
        version: text(v, "/workflow_run/head_sha").map(version),
        author: text(v, "/workflow_run/head_commit/author/name")
            .or_else(|| text(v, "/workflow_run/actor/login")),
        link: text(v, "/workflow_run/html_url"),
        started_at: started,
        finished_at,
        committed_at,
        outcome: Some(outcome),
        external_id: Some(format!("run-{id}-{attempt}")),
        ..Default::default()
    };
    Ok(Reported::Change(Box::new(Event {
        subject: repository,
        environment: None,
        workflow: Some(workflow),
        change,
    })))
}

/// A GitLab deployment event (`X-Gitlab-Event: Deployment Hook`).
pub fn gitlab(body: &[u8]) -> Result<Reported, AppError> {
    let v = json(body)?;
    let kind = required(&v, "/object_kind", "the event's kind")?;
    if kind != "deployment" {
        return Ok(Reported::Ignored(format!(
            "A {kind:?} event is not a change; enable deployment events."
        )));
    }
    let status = required(&v, "/status", "the deployment's status")?;
    let at = time(&v, "/status_changed_at")?;
    let (outcome, started_at, finished_at) = match status.as_str() {
        "created" | "running" => (ChangeOutcome::InProgress, at, None),
        "success" => (ChangeOutcome::Succeeded, None, at.or(Some(Utc::now()))),
        // A canceled deployment may have changed part of the system: it did not succeed.
        "failed" | "canceled" => (ChangeOutcome::Failed, None, at.or(Some(Utc::now()))),
        other => {
            return Ok(Reported::Ignored(format!(
                "A deployment status of {other:?} changes nothing."
            )));
        }
    };
    let id = required(&v, "/deployment_id", "the deployment's id")?;
    let project = required(&v, "/project/path_with_namespace", "the project's path")?;
    let environment = text(&v, "/environment");
    let mut name = match &environment {
        Some(env) => format!("Deploy {project} to {env}"),
        None => format!("Deploy {project}"),
    };
    if let Some(commit) = text(&v, "/commit_title") {
        name = format!("{name}: {commit}");
    }
    let change = NewChange {
        kind: Some(ChangeKind::Deploy),
        title: title(&name),
        version: text(&v, "/short_sha"),
        author: text(&v, "/user/name").or_else(|| text(&v, "/user/username")),
        link: text(&v, "/deployable_url").or_else(|| text(&v, "/commit_url")),
        started_at,
        finished_at,
        outcome: Some(outcome),
        external_id: Some(format!("deployment-{id}")),
        ..Default::default()
    };
    Ok(Reported::Change(Box::new(Event {
        subject: project,
        environment,
        workflow: None,
        change,
    })))
}

/// An Argo CD notification, in the shape of the template the README gives.
pub fn argocd(body: &[u8]) -> Result<Reported, AppError> {
    let v = json(body)?;
    let app = required(&v, "/app", "the application's name")?;
    let phase = required(&v, "/phase", "the sync's phase")?;
    let outcome = match phase.as_str() {
        "Running" | "Terminating" => ChangeOutcome::InProgress,
        "Succeeded" => ChangeOutcome::Succeeded,
        "Failed" | "Error" => ChangeOutcome::Failed,
        other => {
            return Ok(Reported::Ignored(format!(
                "A sync phase of {other:?} changes nothing."
            )));
        }
    };
    let started = required(&v, "/started_at", "when the sync started")?;
    let started_at = time(&v, "/started_at")?;
    let finished_at = match outcome {
        ChangeOutcome::InProgress => None,
        _ => time(&v, "/finished_at")?.or(Some(Utc::now())),
    };
    let environment = text(&v, "/environment");
    let name = match &environment {
        Some(env) => format!("Sync {app} to {env}"),
        None => format!("Sync {app}"),
    };
    let change = NewChange {
        kind: Some(ChangeKind::Deploy),
        title: title(&name),
        version: text(&v, "/revision").map(version),
        author: text(&v, "/author"),
        link: text(&v, "/link"),
        started_at,
        finished_at,
        outcome: Some(outcome),
        // One sync operation: its application and start.
        external_id: Some(format!("{app}@{started}")),
        ..Default::default()
    };
    Ok(Reported::Change(Box::new(Event {
        subject: app,
        environment,
        workflow: None,
        change,
    })))
}

/// The generic shape: `POST /api/v1/changes`'s body, where `services` may be left out
/// for the source's mapping of `application` (or its default service) to decide.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericBody {
    kind: Option<ChangeKind>,
    title: String,
    #[serde(default)]
    services: Vec<String>,
    application: Option<String>,
    environment: Option<String>,
    version: Option<String>,
    author: Option<String>,
    link: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    committed_at: Option<DateTime<Utc>>,
    outcome: Option<ChangeOutcome>,
    external_id: Option<String>,
    reverts: Option<i64>,
}

/// A change in the generic JSON shape.
pub fn generic(body: &[u8]) -> Result<Reported, AppError> {
    let b: GenericBody = serde_json::from_slice(body).map_err(|e| {
        AppError::invalid(
            "body",
            format!("The body is not a change in the generic shape: {e}."),
        )
    })?;
    Ok(Reported::Change(Box::new(Event {
        subject: b.application.unwrap_or_default(),
        environment: b.environment,
        workflow: None,
        change: NewChange {
            kind: b.kind,
            title: b.title,
            version: b.version,
            author: b.author,
            link: b.link,
            started_at: b.started_at,
            finished_at: b.finished_at,
            committed_at: b.committed_at,
            outcome: b.outcome,
            source: None,
            external_id: b.external_id,
            reverts: b.reverts,
            services: b.services,
        },
    })))
}

#[cfg(test)]
mod tests;
