use sea_orm::entity::prelude::*;

use crate::status::{ComponentState, PublicState};

/// An incident published to the status page, under a customer-facing title.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_incidents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub incident_id: i64,
    pub title: String,
    /// Chosen by the commander over the severity's mapping.
    pub impact: Option<ComponentState>,
    /// The latest update's state.
    pub state: PublicState,
    pub published_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    /// Bumped by every update (optimistic concurrency).
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
