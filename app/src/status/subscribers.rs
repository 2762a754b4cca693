//! Subscribers of the status page as admins see them. An address gets updates only
//! after it confirmed it wants them (double opt-in); every message it gets can end the
//! subscription in one click.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::named::named_enum;

named_enum! {
    /// How a subscriber is reached.
    pub enum SubscriberKind {
        Email => "email", "Email";
        /// A signed JSON post in the shape of Statuspage's webhooks.
        Webhook => "webhook", "Webhook";
    }
}

/// One subscriber in the admin's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriberView {
    pub id: i64,
    pub kind: SubscriberKind,
    pub address: String,
    pub created_at: DateTime<Utc>,
    /// `None` while the confirmation is awaited.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// The subscribers at a glance: counts, the latest ones and what failed to reach them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriberBoard {
    pub email: u64,
    pub webhook: u64,
    /// Asked and not confirmed yet (unconfirmed ones are forgotten after a week).
    pub pending: u64,
    /// The latest subscribers first, at most [`SubscriberBoard::SHOWN`].
    pub latest: Vec<SubscriberView>,
    /// Messages that could not be delivered after every retry, in the last week.
    pub failed: u64,
    /// Whether this server can send mail (`--smtp-url`): without it only webhooks are
    /// offered.
    pub mail_enabled: bool,
}

impl SubscriberBoard {
    pub const SHOWN: u64 = 50;
}
