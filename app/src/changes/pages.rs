//! The incident page's card of the changes before it: what changed, so the commander
//! can ask "was it this?" and mark the answer.

use leptos::prelude::*;

use super::server_fns::LinkChange;
use super::{Cause, ChangeOutcome, ChangeView, ChangesBefore};
use crate::components::{FormAlert, action_error};
use crate::incidents::IncidentRef;
use crate::incidents::durations;
use crate::time::Time;

/// The windows the card offers, in hours.
const WINDOWS: [u32; 4] = [6, 24, 72, 168];

#[component]
pub fn ChangesCard(
    reference: IncidentRef,
    changes: ChangesBefore,
    can_write: bool,
) -> impl IntoView {
    let link = ServerAction::<LinkChange>::new();
    let error = Signal::derive(move || action_error(link.value().get()));
    let hours = changes.window_hours;
    let until = changes.until;
    let empty = changes.changes.is_empty();
    view! {
        <section class="card stack changes-card" id="changes" aria-labelledby="changes-title" data-testid="changes">
            <h2 class="card__title" id="changes-title">"Changes before this incident"</h2>
            <form method="get" class="inline-form changes-card__window">
                <label for="changes-window">"Look back"</label>
                <select id="changes-window" name="changes_window">
                    {WINDOWS.into_iter().map(|h| view! {
                        <option value=h.to_string() selected=h == hours>{window_label(h)}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button button--small">"Show"</button>
            </form>
            <FormAlert error fields=&["cause"] />
            {empty.then(|| view! {
                <p class="muted">{format!("No changes to its services in the {} before it began.", window_label(hours))}</p>
            })}
            <ol class="changes-list">
                {changes.changes.into_iter().map(|change| view! {
                    <ChangeItem change reference until can_write link />
                }).collect_view()}
            </ol>
        </section>
    }
}

fn window_label(hours: u32) -> String {
    match hours {
        h if h % 24 == 0 && h > 24 => format!("{} days", h / 24),
        24 => "24 hours".into(),
        h => format!("{h} hours"),
    }
}

#[component]
fn ChangeItem(
    change: ChangeView,
    reference: IncidentRef,
    until: chrono::DateTime<chrono::Utc>,
    can_write: bool,
    link: ServerAction<LinkChange>,
) -> impl IntoView {
    let cause = change.cause_of(reference);
    let before = until - change.started_at;
    let when = if before.num_seconds() >= 0 {
        format!("{} before", durations::format(before))
    } else {
        format!("{} after", durations::format(-before))
    };
    let services = change
        .services
        .iter()
        .map(|s| s.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let outcome_class = match change.outcome {
        ChangeOutcome::Succeeded => "badge badge--ok",
        ChangeOutcome::InProgress => "badge",
        ChangeOutcome::Failed | ChangeOutcome::RolledBack => "badge badge--failed",
    };
    let title = match change.link.clone() {
        Some(href) => view! { <a href=href rel="noopener noreferrer" target="_blank">{change.title.clone()}</a> }.into_any(),
        None => view! { <span>{change.title.clone()}</span> }.into_any(),
    };
    let id = change.id;
    view! {
        <li class="change" data-change=id.to_string()>
            <p class="change__title">
                <span class="badge">{change.kind.label()}</span>" "
                <strong>{title}</strong>
                {change.version.clone().map(|v| view! { " " <code>{v}</code> })}
            </p>
            <p class="change__facts muted">
                <Time at=change.started_at />" · "{when}" · "{services}
                {change.author.clone().map(|a| view! { " · by " {a} })}
            </p>
            <p class="change__marks">
                <span class=outcome_class>{change.outcome.label()}</span>
                {cause.map(|c| view! { " " <span class="badge badge--cause" data-testid="cause">{c.label()}</span> })}
            </p>
            {can_write.then(|| view! {
                <div class="change__actions">
                    {(cause != Some(Cause::Suspected) && cause != Some(Cause::Confirmed)).then(|| view! {
                        <CauseButton link reference id cause="suspected" label="Suspected cause" />
                    })}
                    {(cause != Some(Cause::Confirmed)).then(|| view! {
                        <CauseButton link reference id cause="confirmed" label="Confirmed cause" />
                    })}
                    {cause.is_some().then(|| view! {
                        <CauseButton link reference id cause="" label="Not the cause" />
                    })}
                </div>
            })}
        </li>
    }
}

/// One of a change's marks, a form of its own: it posts without JavaScript.
#[component]
fn CauseButton(
    link: ServerAction<LinkChange>,
    reference: IncidentRef,
    id: i64,
    cause: &'static str,
    label: &'static str,
) -> impl IntoView {
    view! {
        <ActionForm action=link attr:class="inline-form">
            <input type="hidden" name="reference" value=reference.to_string() />
            <input type="hidden" name="change_id" value=id.to_string() />
            <input type="hidden" name="cause" value=cause />
            <button type="submit" class="button button--small">{label}</button>
        </ActionForm>
    }
}
