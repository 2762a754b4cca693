//! The audit log: who did what, when, from where. Append-only; admins read it.

pub mod page;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// One audit log line as shown to admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub details: String,
    pub ip: Option<String>,
}

/// A page of audit entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub page: u64,
    pub pages: u64,
}
