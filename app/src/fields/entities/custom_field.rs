use sea_orm::entity::prelude::*;

use crate::fields::{FieldKind, Stage};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_fields")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub label: String,
    pub description: String,
    pub kind: FieldKind,
    /// A JSON list of the choices of a select.
    pub options: String,
    pub required_at: Stage,
    pub position: i32,
    pub archived_at: Option<DateTimeUtc>,
    /// Bumped by every edit (optimistic concurrency).
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
