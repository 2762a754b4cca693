//! Outgoing notifications: Slack-compatible incoming webhooks and signed JSON webhooks
//! hear about declarations, severity and status changes and published postmortems.
//!
//! A change writes its deliveries into an outbox table in the same transaction, and a
//! background worker sends them with retries and backoff: a slow or failing receiver
//! never slows the person making the change, and nothing is lost across restarts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::incidents::IncidentRef;

pub mod page;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod channel;
#[cfg(feature = "ssr")]
pub mod delivery;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod service;

/// Where a channel sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelKind {
    /// Slack incoming webhooks and the chat tools that copy them (Mattermost, Rocket.Chat).
    Slack,
    /// Any HTTP endpoint: JSON, signed with HMAC-SHA256.
    Webhook,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 2] = [Self::Slack, Self::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Webhook => "webhook",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Slack => "Slack-compatible incoming webhook",
            Self::Webhook => "JSON webhook, signed (HMAC-SHA256)",
        }
    }
}

/// What a channel can hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotifyEvent {
    Declared,
    SeverityChanged,
    StatusChanged,
    PostmortemPublished,
    /// Sent from the admin page to check a channel; never subscribed to.
    Test,
}

impl NotifyEvent {
    /// The events a channel subscribes to.
    pub const SUBSCRIBABLE: [NotifyEvent; 4] = [
        Self::Declared,
        Self::SeverityChanged,
        Self::StatusChanged,
        Self::PostmortemPublished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Declared => "incident.declared",
            Self::SeverityChanged => "incident.severity_changed",
            Self::StatusChanged => "incident.status_changed",
            Self::PostmortemPublished => "postmortem.published",
            Self::Test => "test",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::SUBSCRIBABLE
            .into_iter()
            .chain([Self::Test])
            .find(|e| e.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Declared => "Incident declared",
            Self::SeverityChanged => "Severity changed",
            Self::StatusChanged => "Status changed",
            Self::PostmortemPublished => "Postmortem published",
            Self::Test => "Test",
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Every attempt failed; an admin can retry it.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Delivered => "Delivered",
            Self::Failed => "Failed",
        }
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

/// Everything the notifications page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationsAdmin {
    pub channels: Vec<ChannelView>,
    pub deliveries: Vec<DeliveryView>,
    /// (id, name), most severe first, for the severity threshold.
    pub severities: Vec<(i64, String)>,
}
