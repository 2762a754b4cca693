//! The outbox: what a change writes (a [`Notice`] per subscribed channel, in the
//! change's own transaction) and what the worker does with it ([`deliver_due`]).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use super::entities::{channel, delivery, type_channel};
use super::{DeliveryStatus, NotifyEvent};
use crate::accounts::CurrentUser;
use crate::accounts::entities::user;
use crate::catalog::entities::service as catalog_service;
use crate::db::{Kept, Writer};
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::IncidentRole;
use crate::incidents::entities::{incident, incident_role, incident_service, severity};

mod format;
mod smtp;
mod transport;
mod worker;

pub use format::{
    Summary, discord_body, email, markdown_escape, mattermost_body, signature, slack_body,
    slack_escape, teams_body, teams_connector_body, webhook_body,
};
pub use smtp::{Mail, Mailer, page};
pub use transport::{Outcome, Sender, client, is_private, post_json};
pub use worker::{
    MAX_ATTEMPTS, SEND_TIMEOUT, backoff, deliver_due, email_addresses, failed_attempts,
    finish_sends,
};

/// The event as captured when it happened; the worker formats it per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub event: NotifyEvent,
    pub occurred_at: DateTime<Utc>,
    pub incident: Option<IncidentFacts>,
    pub change: Option<Change>,
    /// Who made the change.
    pub actor: Option<String>,
    /// The rule that asked for this notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The overdue action items, for the daily digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<crate::notifications::digest::Digest>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentFacts {
    pub reference: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    /// The incident's path in Vigil; the worker prefixes the public URL.
    pub path: String,
    /// 0 for the most severe level, 1 for the next, and so on (chat cards' colour).
    #[serde(default)]
    pub severity_rank: Option<usize>,
    #[serde(default)]
    pub commander: Option<String>,
    /// The affected services' names.
    #[serde(default)]
    pub services: Vec<String>,
}

/// The facts a notice carries about `current`, read inside the change's transaction:
/// its commander and services as they are after the change.
async fn incident_facts(
    db: &impl ConnectionTrait,
    current: &incident::Model,
    levels: &[severity::Model],
    path: String,
) -> Result<IncidentFacts, AppError> {
    let mut ranked: Vec<&severity::Model> = levels.iter().collect();
    ranked.sort_by_key(|l| l.position);
    let severity_rank = ranked.iter().position(|l| l.id == current.severity_id);
    let commander = match incident_role::Entity::find_by_id((current.id, IncidentRole::Commander))
        .one(db)
        .await?
    {
        Some(role) => user::Entity::find_by_id(role.user_id)
            .one(db)
            .await?
            .map(|u| u.display_name),
        None => None,
    };
    let ids: Vec<i64> = incident_service::Entity::find()
        .filter(incident_service::Column::IncidentId.eq(current.id))
        .select_only()
        .column(incident_service::Column::ServiceId)
        .into_tuple()
        .all(db)
        .await?;
    let services = if ids.is_empty() {
        Vec::new()
    } else {
        catalog_service::Entity::find()
            .filter(catalog_service::Column::Id.is_in(ids))
            .order_by_asc(catalog_service::Column::Name)
            .select_only()
            .column(catalog_service::Column::Name)
            .into_tuple()
            .all(db)
            .await?
    };
    let reference = IncidentRef(current.id);
    Ok(IncidentFacts {
        reference: reference.to_string(),
        title: current.title.clone(),
        severity: ranked
            .get(severity_rank.unwrap_or(usize::MAX))
            .map(|l| l.name.clone())
            .unwrap_or_default(),
        status: current.status.label().to_owned(),
        path,
        severity_rank,
        commander,
        services,
    })
}

/// What changed, as names: "from" is empty when nothing was there before (a first
/// commander).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub from: String,
    pub to: String,
}

impl From<crate::incidents::service::lifecycle::Handover> for Change {
    fn from(handed: crate::incidents::service::lifecycle::Handover) -> Self {
        Self {
            from: handed.from.unwrap_or_default(),
            to: handed.to,
        }
    }
}

