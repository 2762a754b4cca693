use sea_orm::entity::prelude::*;

use crate::action_items::model::{ItemKind, ItemStatus, Priority};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub incident_id: i64,
    pub title: String,
    pub description: String,
    pub kind: ItemKind,
    pub priority: Priority,
    pub owner_id: Option<i64>,
    pub due_on: Option<Date>,
    pub status: ItemStatus,
    pub wont_do_reason: Option<String>,
    pub tracker_url: Option<String>,
    /// Bumped by every change (optimistic concurrency).
    pub version: i32,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
