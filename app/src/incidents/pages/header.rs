//! The incident page's header. Its facts (title, status, severity, impact, commander,
//! duplicate of) are an island that shows what the live timeline read last: one event
//! stream a page keeps both current, so a status another responder sets shows in the
//! header as it shows in the timeline, without a reload.

use leptos::prelude::*;

use super::StatusBadge;
use crate::incidents::{HeaderFacts, IncidentView, durations};

/// The header facts the live timeline read last on this page (`None` until it first
/// re-reads). Islands hydrate apart, so they share it through the page's one wasm
/// instance; the server never sets it.
pub(super) fn latest_facts() -> ArcRwSignal<Option<HeaderFacts>> {
    thread_local! {
        static LATEST: ArcRwSignal<Option<HeaderFacts>> = ArcRwSignal::new(None);
    }
    LATEST.with(Clone::clone)
}

/// The incident's title, badges, commander and how long each phase took (or has taken
/// so far).
#[component]
pub(super) fn IncidentHeader(
    incident: IncidentView,
    now: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let spans = durations::spans(&incident.times, now);
    view! {
        <header class="incident__header">
            <p class="incident__ref">{incident.reference.to_string()}</p>
            <LiveFacts facts=HeaderFacts::of(&incident) />
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

/// The title and the badges: as rendered, then as the live timeline last read them.
#[island]
fn LiveFacts(facts: HeaderFacts) -> impl IntoView {
    let latest = latest_facts();
    let facts = move || latest.get().unwrap_or_else(|| facts.clone());
    move || {
        let f = facts();
        view! {
            <h1>{f.title}</h1>
            <div class="incident__facts" aria-live="polite">
                <StatusBadge status=f.status />
                <span class="badge badge--severity">{f.severity}</span>
                {f.customer_impact.then(|| view! { <span class="badge badge--impact">"Customer impact"</span> })}
                <span class="muted">"Commander: " <strong data-testid="commander">{f.commander.unwrap_or_else(|| "nobody".into())}</strong></span>
                {f.merged_into.map(|target| view! {
                    <span data-testid="merged-into">"Duplicate of " <a href=format!("/incidents/{target}")>{target.to_string()}</a></span>
                })}
            </div>
        }
    }
}
