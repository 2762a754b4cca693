use sea_orm::entity::prelude::*;

/// A component a published incident affects.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_incident_components")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub status_incident_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub component_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
