//! The service catalogue: what incidents affect. (The services issue adds tiers, runbooks
//! and SLOs; incidents need the name and owner.)

pub mod page;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod entity;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// A service as incidents show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub owner_team: Option<String>,
}
