//! The status page's settings and components (admins), publishing an incident and its
//! updates and scheduling maintenance (responders), and what the public page shows
//! (anyone). Callers check the role; writes check it again here.

mod announce;
mod components;
mod maintenance;
mod page;
mod publishing;
mod setup;
mod subscribers;
mod told;

pub use components::{add_component, components, remove_component, update_component};
pub use maintenance::{
    MAX_DAYS, finish_maintenance, maintenances, public_maintenance, schedule, update_maintenance,
};
pub use page::{
    HISTORY, PublicView, component_history, component_states, public_incident, public_view,
};
pub use publishing::{MAX_UPDATE, draft_for_rule, incident_card, publish};
pub use setup::{MAX_LINKS, colour, parse_links, save_settings, settings};
pub use subscribers::{
    MAX_PER_ADDRESS, MAX_PER_CLIENT, Reach, UNCONFIRMED_DAYS, board, by_token, check_email,
    check_webhook, confirm, remove_subscriber, subscribe, unsubscribe,
};

use std::sync::atomic::{AtomicU64, Ordering};

/// Changes to the page committed in this process: the public side kept in memory
/// (`status::served`) is rendered again on the next view after one.
static CHANGES: AtomicU64 = AtomicU64::new(0);

/// Counts a committed change to the page's settings, components or publications, and
/// forgets the settings and components kept for the incident pages' status card.
pub fn changed() {
    CHANGES.fetch_add(1, Ordering::Release);
    setup::STORED.wrote();
    components::COMPONENTS.wrote();
}

/// How many changes to the page were committed in this process so far.
pub fn changes() -> u64 {
    CHANGES.load(Ordering::Acquire)
}
