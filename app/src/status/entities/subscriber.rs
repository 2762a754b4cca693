use sea_orm::entity::prelude::*;

use crate::status::subscribers::SubscriberKind;

/// An email address or webhook URL that asked for the status page's updates; it gets
/// them once `confirmed_at` is set (double opt-in).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_subscribers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: SubscriberKind,
    /// The email address (lower case) or the webhook URL.
    pub address: String,
    /// Names the subscription in its confirm and unsubscribe links. Kept as is: every
    /// message carries it, and it can do no more than confirm or end this subscription.
    pub token: String,
    /// A webhook's signing key: sent once, to the webhook itself, with the confirmation.
    pub secret: Option<String>,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
