use sea_orm::entity::prelude::*;

use crate::alerts::SourceKind;

/// A configured sender of alerts: its hashed token, default service and severity rules.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_sources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: SourceKind,
    /// SHA-256 of the token, hex; the token itself is shown once and never stored.
    pub token_hash: String,
    /// The token's last characters, so admins can tell tokens apart.
    pub token_hint: String,
    pub service_id: i64,
    /// JSON rules, see [`crate::alerts::Rules`].
    pub rules: String,
    pub auto_resolve: bool,
    /// Incidents the source opens are declared in this admin's name.
    pub owner_id: i64,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
    pub last_received_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
