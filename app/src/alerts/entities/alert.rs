use sea_orm::entity::prelude::*;

use crate::alerts::{AlertAction, AlertState};

/// One alert as received; repeats of the same fingerprint update it in place.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source_id: i64,
    pub fingerprint: String,
    pub group_key: Option<String>,
    pub state: AlertState,
    pub title: String,
    pub description: String,
    pub severity: Option<String>,
    /// JSON object of strings.
    pub labels: String,
    /// JSON object of strings.
    pub annotations: String,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub generator_url: Option<String>,
    /// The alert as the sender wrote it (JSON).
    pub raw: String,
    pub incident_id: Option<i64>,
    pub action: AlertAction,
    pub repeats: i32,
    pub received_at: DateTimeUtc,
    pub last_received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
