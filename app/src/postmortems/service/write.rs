//! Starting a postmortem and saving its text: every save is a revision, and a save
//! based on an older version is refused with both texts, never merged silently.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, SqlErr,
};

use super::{Snapshot, load, save_versioned, sections, snapshot};
use crate::accounts::{CurrentUser, Role};
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::service::timeline::timeline;
use crate::incidents::{IncidentRef, Marker, TimelineEventView};
use crate::postmortems::entities::{postmortem, reviewer, revision, section};
use crate::postmortems::template::TIMELINE;
use crate::postmortems::{PostmortemStatus, service::templates};

const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 100_000;

/// Starts the incident's postmortem from the current template, with the timeline
/// section filled from the incident.
pub async fn create_postmortem(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let incident = crate::incidents::service::load(&txn, reference).await?;
    let exists = postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(incident.id))
        .one(&txn)
        .await?
        .is_some();
    if exists {
        return Err(already_exists(reference));
    }
    let template = templates::current(&txn).await?;
    let story = timeline_markdown(&timeline(&txn, reference, Role::Responder).await?);
    let now = Utc::now();
    let title: String = format!("Postmortem: {}", incident.title)
        .chars()
        .take(MAX_TITLE)
        .collect();
    let inserted = postmortem::ActiveModel {
        incident_id: Set(incident.id),
        title: Set(title.clone()),
        status: Set(PostmortemStatus::Draft),
        version: Set(1),
        created_by: Set(actor.id.0),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let created = match inserted {
        Ok(created) => created,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(already_exists(reference));
        }
        Err(err) => return Err(err.into()),
    };
    let mut rows = Vec::new();
    for (position, part) in template.into_iter().enumerate() {
        let body = if part.title == TIMELINE {
            story.clone()
        } else {
            part.starter
        };
        rows.push(
            section::ActiveModel {
                postmortem_id: Set(created.id),
                position: Set(position as i32 + 1),
                title: Set(part.title),
                guidance: Set(part.guidance),
                body: Set(body),
                ..Default::default()
            }
            .insert(&txn)
            .await?,
        );
    }
    record_revision(&txn, created.id, 1, actor, &snapshot(&title, &rows)).await?;
    txn.commit().await?;
    Ok(())
}

fn already_exists(reference: IncidentRef) -> AppError {
    AppError::Conflict {
        message: format!("{reference} already has a postmortem."),
    }
}

