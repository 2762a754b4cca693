//! The postmortem pages: the postmortem itself (write, review, read), its history, the
//! list of postmortems, and the admin's template.

mod detail;
mod history;
mod list;
mod print;
mod template;

pub use detail::PostmortemPage;
pub use history::PostmortemHistoryPage;
pub use list::PostmortemsPage;
pub use print::PostmortemPrintPage;
pub use template::PostmortemTemplatePage;

use leptos::prelude::*;

use crate::postmortems::PostmortemStatus;

/// The coloured label of a postmortem's status.
#[component]
pub fn PostmortemBadge(status: PostmortemStatus) -> impl IntoView {
    view! { <span class=format!("status-badge status-badge--pm-{}", status.as_str())>{status.label()}</span> }
}
