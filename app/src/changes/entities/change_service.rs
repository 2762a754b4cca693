use sea_orm::entity::prelude::*;

/// A service a change was made to, with the change's start repeated for the per-service
/// range read.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub change_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_id: i64,
    pub started_secs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
