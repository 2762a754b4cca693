//! The page every signed-in user lands on: what is on fire and what waits for them.

mod page;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

pub use page::HomePage;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::action_items::ActionItemView;
use crate::incidents::{ActiveIncident, IncidentSummary};
use crate::metrics::BudgetAlert;
use crate::postmortems::PostmortemDuty;

/// Everything the home page shows, for one person, read at `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnCall {
    /// Open incidents, newest declared first (up to [`OnCall::ACTIVE_SHOWN`]).
    pub active: Vec<ActiveIncident>,
    /// Every open incident, counted.
    pub active_total: u64,
    /// My action items still to do, overdue first (the earliest due first).
    pub my_items: Vec<ActionItemView>,
    pub my_items_total: u64,
    /// Empty for viewers, who neither review nor write postmortems.
    pub postmortems: Vec<PostmortemDuty>,
    /// Exhausted first, then the fastest burning (up to [`OnCall::BUDGETS_SHOWN`]).
    pub budgets: Vec<BudgetAlert>,
    /// Every budget that needs attention, counted.
    pub budgets_total: u64,
    /// Resolved in the last [`OnCall::RECENT_DAYS`] days, the latest first.
    pub resolved: Vec<IncidentSummary>,
    /// The server's clock, so "so far" durations render the same after hydration.
    pub now: DateTime<Utc>,
    /// Whether the reader may declare (the empty states say what to do).
    pub can_write: bool,
}

impl OnCall {
    pub const ACTIVE_SHOWN: u64 = 20;
    pub const ITEMS_SHOWN: usize = 8;
    pub const DUTIES_SHOWN: u64 = 10;
    pub const RECENT_DAYS: i64 = 7;
    pub const RECENT_SHOWN: u64 = 5;
    pub const BUDGETS_SHOWN: usize = 10;
}