async fn record_revision(
    db: &impl ConnectionTrait,
    postmortem_id: i64,
    version: i32,
    actor: &CurrentUser,
    content: &Snapshot,
) -> Result<(), AppError> {
    revision::ActiveModel {
        postmortem_id: Set(postmortem_id),
        version: Set(version),
        author_id: Set(actor.id.0),
        created_at: Set(Utc::now()),
        content: Set(serde_json::to_string(content).map_err(AppError::internal)?),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The incident's story as Markdown: the marked and highlighted moments first, then
/// everything in order. Times are UTC so the text reads the same for everyone.
pub fn timeline_markdown(events: &[TimelineEventView]) -> String {
    let line = |e: &TimelineEventView| {
        let text = e.body.split_whitespace().collect::<Vec<_>>().join(" ");
        let tag = e
            .marker
            .map(|m| format!(" · {}", m.label()))
            .unwrap_or_default();
        let author = e
            .author
            .as_deref()
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        format!(
            "- **{}**{tag}: {text}{author}\n",
            e.occurred_at.format("%Y-%m-%d %H:%M UTC")
        )
    };
    let key: Vec<&TimelineEventView> = events
        .iter()
        .filter(|e| e.marker.is_some() || e.highlighted)
        .collect();
    let mut out = String::new();
    if !key.is_empty() {
        out.push_str("### Key moments\n\n");
        for marker in [
            Some(Marker::Detection),
            Some(Marker::Diagnosis),
            Some(Marker::Repair),
            Some(Marker::KeyMoment),
            None,
        ] {
            for e in key.iter().filter(|e| e.marker == marker) {
                out.push_str(&line(e));
            }
        }
        out.push('\n');
    }
    out.push_str("### Everything that happened\n\n");
    for e in events {
        out.push_str(&line(e));
    }
    out
}

/// A save: the title (`None` keeps the stored one) and the new body of each
/// section, by section id.
#[derive(Debug, Clone, Default)]
pub struct PostmortemEdit {
    pub title: Option<String>,
    pub sections: Vec<(i64, String)>,
}

/// Saves a new revision if anything changed. Refused outside draft and review; an
/// edit during review withdraws the approvals given so far.
pub async fn save_postmortem(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    edit: PostmortemEdit,
    expected_version: i32,
) -> Result<(), AppError> {
    let title = edit.title.as_deref().map(checked_title).transpose()?;
    if edit
        .sections
        .iter()
        .any(|(_, b)| b.chars().count() > MAX_BODY)
    {
        return Err(AppError::invalid(
            "sections",
            "A section can hold at most 100,000 characters.",
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = load(&txn, reference).await?;
    let status = current.status;
    if !status.is_editable() {
        return Err(AppError::invalid(
            "sections",
            format!(
                "This postmortem is {}; reopen it as a draft to change it.",
                status.label().to_lowercase()
            ),
        ));
    }
    let existing = sections(&txn, current.id).await?;
    if let Some((unknown, _)) = edit
        .sections
        .iter()
        .find(|(id, _)| !existing.iter().any(|s| s.id == *id))
    {
        return Err(AppError::invalid(
            "sections",
            format!("Section {unknown} is not part of this postmortem."),
        ));
    }
    if current.version != expected_version {
        return Err(conflict(&current, &existing, &edit));
    }
    let title = title.unwrap_or_else(|| current.title.clone());
    let mut changed = title != current.title;
    let mut after = existing.clone();
    for (id, body) in &edit.sections {
        let body = body.replace("\r\n", "\n");
        let Some(row) = after.iter_mut().find(|s| s.id == *id) else {
            continue;
        };
        if row.body != body {
            changed = true;
            section::Entity::update_many()
                .col_expr(
                    section::Column::Body,
                    sea_orm::sea_query::Expr::value(body.clone()),
                )
                .filter(section::Column::Id.eq(*id))
                .exec(&txn)
                .await?;
            row.body = body;
        }
    }
    if !changed {
        return Ok(());
    }
    save_versioned(
        &txn,
        &current,
        expected_version,
        postmortem::ActiveModel {
            title: Set(title.clone()),
            ..Default::default()
        },
    )
    .await?;
    if status == PostmortemStatus::InReview {
        clear_approvals(&txn, current.id).await?;
    }
    record_revision(
        &txn,
        current.id,
        expected_version + 1,
        actor,
        &snapshot(&title, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A title as it will be stored: trimmed, one line, 1-200 characters.
fn checked_title(title: &str) -> Result<String, AppError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(AppError::invalid("title", "Give the postmortem a title."));
    }
    if crate::text::has_control_characters(title) {
        return Err(AppError::invalid("title", crate::text::ONE_LINE));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(AppError::invalid(
            "title",
            "Keep the title under 200 characters.",
        ));
    }
    Ok(title.to_owned())
}

pub(crate) async fn clear_approvals(
    db: &impl ConnectionTrait,
    postmortem_id: i64,
) -> Result<(), AppError> {
    reviewer::Entity::update_many()
        .col_expr(
            reviewer::Column::ApprovedAt,
            sea_orm::sea_query::Expr::value(None::<chrono::DateTime<Utc>>),
        )
        .filter(reviewer::Column::PostmortemId.eq(postmortem_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A stale save: both versions of every section that differs, so nothing typed is lost.
fn conflict(
    current: &postmortem::Model,
    existing: &[section::Model],
    edit: &PostmortemEdit,
) -> AppError {
    let clip = |text: &str| {
        let clipped: String = text.chars().take(600).collect();
        if clipped.len() < text.len() {
            format!("{clipped}…")
        } else {
            clipped
        }
    };
    let mut parts = Vec::new();
    for (id, mine) in &edit.sections {
        if let Some(theirs) = existing.iter().find(|s| s.id == *id)
            && theirs.body.trim() != mine.replace("\r\n", "\n").trim()
        {
            parts.push(format!(
                "\u{201c}{}\u{201d} now reads: \u{ab}{}\u{bb} Yours: \u{ab}{}\u{bb}",
                theirs.title,
                clip(theirs.body.trim()),
                clip(mine.trim())
            ));
        }
    }
    let detail = if parts.is_empty() {
        String::new()
    } else {
        format!(" {}", parts.join(" "))
    };
    AppError::Conflict {
        message: format!(
            "Someone else saved this postmortem while you were writing (it is at version {}).{detail} Copy what you need, reload, and save again.",
            current.version
        ),
    }
}

/// Rewrites the timeline section from the incident's current timeline (a new revision).
pub async fn refresh_timeline(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    expected_version: i32,
) -> Result<(), AppError> {
    let current = load(db, reference).await?;
    let existing = sections(db, current.id).await?;
    let Some(target) = existing.iter().find(|s| s.title == TIMELINE) else {
        return Err(AppError::invalid(
            "sections",
            "This postmortem has no Timeline section to refresh.",
        ));
    };
    let story = timeline_markdown(&timeline(db, reference, Role::Responder).await?);
    let edit = PostmortemEdit {
        title: None,
        sections: vec![(target.id, story)],
    };
    save_postmortem(db, actor, reference, edit, expected_version).await
}
