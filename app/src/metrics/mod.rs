//! Reliability numbers: downtime, MTTR and friends, availability, SLO error budgets,
//! and the managers' dashboard. `formulas` is the maths, `scan` the one read of the
//! incident history it runs over, `service` puts them together.

pub mod charts;
pub mod csv;
pub mod delivery;
pub mod formulas;
pub mod pages;
pub mod report;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod deploys;
#[cfg(feature = "ssr")]
pub mod scan;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

use crate::catalog::{ServiceDetail, ServiceRef, Slo};
use crate::error::FieldError;
use formulas::{DurationStats, ErrorBudget, Reliability, Secs, Span};

/// The report window and filters a page was asked for (`?window=90&max_severity=2`).
pub use report::{Period, ReportQuery};

/// A severity level as the charts need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityLevel {
    pub id: i64,
    pub name: String,
    pub position: i32,
}

impl From<&crate::incidents::SeverityView> for SeverityLevel {
    fn from(s: &crate::incidents::SeverityView) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            position: s.position,
        }
    }
}

/// An incident that spent some of a service's error budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetSpender {
    pub reference: String,
    pub title: String,
    pub severity: String,
    /// Impact inside the SLO window (overlaps with other incidents counted in each).
    pub impact: Secs,
    pub impact_started_at: Secs,
}

/// A service's SLO state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetReport {
    pub slo: Slo,
    pub budget: ErrorBudget,
    pub spenders: Vec<BudgetSpender>,
}

/// A service whose error budget is exhausted or burning fast, for the home page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetAlert {
    pub service: ServiceRef,
    pub slo: Slo,
    pub remaining_fraction: f64,
    pub burn_rate: f64,
    pub exhausted: bool,
    /// When it runs out at the last week's pace.
    pub exhausted_at: Option<Secs>,
}

/// Everything the service page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceReport {
    pub service: ServiceDetail,
    pub query: ReportQuery,
    pub window: Span,
    pub severities: Vec<SeverityLevel>,
    /// The severity threshold in force (the query's, else the service's own).
    pub max_severity: Option<i32>,
    pub reliability: Reliability,
    pub budget: Option<BudgetReport>,
    pub monthly_restore: Vec<(String, DurationStats)>,
    /// Deploys, lead time, change failures and their restores over the window.
    pub delivery: DeliveryReport,
    pub strip: ChangeStrip,
    /// Report parameters that were bad and replaced by their defaults.
    pub problems: Vec<FieldError>,
}

/// Delivery metrics over a window, with deploys per period for the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryReport {
    pub window: Span,
    pub delivery: delivery::Delivery,
    pub buckets: Vec<delivery::DeployBucket>,
}

/// A service's changes and incidents on one time axis: the strip on its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeStrip {
    pub window: Span,
    /// Days (UTC) with changes, oldest first.
    pub days: Vec<StripDay>,
    /// Incidents whose impact overlaps the window, oldest first.
    pub incidents: Vec<StripIncident>,
}

/// One day's changes to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripDay {
    /// Midnight UTC.
    pub day: Secs,
    pub changes: i64,
    /// Of those, linked to an incident as its cause.
    pub caused: i64,
}

/// An incident on the strip: its impact, to mitigation (or still open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripIncident {
    pub reference: String,
    pub title: String,
    pub start: Secs,
    pub end: Option<Secs>,
}

/// One row of the services table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRow {
    pub service: ServiceRef,
    pub tier: i32,
    pub archived: bool,
    pub slo: Option<Slo>,
    pub reliability: Reliability,
    /// Remaining error budget as a fraction (negative: exhausted).
    pub budget_remaining: Option<f64>,
}

/// Incidents declared per bucket, split by severity (in `Dashboard::severities` order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketCounts {
    /// First day of the week or month, `YYYY-MM-DD` (UTC).
    pub bucket: String,
    pub counts: Vec<i64>,
}

/// The managers' dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub query: ReportQuery,
    pub window: Span,
    pub severities: Vec<SeverityLevel>,
    pub overall: Reliability,
    pub counts: Vec<BucketCounts>,
    /// Time to restore per month of impact start: (month, stats).
    pub monthly_restore: Vec<(String, DurationStats)>,
    /// Services with downtime in the window, most downtime first.
    pub ranking: Vec<ServiceRow>,
    /// How many services the catalogue has (the ranking lists only those with downtime).
    pub service_count: usize,
    /// The SLO services whose budgets are most spent, with their burn-down.
    pub burn_downs: Vec<(ServiceRef, BudgetReport)>,
    /// Delivery metrics over every service's deploys.
    pub delivery: DeliveryReport,
    /// Report parameters that were bad and replaced by their defaults.
    pub problems: Vec<FieldError>,
}
