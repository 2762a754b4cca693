//! The playbooks' pages (list, one playbook with its versions, the form) and the
//! incident page's checklists.

mod checklist;
mod detail;
mod edit;
mod effect;
mod list;

pub use checklist::{IncidentChecklists, IncidentPlaybookState};
pub use detail::PlaybookPage;
pub use edit::{EditPlaybookPage, NewPlaybookPage};
pub use effect::EffectCard;
pub use list::PlaybooksPage;

use crate::playbooks::PlaybookStep;
use leptos::prelude::*;

/// A step's link and role, after its text.
#[component]
fn StepExtras(step: PlaybookStep, holder: Option<String>) -> impl IntoView {
    view! {
        {step.link.map(|link| view! {
            " " <a class="checklist__link" href=link rel="noopener noreferrer" target="_blank">"Open"<span class="visually-hidden">{format!(": {}", step.text)}</span></a>
        })}
        {step.role.map(|role| view! {
            " " <span class="badge">{match holder {
                Some(name) => format!("{}: {name}", role.label()),
                None => role.label().to_owned(),
            }}</span>
        })}
    }
}
