use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub owner_team: Option<String>,
    /// Markdown.
    pub description: String,
    /// 1 is the most critical.
    pub tier: i32,
    /// Availability target in parts per million (99.9% = 999,000); `None`: no SLO.
    pub slo_target_ppm: Option<i32>,
    pub slo_window_days: i32,
    /// Only incidents at this severity position or more severe count as failures.
    pub failure_severity_position: Option<i32>,
    pub archived_at: Option<DateTimeUtc>,
    /// Bumped by every edit (optimistic concurrency).
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