/// Whether `channel` subscribed to `event`.
pub(crate) fn subscribed(channel: &channel::Model, event: NotifyEvent) -> bool {
    channel.events.split(',').any(|e| e == event.as_str())
}

/// Queues `event` about an incident for every enabled channel subscribed to it. Call it
/// inside the transaction of the change, after the change: the notice and the change
/// commit together or not at all.
pub async fn notify_incident(
    db: &impl Writer,
    event: NotifyEvent,
    incident_id: i64,
    change: Option<Change>,
    actor: &CurrentUser,
) -> Result<(), AppError> {
    let channels = subscribers(db, event).await?;
    queue(db, channels, incident_id, change, actor).await
}

/// The enabled channels and the types' links to them, kept between changes: every change
/// that notifies reads them, and admins rarely write them. Whatever commits a write to
/// channels or to a type's channels calls `CHANNELS.wrote()`.
pub(crate) static CHANNELS: Kept<Enabled> = Kept::new();

/// The enabled channels, and (type id, channel) for every enabled channel a type names.
pub(crate) struct Enabled {
    channels: Vec<channel::Model>,
    typed: Vec<(i64, channel::Model)>,
}

/// The enabled channels subscribed to `event`, and those incident types name (told of
/// every event of their incidents). A change on SQLite reads them before its write
/// begins, so the one writer's lock is not held for reads that most changes find empty;
/// a channel added meanwhile counts from the next change.
pub async fn subscribers(db: &impl Writer, event: NotifyEvent) -> Result<Subscribers, AppError> {
    let enabled = CHANNELS
        .get(db, || async {
            let channels = channel::Entity::find()
                .filter(channel::Column::DisabledAt.is_null())
                .all(db)
                .await?;
            let typed = if channels.is_empty() {
                Vec::new()
            } else {
                type_channel::Entity::find()
                    .all(db)
                    .await?
                    .into_iter()
                    .filter_map(|l| {
                        let channel = channels.iter().find(|c| c.id == l.channel_id)?;
                        Some((l.type_id, channel.clone()))
                    })
                    .collect()
            };
            Ok(Enabled { channels, typed })
        })
        .await?;
    Ok(Subscribers {
        event,
        channels: enabled
            .channels
            .iter()
            .filter(|c| subscribed(c, event))
            .cloned()
            .collect(),
        typed: enabled.typed.clone(),
    })
}

/// What [`subscribers`] found, for [`queue`].
#[derive(Debug)]
pub struct Subscribers {
    event: NotifyEvent,
    channels: Vec<channel::Model>,
    /// (type id, channel) for every enabled channel a type names.
    typed: Vec<(i64, channel::Model)>,
}

/// [`notify_incident`] with its subscribers read already: queues the event about an
/// incident inside the change's transaction.
pub async fn queue(
    db: &impl ConnectionTrait,
    Subscribers {
        event,
        channels,
        typed,
    }: Subscribers,
    incident_id: i64,
    change: Option<Change>,
    actor: &CurrentUser,
) -> Result<(), AppError> {
    if channels.is_empty() && typed.is_empty() {
        return Ok(());
    }
    let Some(current) = incident::Entity::find_by_id(incident_id).one(db).await? else {
        return Ok(());
    };
    let typed: Vec<channel::Model> = typed
        .into_iter()
        .filter(|(type_id, _)| Some(*type_id) == current.type_id)
        .map(|(_, c)| c)
        .collect();
    let levels = severity::Entity::find().all(db).await?;
    let position = |id: i64| levels.iter().find(|l| l.id == id).map(|l| l.position);
    let here = position(current.severity_id);
    // A threshold keeps a channel to severe incidents: a severity at or above it (a
    // lower position) is sent, including an incident escalated into range. A channel
    // the incident's type names hears every event about it.
    let mut channels: Vec<&channel::Model> = channels
        .iter()
        .filter(|c| !typed.iter().any(|t| t.id == c.id))
        .filter(|c| match c.min_severity_id {
            None => true,
            Some(min) => matches!((here, position(min)), (Some(h), Some(m)) if h <= m),
        })
        .collect();
    channels.extend(typed.iter());
    if channels.is_empty() {
        return Ok(());
    }
    let reference = IncidentRef(current.id);
    let path = match event {
        NotifyEvent::PostmortemPublished => format!("/incidents/{reference}/postmortem"),
        _ => format!("/incidents/{reference}"),
    };
    let notice = Notice {
        event,
        occurred_at: Utc::now(),
        incident: Some(incident_facts(db, &current, &levels, path).await?),
        change,
        actor: Some(actor.display_name.clone()),
        rule: None,
        digest: None,
    };
    for channel in &channels {
        insert(db, channel.id, &notice, Some(current.id)).await?;
    }
    Ok(())
}

