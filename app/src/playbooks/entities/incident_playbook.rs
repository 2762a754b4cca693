use sea_orm::entity::prelude::*;

/// A playbook attached to an incident, at the version it had then.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_playbooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub incident_id: i64,
    pub playbook_id: i64,
    pub version: i32,
    pub attached_at: DateTimeUtc,
    pub attached_by: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
