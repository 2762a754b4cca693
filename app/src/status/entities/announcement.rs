use sea_orm::entity::prelude::*;

/// One public change subscribers are told about, captured when it was made (see
/// `status::outbox::Announcement`); the worker formats it per subscriber.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_announcements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `incident.updated`, `maintenance.scheduled`, ...
    pub event: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
