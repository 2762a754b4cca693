//! The running instance itself: version, database and schema state (the admin's
//! About page), readiness.

#[cfg(feature = "ssr")]
pub mod entities;
pub mod page;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod settings;

pub use server_fns::get_system_status;

use serde::{Deserialize, Serialize};

/// What an operator wants to know about the running instance at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub version: String,
    /// `SQLite` or `PostgreSQL`.
    pub database: String,
    /// Name of the newest applied migration.
    pub schema_version: Option<String>,
    pub pending_migrations: u32,
}
