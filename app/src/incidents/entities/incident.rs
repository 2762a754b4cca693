use sea_orm::entity::prelude::*;

use crate::incidents::Status;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    /// Also the human reference: `INC-<id>`.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    /// Markdown.
    pub summary: String,
    pub severity_id: i64,
    pub status: Status,
    pub customer_impact: bool,
    pub impact_started_at: Option<DateTimeUtc>,
    pub detected_at: Option<DateTimeUtc>,
    pub declared_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub mitigated_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub merged_into_id: Option<i64>,
    /// The incident type; `None` only for a row written before types (read as the default).
    pub type_id: Option<i64>,
    /// The rule that asked for a published postmortem before closing, whatever the severity.
    pub postmortem_required_by: Option<String>,
    pub created_by: i64,
    /// Bumped by every change; an update based on an older version is refused.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
