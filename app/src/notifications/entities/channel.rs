use sea_orm::entity::prelude::*;

use crate::notifications::ChannelKind;

/// Somewhere notifications go: a Slack-compatible or a signed JSON webhook.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    /// The HMAC key of a JSON webhook. Kept as is: signing needs it (the receiver holds
    /// the same key); it is shown to admins once and never sent anywhere.
    pub secret: Option<String>,
    /// Comma-separated event names, see [`crate::notifications::NotifyEvent`].
    pub events: String,
    /// Only incidents at this severity or a more severe one; `None`: every incident.
    pub min_severity_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
