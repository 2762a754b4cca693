//! The status page's settings and components (admins), publishing an incident and its
//! updates (responders), and what the public page shows (anyone). Callers check the
//! role; admin writes check it again here.

mod components;
mod page;
mod publishing;
mod setup;

pub use components::{add_component, components, remove_component, update_component};
pub use page::{HISTORY, component_states, public_history, public_incident, public_status};
pub use publishing::{MAX_UPDATE, incident_card, publish};
pub use setup::{MAX_LINKS, colour, parse_links, save_settings, settings};
