use sea_orm::entity::prelude::*;

/// A component a maintenance window touches.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_maintenance_components")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub maintenance_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub component_id: i64,
    /// The component's service, kept when the component leaves the page (its SLO still
    /// counts the window).
    pub service_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
