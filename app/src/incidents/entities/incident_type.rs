use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_types")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub description: String,
    pub default_severity_id: Option<i64>,
    /// Role keys, comma-separated (`crate::incidents::types::roles_from_words`).
    pub required_roles: String,
    pub postmortem_required: bool,
    pub is_default: bool,
    pub archived_at: Option<DateTimeUtc>,
    /// Bumped by every edit (optimistic concurrency).
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
