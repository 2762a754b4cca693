use leptos::prelude::*;

use super::StepExtras;
use crate::components::{FormAlert, action_error};
use crate::error::AppError;
use crate::playbooks::server_fns::{
    AttachPlaybook, DetachPlaybook, TickPlaybookStep, get_incident_playbooks,
};
use crate::playbooks::{Checklist, ChecklistStep, IncidentPlaybooks};
use crate::time::Time;

/// An incident's checklists and the actions that change them. Made once by the page,
/// outside any `Suspend` (as `IncidentItems`).
#[derive(Clone, Copy)]
pub struct IncidentPlaybookState {
    playbooks: Resource<Result<IncidentPlaybooks, AppError>>,
    attach: ServerAction<AttachPlaybook>,
    detach: ServerAction<DetachPlaybook>,
    tick: ServerAction<TickPlaybookStep>,
}

impl IncidentPlaybookState {
    pub fn new(reference: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let attach = ServerAction::<AttachPlaybook>::new();
        let detach = ServerAction::<DetachPlaybook>::new();
        let tick = ServerAction::<TickPlaybookStep>::new();
        let playbooks = Resource::new(reference, get_incident_playbooks);
        Self {
            playbooks,
            attach,
            detach,
            tick,
        }
    }
}

/// The incident's playbooks as checklists: tick a step (or undo it), attach another
/// playbook, take one off. Plain forms, so it all works without JavaScript.
#[component]
pub fn IncidentChecklists(
    reference: String,
    can_write: bool,
    state: IncidentPlaybookState,
) -> impl IntoView {
    let IncidentPlaybookState {
        playbooks,
        attach,
        detach,
        tick,
    } = state;
    let error = Signal::derive(move || {
        action_error(attach.value().get())
            .or_else(|| action_error(detach.value().get()))
            .or_else(|| action_error(tick.value().get()))
    });
    // Nothing to show (no checklist, nothing a reader could attach): no card at all.
    view! {
        <Transition>
            {move || {
                let reference = reference.clone();
                Suspend::new(async move {
                    let IncidentPlaybooks { checklists, available } = playbooks.await.ok()?;
                    let can_attach = can_write && !available.is_empty();
                    if checklists.is_empty() && !can_attach {
                        return None;
                    }
                    Some(view! {
                        <section class="card stack card--playbooks" id="playbooks" aria-labelledby="playbooks-title">
                            <h2 id="playbooks-title">"Playbooks"</h2>
                            <FormAlert error fields=&["playbook_id"] />
                            {checklists.is_empty().then(|| view! {
                                <p class="empty-note">"No playbook on this incident yet. Playbooks attached to its services arrive here as checklists."</p>
                            })}
                            {checklists.into_iter().map(|list| view! {
                                <ChecklistView list reference=reference.clone() can_write tick detach />
                            }).collect_view()}
                            {can_attach.then(|| view! {
                                <ActionForm action=attach attr:class="form form--inline" attr:novalidate=true>
                                    <input type="hidden" name="reference" value=reference.clone() />
                                    <div class="field">
                                        <label class="field__label" for="attach-playbook">"Attach a playbook"</label>
                                        <select class="field__input" id="attach-playbook" name="playbook_id">
                                            <option value="">"Choose…"</option>
                                            {available.into_iter().map(|(id, title)| view! {
                                                <option value=id.to_string()>{title}</option>
                                            }).collect_view()}
                                        </select>
                                    </div>
                                    <button class="button button--small" type="submit">"Attach"</button>
                                </ActionForm>
                            })}
                        </section>
                    })
                })
            }}
        </Transition>
    }
}

#[component]
fn ChecklistView(
    list: Checklist,
    reference: String,
    can_write: bool,
    tick: ServerAction<TickPlaybookStep>,
    detach: ServerAction<DetachPlaybook>,
) -> impl IntoView {
    let (done, total) = (list.done(), list.steps.len());
    let id = list.playbook_id;
    let progress_id = format!("playbook-{id}-progress");
    let title = list.title.clone();
    view! {
        <div class="checklist-block" data-playbook=list.title.clone()>
            <div class="section-header">
                <h3><a href=format!("/playbooks/{id}?version={}", list.version)>{list.title.clone()}</a></h3>
                <span class="muted" id=progress_id.clone()>{format!("{done} of {total} done")}</span>
            </div>
            <progress class="checklist__progress" max=total.max(1).to_string() value=done.to_string() aria-labelledby=progress_id></progress>
            {(list.version != list.current_version).then(|| view! {
                <p class="muted">{format!("Version {} as attached; the playbook is now at version {}.", list.version, list.current_version)}</p>
            })}
            <ol class="checklist">
                {list.steps.into_iter().map(|step| view! {
                    <StepRow step playbook=id.0 reference=reference.clone() can_write tick />
                }).collect_view()}
            </ol>
            {can_write.then(|| view! {
                <details class="checklist__remove">
                    <summary>"Remove from this incident"</summary>
                    <ActionForm action=detach attr:class="form form--inline">
                        <input type="hidden" name="reference" value=reference.clone() />
                        <input type="hidden" name="playbook_id" value=id.to_string() />
                        <p class="muted">"Its ticks are removed too; the timeline keeps what was done."</p>
                        <button class="button button--small button--danger" type="submit">{format!("Remove {title}")}</button>
                    </ActionForm>
                </details>
            })}
        </div>
    }
}

#[component]
fn StepRow(
    step: ChecklistStep,
    playbook: i64,
    reference: String,
    can_write: bool,
    tick: ServerAction<TickPlaybookStep>,
) -> impl IntoView {
    let ChecklistStep {
        index,
        step,
        role_holder,
        done,
    } = step;
    let is_done = done.is_some();
    let text = step.text.clone();
    view! {
        <li class="checklist__step" class:checklist__step--done=is_done id=format!("playbook-{playbook}-step-{index}")>
            {if can_write {
                view! {
                    <ActionForm action=tick attr:class="checklist__form">
                        <input type="hidden" name="reference" value=reference />
                        <input type="hidden" name="playbook_id" value=playbook.to_string() />
                        <input type="hidden" name="step" value=index.to_string() />
                        <input type="hidden" name="done" value=(!is_done).to_string() />
                        <button class="checklist__tick" type="submit" aria-pressed=is_done.to_string()
                            aria-label=format!("Step {}: {text}", index + 1)
                            title=if is_done { "Undo: mark as not done" } else { "Mark as done" }>
                            <span aria-hidden="true">{if is_done { "✓" } else { "" }}</span>
                        </button>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <span class="checklist__tick checklist__tick--static" aria-hidden="true">{if is_done { "✓" } else { "" }}</span> }.into_any()
            }}
            <div class="checklist__text">
                <span>{format!("{}. {}", index + 1, step.text)}</span>
                <StepExtras step holder=role_holder />
                {done.map(|d| view! {
                    <span class="checklist__done muted">{format!(" Done by {} · ", d.by)}<Time at=d.at /></span>
                })}
                {(!is_done && !can_write).then(|| view! { <span class="visually-hidden">" (not done)"</span> })}
            </div>
        </li>
    }
}
