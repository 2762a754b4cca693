//! The incident pages: list, declare, and the incident itself.

mod declare;
mod detail;
mod list;

pub use declare::DeclarePage;
pub use detail::IncidentPage;
pub use list::IncidentsPage;

use super::Status;

/// The coloured label of a status.
#[leptos::component]
pub fn StatusBadge(status: Status) -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! { <span class=format!("status-badge status-badge--{}", status.as_str())>{status.label()}</span> }
}

/// A timestamp as UTC, machine-readable in `datetime`.
#[leptos::component]
pub fn Time(at: chrono::DateTime<chrono::Utc>) -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! { <time datetime=at.to_rfc3339()>{at.format("%Y-%m-%d %H:%M UTC").to_string()}</time> }
}
