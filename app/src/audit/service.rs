use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value;

use super::entities::audit_log::{self as entity, Entity as AuditLog};
use super::{AuditEntry, AuditPage};
use crate::error::AppError;

pub const PAGE_SIZE: u64 = 50;

/// Who did something and from where; `None` actor for anonymous attempts.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: Option<i64>,
    pub email: Option<String>,
    pub ip: Option<String>,
}

/// Appends one entry. `details` must never hold secrets (passwords, tokens, session ids).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    subject: Option<&str>,
    details: Value,
) -> Result<(), AppError> {
    record_at(db, actor, action, subject, details, Utc::now()).await
}

pub async fn record_at(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    subject: Option<&str>,
    details: Value,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    entity::ActiveModel {
        occurred_at: Set(at),
        actor_id: Set(actor.id),
        actor_email: Set(actor.email.clone()),
        action: Set(action.to_owned()),
        subject: Set(subject.map(str::to_owned)),
        details: Set(details.to_string()),
        ip: Set(actor.ip.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Up to `limit` entries older than the entry `before` (from the newest without it),
/// newest first: the API's pages, which stay put while new entries arrive.
pub async fn list_before(
    db: &impl ConnectionTrait,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<AuditEntry>, AppError> {
    let mut query = AuditLog::find().order_by_desc(entity::Column::Id);
    if let Some(before) = before {
        query = query.filter(entity::Column::Id.lt(before));
    }
    Ok(query
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(entry)
        .collect())
}

fn entry(r: entity::Model) -> AuditEntry {
    AuditEntry {
        id: r.id,
        occurred_at: r.occurred_at,
        actor: r.actor_email,
        action: r.action,
        subject: r.subject,
        details: r.details,
        ip: r.ip,
    }
}

/// One page (1-based) of the log, newest first.
pub async fn list(db: &impl ConnectionTrait, page: u64) -> Result<AuditPage, AppError> {
    let page = page.max(1);
    let paginator = AuditLog::find()
        .order_by_desc(entity::Column::OccurredAt)
        .order_by_desc(entity::Column::Id)
        .paginate(db, PAGE_SIZE);
    let pages = paginator.num_pages().await?.max(1);
    // Past the end: empty, without computing an offset that could overflow.
    let rows = if page > pages {
        Vec::new()
    } else {
        paginator.fetch_page(page - 1).await?
    };
    Ok(AuditPage {
        entries: rows.into_iter().map(entry).collect(),
        page,
        pages,
    })
}
