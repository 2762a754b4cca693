use sea_orm::entity::prelude::*;

use crate::accounts::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased.
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub password_change_required: bool,
    pub deactivated_at: Option<DateTimeUtc>,
    /// IANA zone name; `None` follows the browser.
    pub time_zone: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// An active responder or admin: who may command, hold an incident role or review a
    /// postmortem.
    pub fn is_active_responder(&self) -> bool {
        self.deactivated_at.is_none() && self.role.can_write()
    }
}
