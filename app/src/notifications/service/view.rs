//! What the notifications admin page and `/metrics` read: channels with their
//! delivery counts (one grouped query) and the latest deliveries.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::url_hint;
use crate::accounts::CurrentUser;
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::severity;
use crate::notifications::entities::{channel, delivery};
use crate::notifications::{
    ChannelView, DeliveryStatus, DeliveryView, NotificationsAdmin, NotifyEvent,
};

/// Deliveries counted by channel and status, in one grouped query.
async fn counts(db: &impl ConnectionTrait) -> Result<Vec<(i64, DeliveryStatus, i64)>, AppError> {
    Ok(delivery::Entity::find()
        .select_only()
        .column(delivery::Column::ChannelId)
        .column(delivery::Column::Status)
        .column_as(delivery::Column::Id.count(), "n")
        .group_by(delivery::Column::ChannelId)
        .group_by(delivery::Column::Status)
        .into_tuple()
        .all(db)
        .await?)
}

/// Deliveries in each status, over every channel (for `/metrics`).
pub async fn status_totals(
    db: &impl ConnectionTrait,
) -> Result<[(DeliveryStatus, i64); 3], AppError> {
    let mut totals = [
        (DeliveryStatus::Pending, 0),
        (DeliveryStatus::Delivered, 0),
        (DeliveryStatus::Failed, 0),
    ];
    for (_, status, n) in counts(db).await? {
        if let Some(slot) = totals.iter_mut().find(|(s, _)| *s == status) {
            slot.1 += n;
        }
    }
    Ok(totals)
}

/// The channels with their delivery counts, and the latest 50 deliveries.
pub async fn admin_view(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    mail_enabled: bool,
) -> Result<NotificationsAdmin, AppError> {
    admin.require_admin()?;
    let channels = channel::Entity::find()
        .order_by_asc(channel::Column::Name)
        .all(db)
        .await?;
    let severities =
        crate::db::listed::<severity::Entity, _>(db, severity::Column::Position, |s| {
            (s.id, s.name)
        })
        .await?;
    let counts = counts(db).await?;
    let count = |id: i64, status: DeliveryStatus| {
        counts
            .iter()
            .filter(|(c, s, _)| *c == id && *s == status)
            .map(|(_, _, n)| *n)
            .sum::<i64>()
    };
    let mut views = Vec::with_capacity(channels.len());
    for c in &channels {
        let last_delivered_at = delivery::Entity::find()
            .filter(delivery::Column::ChannelId.eq(c.id))
            .filter(delivery::Column::DeliveredAt.is_not_null())
            .order_by_desc(delivery::Column::DeliveredAt)
            .one(db)
            .await?
            .and_then(|d| d.delivered_at);
        views.push(ChannelView {
            id: c.id,
            name: c.name.clone(),
            kind: c.kind,
            url_hint: url_hint(&c.url),
            events: c.events.split(',').filter_map(NotifyEvent::parse).collect(),
            min_severity: c.min_severity_id.and_then(|id| {
                severities
                    .iter()
                    .find(|(s, _)| *s == id)
                    .map(|(_, name)| name.clone())
            }),
            disabled: c.disabled_at.is_some(),
            delivered: count(c.id, DeliveryStatus::Delivered),
            pending: count(c.id, DeliveryStatus::Pending),
            failed: count(c.id, DeliveryStatus::Failed),
            last_delivered_at,
        });
    }
    let deliveries = delivery::Entity::find()
        .order_by_desc(delivery::Column::CreatedAt)
        .order_by_desc(delivery::Column::Id)
        .limit(50)
        .all(db)
        .await?
        .into_iter()
        .map(|d| {
            let status = d.status;
            DeliveryView {
                id: d.id,
                channel_name: channels
                    .iter()
                    .find(|c| c.id == d.channel_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                event: d.event.label().to_owned(),
                incident: d.incident_id.map(IncidentRef),
                status,
                attempts: d.attempts,
                created_at: d.created_at,
                next_attempt_at: (status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
                last_error: d.last_error,
                last_status_code: d.last_status_code,
                delivered_at: d.delivered_at,
            }
        })
        .collect();
    Ok(NotificationsAdmin {
        channels: views,
        deliveries,
        severities,
        mail_enabled,
        chat_commands: Default::default(),
        public_url: String::new(),
    })
}
