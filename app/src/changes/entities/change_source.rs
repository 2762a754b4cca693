use sea_orm::entity::prelude::*;

use crate::changes::ChangeSourceKind;

/// A configured sender of changes: its secret (hashed; GitHub's signing key as is),
/// default service, mapping and filters.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_sources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: ChangeSourceKind,
    /// SHA-256 of the secret, hex: how a bearer or GitLab token finds its source.
    pub token_hash: String,
    pub token_hint: String,
    /// GitHub's HMAC key. Kept as is: checking a signature needs it (GitHub holds it too).
    pub signing_key: Option<String>,
    pub service_id: i64,
    /// JSON object: lower-cased repository or application -> service slug.
    pub mapping: String,
    /// Comma-separated, lower-cased; empty: every environment.
    pub environments: String,
    /// Comma-separated, lower-cased parts of workflow names.
    pub workflows: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
    pub last_received_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
