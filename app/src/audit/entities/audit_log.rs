use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    pub actor_id: Option<i64>,
    /// The actor's email at the time (users may change later).
    pub actor_email: Option<String>,
    /// Dotted name, e.g. `sign_in.failed`, `user.role_changed`.
    pub action: String,
    /// What the action was about, e.g. an email address.
    pub subject: Option<String>,
    /// JSON object with action-specific detail. Never secrets.
    pub details: String,
    pub ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
