use sea_orm::entity::prelude::*;

use crate::status::PublicState;

/// A status page update a rule wrote ahead for an incident; publishing removes it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_drafts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub incident_id: i64,
    pub state: PublicState,
    pub body: String,
    /// The rule that wrote it.
    pub rule_name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
