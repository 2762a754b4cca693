use sea_orm::entity::prelude::*;

/// A step of an incident's checklist marked done.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_playbook_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub incident_playbook_id: i64,
    pub step: i32,
    pub done_at: DateTimeUtc,
    pub done_by: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
