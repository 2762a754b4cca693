//! The incident pages: list, declare, and the incident itself.

mod declare;
mod detail;
mod edit;
mod header;
mod list;
mod quick_actions;
mod severities;
mod timeline;

pub use declare::DeclarePage;
pub use detail::IncidentPage;
pub use header::facts_html;
pub use list::IncidentsPage;
pub use severities::SeveritiesPage;

pub use crate::time::Time;

use super::Status;

/// The coloured label of a status.
#[leptos::component]
pub fn StatusBadge(status: Status) -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! { <span class=format!("status-badge status-badge--{}", status.as_str())>{status.label()}</span> }
}
