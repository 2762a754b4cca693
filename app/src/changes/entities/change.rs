use sea_orm::entity::prelude::*;

use crate::changes::{ChangeKind, ChangeOutcome};

/// One change; a re-sent event (same `source` and `external_id`) updates it in place.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: ChangeKind,
    pub title: String,
    pub version: Option<String>,
    pub author: Option<String>,
    pub link: Option<String>,
    pub started_secs: i64,
    pub finished_secs: Option<i64>,
    pub committed_secs: Option<i64>,
    pub outcome: ChangeOutcome,
    pub source: String,
    pub external_id: Option<String>,
    pub reverts_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
