//! The incident page's header. Its title and badges are kept current by the live
//! timeline: each time it re-reads, the server renders them again ([`facts_html`]) and
//! the timeline's island puts them in place, so a status another responder sets shows in
//! the header as it does in the timeline: one event stream, no second island, and no
//! rendering code in the browser's download.

use leptos::prelude::*;

use super::StatusBadge;
use crate::incidents::{IncidentRole, IncidentView, durations};

/// The element whose content [`facts_html`] is.
pub(super) const FACTS_ID: &str = "incident-facts";

/// The incident's title, badges, commander and how long each phase took (or has taken
/// so far).
/// `facts_html` is [`facts_html`] of the incident, rendered once for the header and the
/// live timeline.
#[component]
pub(super) fn IncidentHeader(
    incident: IncidentView,
    facts_html: String,
    now: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let spans = durations::spans(&incident.times, now);
    view! {
        <header class="incident__header">
            <p class="incident__ref">{incident.reference.to_string()}</p>
            <div id=FACTS_ID aria-live="polite" inner_html=facts_html></div>
            <dl class="facts facts--spans">
                {spans.into_iter().map(|s| view! {
                    <div class="facts__item">
                        <dt>{s.label}</dt>
                        <dd>{durations::format(s.duration)}{s.running.then_some(" so far")}</dd>
                    </div>
                }).collect_view()}
            </dl>
        </header>
    }
}

/// The header's title and badges as HTML, for the live timeline to put in place.
pub fn facts_html(incident: &IncidentView) -> String {
    facts(incident).to_html()
}

fn facts(incident: &IncidentView) -> impl IntoView + use<> {
    let commander = incident
        .roles
        .iter()
        .find(|r| r.role == IncidentRole::Commander)
        .map(|r| r.user_name.clone())
        .unwrap_or_else(|| "nobody".into());
    view! {
        <h1>{incident.title.clone()}</h1>
        <div class="incident__facts">
            <StatusBadge status=incident.status />
            <span class="badge badge--severity">{incident.severity.name.clone()}</span>
            {incident.customer_impact.then(|| view! { <span class="badge badge--impact">"Customer impact"</span> })}
            <span class="muted">"Commander: " <strong data-testid="commander">{commander}</strong></span>
            {incident.merged_into.map(|target| view! {
                <span data-testid="merged-into">"Duplicate of " <a href=format!("/incidents/{target}")>{target.to_string()}</a></span>
            })}
        </div>
    }
}
