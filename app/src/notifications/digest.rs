//! The daily digest of overdue action items: once a day, after a set UTC hour, every
//! channel subscribed to it hears which action items are past due, most overdue first.
//! Action items are what keeps an incident from happening again; a digest in the team's
//! channel is how they stop being forgotten.

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use super::NotifyEvent;
use super::entities::{channel, digest};
use super::outbox::{self, Notice};
use crate::action_items::ActionItemFilter;
use crate::action_items::service::list_action_items;
use crate::db::Writer;
use crate::error::AppError;

/// The hour (UTC) the digest goes out unless `--digest-hour` says otherwise.
pub const DEFAULT_HOUR: u32 = 9;

/// At most this many items are listed (chat tools cap fields; the link has the rest).
pub const MAX_ITEMS: usize = 20;

/// Where the whole list is, in Vigil.
pub const PATH: &str = "/action-items?overdue=1";

/// The digest as queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digest {
    /// The UTC day it is about: items due before it are overdue.
    pub day: NaiveDate,
    /// Every overdue item, of which `items` lists the most overdue.
    pub total: u64,
    pub items: Vec<OverdueItem>,
    /// The list in Vigil; the worker prefixes the public URL.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueItem {
    /// The incident's reference, `INC-12`.
    pub incident: String,
    pub title: String,
    pub owner: Option<String>,
    pub due_on: NaiveDate,
    pub days_overdue: i64,
}

impl OverdueItem {
    /// "Fix the alert threshold (Ada, due 2 Dec 2026, 3 days overdue)".
    pub fn line(&self) -> String {
        let days = match self.days_overdue {
            1 => "1 day overdue".to_owned(),
            n => format!("{n} days overdue"),
        };
        format!(
            "{} ({}, due {}, {days})",
            self.title,
            self.owner.as_deref().unwrap_or("no owner"),
            self.due_on.format("%-d %b %Y")
        )
    }
}

/// Queues today's digest if it is time and no replica has yet: answers whether today's
/// digest is settled (queued now or before), so the worker stops asking until tomorrow.
/// A day with nothing overdue, or no channel subscribed, is settled with nothing sent.
pub async fn queue_due(db: &impl Writer, now: DateTime<Utc>, hour: u32) -> Result<bool, AppError> {
    if now.hour() < hour {
        return Ok(false);
    }
    let day = now.date_naive();
    let key = day.format("%Y-%m-%d").to_string();
    if digest::Entity::find_by_id(key.clone())
        .one(db)
        .await?
        .is_some()
    {
        return Ok(true);
    }
    let channels: Vec<channel::Model> = channel::Entity::find()
        .filter(channel::Column::DisabledAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|c| outbox::subscribed(c, NotifyEvent::ActionItemsOverdue))
        .collect();
    let found = if channels.is_empty() {
        None
    } else {
        Some(overdue(db, day).await?)
    };
    let listed = found.as_ref().map_or(0, |d| d.items.len());
    let txn = crate::db::begin_write(db).await?;
    let claimed = digest::Entity::insert(digest::ActiveModel {
        day: Set(key),
        items: Set(i32::try_from(listed).unwrap_or(i32::MAX)),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(digest::Column::Day)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?
        == 1;
    if !claimed {
        // Another replica queued it meanwhile.
        return Ok(true);
    }
    if let Some(found) = found.filter(|d| !d.items.is_empty()) {
        let notice = Notice {
            event: NotifyEvent::ActionItemsOverdue,
            occurred_at: now,
            incident: None,
            change: None,
            actor: None,
            rule: None,
            digest: Some(found),
        };
        for channel in &channels {
            outbox::insert(&txn, channel.id, &notice, None).await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// The action items overdue on `day`, most overdue first.
async fn overdue(db: &impl ConnectionTrait, day: NaiveDate) -> Result<Digest, AppError> {
    let filter = ActionItemFilter {
        overdue: true,
        page: 1,
        ..Default::default()
    };
    let page = list_action_items(db, &filter, day).await?;
    let items = page
        .items
        .into_iter()
        .filter_map(|i| {
            let due_on = i.due_on?;
            Some(OverdueItem {
                incident: i.incident.to_string(),
                title: i.title,
                owner: i.owner.map(|o| o.name),
                due_on,
                days_overdue: (day - due_on).num_days(),
            })
        })
        .take(MAX_ITEMS)
        .collect();
    Ok(Digest {
        day,
        total: page.total,
        items,
        path: PATH.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_reads_as_one_line() {
        let item = OverdueItem {
            incident: "INC-3".into(),
            title: "Alert on disk".into(),
            owner: Some("Ada".into()),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            days_overdue: 3,
        };
        assert_eq!(
            item.line(),
            "Alert on disk (Ada, due 2 Dec 2026, 3 days overdue)"
        );
        let one = OverdueItem {
            owner: None,
            days_overdue: 1,
            ..item
        };
        assert_eq!(
            one.line(),
            "Alert on disk (no owner, due 2 Dec 2026, 1 day overdue)"
        );
    }
}
