use sea_orm::entity::prelude::*;

use crate::status::PublicState;

/// A customer-facing update (Markdown, rendered and sanitised when shown).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_updates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub status_incident_id: i64,
    pub state: PublicState,
    pub body: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
