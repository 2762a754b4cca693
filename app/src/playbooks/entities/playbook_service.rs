use sea_orm::entity::prelude::*;

/// A service whose incidents get the playbook.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "playbook_services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub playbook_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
