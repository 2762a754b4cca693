use sea_orm::entity::prelude::*;

use crate::incidents::{EventKind, Marker};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "timeline_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub incident_id: i64,
    pub kind: EventKind,
    /// Markdown for notes; a sentence for automatic events.
    pub body: String,
    /// When it happened (may be backdated).
    pub occurred_at: DateTimeUtc,
    /// When it was written down.
    pub recorded_at: DateTimeUtc,
    pub author_id: Option<i64>,
    pub marker: Option<Marker>,
    pub highlighted: bool,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<i64>,
    /// Bumped by every edit of a note (optimistic concurrency).
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
