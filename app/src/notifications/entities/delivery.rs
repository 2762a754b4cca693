use sea_orm::entity::prelude::*;

use crate::notifications::{DeliveryStatus, NotifyEvent};

/// One notification to one channel: the outbox row the worker sends and retries.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    pub event: NotifyEvent,
    pub incident_id: Option<i64>,
    /// The event as JSON, captured when it happened (see `outbox::Notice`).
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub last_status_code: Option<i32>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
