//! The action items page, and the pieces other pages show: an incident's items with
//! their forms, and a read-only table (in postmortems and on the home page).

mod form;
mod list;

pub use form::{IncidentActionItems, IncidentItems};
pub use list::{ActionItemsPage, ActionItemsTable};

use leptos::prelude::*;

use super::{ActionItemView, ItemStatus};

/// Status, with overdue items standing out.
#[component]
pub fn ItemStatusBadge(item: ActionItemView) -> impl IntoView {
    let class = match item.status {
        ItemStatus::Open | ItemStatus::InProgress if item.overdue => {
            "status-badge status-badge--triage"
        }
        ItemStatus::Open | ItemStatus::InProgress => "status-badge status-badge--monitoring",
        ItemStatus::Done => "status-badge status-badge--resolved",
        ItemStatus::WontDo => "status-badge status-badge--declined",
    };
    view! {
        <span class=class>{item.status.label()}</span>
        {item.overdue.then(|| view! { <span class="badge badge--overdue">"Overdue"</span> })}
    }
}

/// `2026-12-01`, or a dash.
pub fn due(item: &ActionItemView) -> String {
    item.due_on
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "—".into())
}
