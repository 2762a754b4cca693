//! Checking a reported change before anything is stored: every field's problem at
//! once, and the services it names resolved.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{MAX_SERVICES, NewChange, secs};
use crate::catalog::entities::service;
use crate::changes::entities::change;
use crate::changes::{ChangeKind, ChangeOutcome};
use crate::error::{AppError, FieldError};
use crate::text::{checked_line, has_control_characters, is_web_link};

/// A one-line optional text: trimmed, `None` when empty; an error when too long or with
/// control characters.
fn short_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    Some(checked_line(errors, field, value, max))
}

/// The checked row of `new`, and the services it names; every problem at once.
pub(super) async fn checked(
    db: &impl crate::db::Writer,
    new: &NewChange,
    now: DateTime<Utc>,
) -> Result<(change::ActiveModel, Vec<service::Model>), AppError> {
    let mut errors = Vec::new();
    let title = short_text(&mut errors, "title", Some(&new.title), 200);
    if title.is_none() {
        errors.push(FieldError::new("title", "Say what changed."));
    }
    let version = short_text(&mut errors, "version", new.version.as_deref(), 100);
    let author = short_text(&mut errors, "author", new.author.as_deref(), 100);
    let link = short_text(&mut errors, "link", new.link.as_deref(), 2000);
    if let Some(link) = &link
        && !is_web_link(link)
    {
        errors.push(FieldError::new(
            "link",
            "Use an http:// or https:// address.",
        ));
    }
    let source = new
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("api")
        .to_owned();
    if source.len() > 50
        || !source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        errors.push(FieldError::new(
            "source",
            "Use up to 50 letters, digits, dots, dashes or underscores.",
        ));
    }
    let external_id = short_text(&mut errors, "external_id", new.external_id.as_deref(), 200);

    // A report of only the end (GitLab's success event) started no later than it ended.
    let started = new.started_at.or(new.finished_at).unwrap_or(now);
    let soon = now + Duration::days(1);
    for (field, at) in [
        ("started_at", Some(started)),
        ("finished_at", new.finished_at),
        ("committed_at", new.committed_at),
    ] {
        if at.is_some_and(|at| at > soon) {
            errors.push(FieldError::new(field, "This time is in the future."));
        }
    }
    // Compared as stored: in whole seconds.
    if new.finished_at.is_some_and(|f| secs(f) < secs(started)) {
        errors.push(FieldError::new(
            "finished_at",
            "A change cannot finish before it started.",
        ));
    }
    if new.committed_at.is_some_and(|c| secs(c) > secs(started)) {
        errors.push(FieldError::new(
            "committed_at",
            "The commit must come before the change started.",
        ));
    }
    let outcome = match (new.outcome, new.finished_at) {
        (Some(ChangeOutcome::InProgress), Some(_)) => {
            errors.push(FieldError::new(
                "outcome",
                "A finished change succeeded, failed or was rolled back.",
            ));
            ChangeOutcome::InProgress
        }
        (Some(outcome), _) => outcome,
        (None, Some(_)) => ChangeOutcome::Succeeded,
        (None, None) => ChangeOutcome::InProgress,
    };

    let mut slugs: Vec<String> = Vec::new();
    for slug in &new.services {
        let slug = slug.trim().to_owned();
        if !slug.is_empty() && !slugs.contains(&slug) {
            slugs.push(slug);
        }
    }
    let mut services = Vec::new();
    if let Some(bad) = slugs.iter().find(|s| has_control_characters(s)) {
        // Never sent to the database: PostgreSQL refuses a NUL in a parameter.
        errors.push(FieldError::new(
            "services",
            format!("There is no service {bad:?}."),
        ));
    } else if slugs.is_empty() {
        errors.push(FieldError::new(
            "services",
            "Name at least one service the change was made to.",
        ));
    } else if slugs.len() > MAX_SERVICES {
        errors.push(FieldError::new(
            "services",
            format!("Name at most {MAX_SERVICES} services."),
        ));
    } else {
        // Kept between requests when not inside a caller's transaction (which may have
        // just written a service).
        services = match db.pool() {
            Some(pool) => crate::catalog::known::by_slugs(pool, &slugs).await?,
            None => {
                service::Entity::find()
                    .filter(service::Column::Slug.is_in(slugs.iter().cloned()))
                    .all(db)
                    .await?
            }
        };
        let known: HashSet<&str> = services.iter().map(|s| s.slug.as_str()).collect();
        if let Some(missing) = slugs.iter().find(|s| !known.contains(s.as_str())) {
            errors.push(FieldError::new(
                "services",
                format!("There is no service {missing:?}."),
            ));
        }
    }
    if let Some(reverts) = new.reverts
        && change::Entity::find_by_id(reverts).one(db).await?.is_none()
    {
        errors.push(FieldError::new(
            "reverts",
            format!("There is no change {reverts} to roll back."),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let row = change::ActiveModel {
        kind: Set(new.kind.unwrap_or(ChangeKind::Deploy)),
        title: Set(title.unwrap_or_default()),
        version: Set(version),
        author: Set(author),
        link: Set(link),
        started_secs: Set(secs(started)),
        finished_secs: Set(new.finished_at.map(secs)),
        committed_secs: Set(new.committed_at.map(secs)),
        outcome: Set(outcome),
        source: Set(source),
        external_id: Set(external_id),
        reverts_id: Set(new.reverts),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok((row, services))
}