/// Tells channel `channel_id` that rule `rule` matched the incident, inside the caller's
/// transaction (a disabled or deleted channel is skipped). Answers what happened, in words.
pub async fn tell_for_rule(
    db: &impl ConnectionTrait,
    channel_id: i64,
    current: &incident::Model,
    rule: &str,
    actor: &CurrentUser,
) -> Result<String, AppError> {
    let Some(channel) = channel::Entity::find_by_id(channel_id).one(db).await? else {
        return Ok("could not tell a channel: it was deleted".to_owned());
    };
    let name = crate::markdown::literal(&channel.name);
    if channel.disabled_at.is_some() {
        return Ok(format!("did not tell the channel {name}: it is disabled"));
    }
    let levels = severity::Entity::find().all(db).await?;
    let path = format!("/incidents/{}", IncidentRef(current.id));
    let notice = Notice {
        event: NotifyEvent::RuleMatched,
        occurred_at: Utc::now(),
        incident: Some(incident_facts(db, current, &levels, path).await?),
        change: None,
        actor: Some(actor.display_name.clone()),
        rule: Some(rule.to_owned()),
        digest: None,
    };
    insert(db, channel.id, &notice, Some(current.id)).await?;
    Ok(format!("told the channel {name}"))
}

/// The channels every incident of type `type_id` is told about, replaced by `ids`
/// (unknown ids refused beside the `channel_ids` field).
pub async fn set_type_channels(
    txn: &impl ConnectionTrait,
    type_id: i64,
    ids: &[i64],
) -> Result<(), AppError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let known = channel::Entity::find()
        .filter(channel::Column::Id.is_in(ids.clone()))
        .count(txn)
        .await?;
    if known != ids.len() as u64 {
        return Err(AppError::invalid(
            "channel_ids",
            "One of the chosen channels does not exist.",
        ));
    }
    type_channel::Entity::delete_many()
        .filter(type_channel::Column::TypeId.eq(type_id))
        .exec(txn)
        .await?;
    for channel_id in ids {
        type_channel::ActiveModel {
            type_id: Set(type_id),
            channel_id: Set(channel_id),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Every type's channels: (type id, channel id, name), by name.
pub async fn all_type_channels(
    db: &impl ConnectionTrait,
) -> Result<Vec<(i64, i64, String)>, AppError> {
    let names: std::collections::HashMap<i64, String> = channel::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut rows: Vec<_> = type_channel::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| Some((l.type_id, l.channel_id, names.get(&l.channel_id)?.clone())))
        .collect();
    rows.sort_by(|a, b| a.2.cmp(&b.2));
    Ok(rows)
}

/// Queues a delivery of `notice` to one channel.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    channel_id: i64,
    notice: &Notice,
    incident_id: Option<i64>,
) -> Result<delivery::Model, AppError> {
    let now = Utc::now();
    Ok(delivery::ActiveModel {
        channel_id: Set(channel_id),
        event: Set(notice.event),
        incident_id: Set(incident_id),
        payload: Set(serde_json::to_string(notice).map_err(AppError::internal)?),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_attempt_at: Set(None),
        last_error: Set(None),
        last_status_code: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

#[cfg(test)]
mod tests;
