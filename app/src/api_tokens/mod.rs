//! Personal API tokens: scripts and tools call `/api/v1` as the person who made the
//! token, with that person's role, until it expires or is revoked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod page;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

/// A token as its owner (or an admin) sees it; never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    pub expired: bool,
}

/// A token just made, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub name: String,
    pub token: String,
}
