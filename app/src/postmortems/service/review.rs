//! The review: reviewers, the workflow steps and the conversation around them.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::write::clear_approvals;
use super::{load, save_versioned};
use crate::accounts::CurrentUser;
use crate::accounts::entities::user;
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::postmortems::entities::{comment, postmortem, reviewer};
use crate::postmortems::status::{Asker, ReviewState, review_step};
use crate::postmortems::{PostmortemStatus, ReviewStep};

/// Sets who reviews (responders and admins); approvals of those who stay are kept.
pub async fn set_reviewers(
    db: &impl Writer,
    reference: IncidentRef,
    user_ids: Vec<i64>,
    expected_version: i32,
) -> Result<(), AppError> {
    let mut user_ids = user_ids;
    user_ids.sort_unstable();
    user_ids.dedup();
    let txn = crate::db::begin_write(db).await?;
    let current = load(&txn, reference).await?;
    if !current.status.is_editable() {
        return Err(AppError::invalid(
            "reviewer_ids",
            "Reviewers can change while the postmortem is a draft or in review.",
        ));
    }
    let people = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids.clone()))
        .all(&txn)
        .await?;
    let eligible = |id: &i64| {
        people
            .iter()
            .any(|u| u.id == *id && u.is_active_responder())
    };
    if !user_ids.iter().all(eligible) {
        return Err(AppError::invalid(
            "reviewer_ids",
            "Reviewers must be active responders or admins.",
        ));
    }
    save_versioned(&txn, &current, expected_version, Default::default()).await?;
    reviewer::Entity::delete_many()
        .filter(reviewer::Column::PostmortemId.eq(current.id))
        .filter(reviewer::Column::UserId.is_not_in(user_ids.clone()))
        .exec(&txn)
        .await?;
    let kept: Vec<i64> = reviewer::Entity::find()
        .filter(reviewer::Column::PostmortemId.eq(current.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    for id in user_ids.into_iter().filter(|id| !kept.contains(id)) {
        reviewer::ActiveModel {
            postmortem_id: Set(current.id),
            user_id: Set(id),
            assigned_at: Set(Utc::now()),
            approved_at: Set(None),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Takes one workflow step (see `status::review_step`) and notes it in the
/// conversation, so the review reads as a record of who did what.
pub async fn take_review_step(
    db: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    step: ReviewStep,
    expected_version: i32,
) -> Result<PostmortemStatus, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let current = load(&txn, reference).await?;
    let reviewers = reviewer::Entity::find()
        .filter(reviewer::Column::PostmortemId.eq(current.id))
        .all(&txn)
        .await?;
    let mine = reviewers.iter().find(|r| r.user_id == actor.id.0);
    let state = ReviewState {
        status: current.status,
        reviewers: reviewers.len(),
        approvals: reviewers.iter().filter(|r| r.approved_at.is_some()).count(),
    };
    let asker = Asker {
        is_reviewer: mine.is_some(),
        has_approved: mine.is_some_and(|r| r.approved_at.is_some()),
        can_write: actor.role.can_write(),
    };
    let next = review_step(state, step, asker).map_err(|m| AppError::invalid("step", m))?;
    let now = Utc::now();
    let mut changes = postmortem::ActiveModel {
        status: Set(next),
        ..Default::default()
    };
    match step {
        ReviewStep::Publish => changes.published_at = Set(Some(now)),
        ReviewStep::Reopen => changes.published_at = Set(None),
        _ => {}
    }
    save_versioned(&txn, &current, expected_version, changes).await?;
    match step {
        ReviewStep::Approve => {
            reviewer::Entity::update_many()
                .col_expr(
                    reviewer::Column::ApprovedAt,
                    sea_orm::sea_query::Expr::value(Some(now)),
                )
                .filter(reviewer::Column::PostmortemId.eq(current.id))
                .filter(reviewer::Column::UserId.eq(actor.id.0))
                .exec(&txn)
                .await?;
        }
        ReviewStep::RequestChanges | ReviewStep::Reopen | ReviewStep::SubmitForReview => {
            clear_approvals(&txn, current.id).await?;
        }
        ReviewStep::Publish => {}
    }
    let note = match (step, next) {
        (ReviewStep::SubmitForReview, _) => "Submitted for review.",
        (ReviewStep::RequestChanges, _) => "Requested changes; back to draft.",
        (ReviewStep::Approve, PostmortemStatus::Approved) => {
            "Approved. Every reviewer has approved."
        }
        (ReviewStep::Approve, _) => "Approved.",
        (ReviewStep::Publish, _) => "Published.",
        (ReviewStep::Reopen, _) => "Reopened as a draft.",
    };
    insert_comment(&txn, current.id, actor, &format!("*{note}*"), now).await?;
    if step == ReviewStep::Publish {
        crate::notifications::outbox::notify_incident(
            &txn,
            crate::notifications::NotifyEvent::PostmortemPublished,
            current.incident_id,
            None,
            actor,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(next)
}

async fn insert_comment(
    db: &impl ConnectionTrait,
    postmortem_id: i64,
    actor: &CurrentUser,
    body: &str,
    at: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    comment::ActiveModel {
        postmortem_id: Set(postmortem_id),
        author_id: Set(actor.id.0),
        body: Set(body.to_owned()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A comment on the review (Markdown, sanitised when shown). Allowed in any status.
pub async fn add_comment(
    db: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    body: &str,
) -> Result<(), AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::invalid("body", "Write a comment first."));
    }
    if body.chars().count() > 10_000 {
        return Err(AppError::invalid(
            "body",
            "Keep a comment under 10,000 characters.",
        ));
    }
    let current = load(db, reference).await?;
    insert_comment(db, current.id, actor, body, Utc::now()).await
}
