use sea_orm::entity::prelude::*;

/// A type a field is asked for (a field with none is asked for every type).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_field_types")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub field_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub type_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
