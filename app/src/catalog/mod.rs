//! The service catalogue: what incidents affect, who owns it, how to repair it (runbooks)
//! and how reliable it must be (an optional availability SLO).

pub mod form;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod known;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// A service as incidents show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub owner_team: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Runbook {
    pub title: String,
    pub url: String,
}

/// An availability target over a rolling window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Slo {
    /// Parts per million: 99.9% is 999,000.
    pub target_ppm: i64,
    pub window_days: i32,
}

impl Slo {
    /// `99.9%`, `99.95%`, `99%`.
    pub fn target_label(&self) -> String {
        format!("{}%", form::format_percent_ppm(self.target_ppm))
    }
}

/// Everything the catalogue knows about a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceDetail {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Sanitised HTML of the description.
    pub description_html: String,
    pub owner_team: Option<String>,
    pub tier: i32,
    pub slo: Option<Slo>,
    /// Incidents at this severity position or more severe count as failures; `None`: all.
    pub failure_severity_position: Option<i32>,
    pub archived: bool,
    pub version: i32,
    pub runbooks: Vec<Runbook>,
}

impl ServiceDetail {
    pub fn as_ref(&self) -> ServiceRef {
        ServiceRef {
            id: self.id,
            slug: self.slug.clone(),
            name: self.name.clone(),
            owner_team: self.owner_team.clone(),
        }
    }
}

/// A service's runbooks, for the incident page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRunbooks {
    pub service: ServiceRef,
    pub runbooks: Vec<Runbook>,
}
