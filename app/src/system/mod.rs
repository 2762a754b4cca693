//! The running instance itself: version, database and schema state, readiness.

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod settings;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

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

#[server(prefix = "/rpc", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    use crate::accounts::Role;
    use crate::web::{self, with_status};

    let (state, _) = web::require(Role::Viewer)?;
    with_status(service::system_status(&state.db).await)
}
