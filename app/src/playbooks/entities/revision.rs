use sea_orm::entity::prelude::*;

/// A playbook as one save left it (every version, the current one included).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "playbook_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub playbook_id: i64,
    pub version: i32,
    pub title: String,
    pub body: String,
    pub steps: String,
    pub author_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
