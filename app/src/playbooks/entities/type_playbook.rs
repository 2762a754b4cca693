use sea_orm::entity::prelude::*;

/// A playbook every incident of a type gets.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_type_playbooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub type_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub playbook_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
