use sea_orm::entity::prelude::*;

use crate::rules::Trigger;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub description: String,
    pub trigger: Trigger,
    /// [`crate::rules::Conditions`] as JSON.
    pub conditions: String,
    /// [`crate::rules::Actions`] as JSON.
    pub actions: String,
    pub enabled: bool,
    /// Bumped by every edit (optimistic concurrency).
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
