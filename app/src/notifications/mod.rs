//! Outgoing notifications: Slack, Mattermost, Microsoft Teams and Discord webhooks,
//! e-mail, and signed JSON webhooks hear about declarations, severity, status and
//! commander changes and published postmortems.
//!
//! A change writes its deliveries into an outbox table in the same transaction, and a
//! background worker sends them with retries and backoff: a slow or failing receiver
//! never slows the person making the change, and nothing is lost across restarts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::incidents::IncidentRef;
use crate::named::named_enum;

pub mod page;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod digest;
#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod service;

named_enum! {
    /// Where a channel sends.
    pub enum ChannelKind {
        /// Slack incoming webhooks and the chat tools that copy them (Rocket.Chat).
        Slack => "slack", "Slack incoming webhook";
        /// Microsoft Teams through a Workflows (Power Automate) webhook: an Adaptive Card.
        Teams => "teams", "Microsoft Teams (Workflows webhook)";
        /// Microsoft Teams through an Office 365 connector: a MessageCard.
        TeamsConnector => "teams_connector", "Microsoft Teams (Office 365 connector, older)";
        Mattermost => "mattermost", "Mattermost incoming webhook";
        Discord => "discord", "Discord webhook";
        /// Mail to a list of addresses through the server's SMTP relay.
        Email => "email", "E-mail";
        /// Any HTTP endpoint: JSON, signed with HMAC-SHA256.
        Webhook => "webhook", "JSON webhook, signed (HMAC-SHA256)";
    }
}

named_enum! {
    /// What a channel can hear about.
    pub enum NotifyEvent {
        Declared => "incident.declared", "Incident declared";
        SeverityChanged => "incident.severity_changed", "Severity changed";
        StatusChanged => "incident.status_changed", "Status changed";
        CommanderChanged => "incident.commander_changed", "Commander changed";
        PostmortemPublished => "postmortem.published", "Postmortem published";
        /// Once a day: the action items past their due date.
        ActionItemsOverdue => "action_items.overdue", "Overdue action items (daily digest)";
        /// A rule named the channel in its actions; never subscribed to.
        RuleMatched => "incident.rule_matched", "A rule matched";
        /// Sent from the admin page to check a channel; never subscribed to.
        Test => "test", "Test";
    }
}

impl NotifyEvent {
    /// The events a channel subscribes to.
    pub const SUBSCRIBABLE: [NotifyEvent; 6] = [
        Self::Declared,
        Self::SeverityChanged,
        Self::StatusChanged,
        Self::CommanderChanged,
        Self::PostmortemPublished,
        Self::ActionItemsOverdue,
    ];
}

named_enum! {
    /// Where a delivery stands.
    pub enum DeliveryStatus {
        /// Waiting for its first or next attempt.
        Pending => "pending", "Pending";
        Delivered => "delivered", "Delivered";
        /// Every attempt failed; an admin can retry it.
        Failed => "failed", "Failed";
    }
}

/// A channel as admins see it: its address shortened (a Slack webhook URL is itself a
/// secret), never its signing secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub url_hint: String,
    pub events: Vec<NotifyEvent>,
    /// The least severe severity sent, by name; `None`: every severity.
    pub min_severity: Option<String>,
    pub disabled: bool,
    pub delivered: i64,
    pub pending: i64,
    pub failed: i64,
    pub last_delivered_at: Option<DateTime<Utc>>,
}

/// One delivery, for the admin's delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    pub channel_name: String,
    pub event: String,
    pub incident: Option<IncidentRef>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_status_code: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A signing secret just issued, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSecret {
    pub channel_name: String,
    pub secret: String,
}

/// Which chat tools' slash commands this server takes (set by flags, shown to admins).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCommands {
    pub slack: bool,
    pub mattermost: bool,
}

/// Everything the notifications page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationsAdmin {
    pub channels: Vec<ChannelView>,
    pub deliveries: Vec<DeliveryView>,
    /// (id, name), most severe first, for the severity threshold.
    pub severities: Vec<(i64, String)>,
    /// Whether this server has an SMTP relay (`--smtp-url`) for e-mail channels.
    pub mail_enabled: bool,
    pub chat_commands: ChatCommands,
    /// Where Vigil is reached, for the slash commands' request URLs.
    pub public_url: String,
}
