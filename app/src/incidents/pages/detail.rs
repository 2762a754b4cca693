use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::StatusBadge;
use super::edit::EditDetails;
use super::timeline::{NoteForm, TimelineItem};
use crate::action_items::pages::{IncidentActionItems, IncidentItems};
use crate::choices::ChoiceKind;
use crate::choices::picker::Picker;
use crate::components::{FormAlert, action_error};
use crate::error::AppError;
use crate::incidents::durations;
use crate::incidents::server_fns::{
    AddIncidentNote, AssignIncidentRole, ChangeIncidentSeverity, ChangeIncidentStatus,
    DeleteIncidentNote, EditIncidentNote, IncidentDetail, IncidentOptions, UpdateIncidentDetails,
    get_incident_detail, get_incident_options,
};
use crate::incidents::{EventKind, IncidentRole, Status};
use crate::layout::ErrorTemplate;
use crate::time::ZoneNote;

/// One incident: its header, quick actions and the timeline. Live: other responders'
/// changes appear without a reload (server-sent events); without JavaScript the page
/// is current as of each load.
#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let reference = move || params.read().get("reference").unwrap_or_default();
    let status = ServerAction::<ChangeIncidentStatus>::new();
    let merge = ServerAction::<ChangeIncidentStatus>::new();
    let severity = ServerAction::<ChangeIncidentSeverity>::new();
    let role = ServerAction::<AssignIncidentRole>::new();
    let note = ServerAction::<AddIncidentNote>::new();
    let edit = ServerAction::<UpdateIncidentDetails>::new();
    let edit_note = ServerAction::<EditIncidentNote>::new();
    let delete_note = ServerAction::<DeleteIncidentNote>::new();
    let live = RwSignal::new(0u64);
    let detail = Resource::new(
        move || {
            (
                reference(),
                status.version().get(),
                merge.version().get(),
                severity.version().get(),
                role.version().get(),
                note.version().get(),
                edit.version().get(),
                edit_note.version().get(),
                delete_note.version().get(),
                live.get(),
            )
        },
        |(reference, ..)| get_incident_detail(reference),
    );
    let options = Resource::new(|| (), |_| get_incident_options());
    let items = IncidentItems::new(reference);
    let user = crate::app::use_current_user();
    let actions = Actions {
        status,
        merge,
        severity,
        role,
        note,
        edit,
        edit_note,
        delete_note,
    };
    follow_changes(reference, detail, live);
    // The note being typed outlives re-renders caused by other people's changes.
    let draft = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(())) = note.value().get() {
            draft.set(String::new());
        }
    });

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                {move || Suspend::new(async move {
                    let detail = detail.await?;
                    let options = options.await?;
                    Ok::<_, AppError>(view! { <IncidentView detail options actions draft /> })
                })}
            </ErrorBoundary>
        </Transition>
        // Outside the live part: other people's changes must not reset a form being filled.
        <Suspense>
            {move || Suspend::new(async move {
                let can_write = user.await.ok().flatten()?.role.can_write();
                Some(view! {
                    <div class="incident__followup">
                        <IncidentActionItems reference=reference() can_write state=items />
                    </div>
                })
            })}
        </Suspense>
    }
}

/// Listens to the incident's event stream and refetches when it reports a change the
/// page has not shown yet. The stream resumes from the last marker after a lost
/// connection; refetching is idempotent, so nothing is duplicated.
#[cfg(feature = "hydrate")]
fn follow_changes(
    reference: impl Fn() -> String + Send + Sync + 'static,
    detail: Resource<Result<IncidentDetail, AppError>>,
    live: RwSignal<u64>,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    type Listener = Closure<dyn FnMut(web_sys::MessageEvent)>;
    let source = StoredValue::new_local(None::<(web_sys::EventSource, Listener)>);
    let shown = move || {
        detail
            .get_untracked()
            .and_then(|d| d.ok())
            .map(|d| d.marker)
            .unwrap_or_default()
    };
    Effect::new(move |_| {
        let reference = reference();
        source.update_value(|s| {
            if let Some((old, _)) = s.take() {
                old.close();
            }
        });
        let url = format!("/incidents/{reference}/events?since={}", shown());
        let Ok(events) = web_sys::EventSource::new(&url) else {
            return;
        };
        let on_change: Listener = Closure::new(move |event: web_sys::MessageEvent| {
            if event
                .data()
                .as_string()
                .is_some_and(|marker| marker != shown())
            {
                live.update(|n| *n += 1);
            }
        });
        let _ =
            events.add_event_listener_with_callback("changed", on_change.as_ref().unchecked_ref());
        source.set_value(Some((events, on_change)));
    });
    on_cleanup(move || {
        source.update_value(|s| {
            if let Some((events, _)) = s.take() {
                events.close();
            }
        });
    });
}

#[cfg(not(feature = "hydrate"))]
fn follow_changes(
    _reference: impl Fn() -> String + Send + Sync + 'static,
    _detail: Resource<Result<IncidentDetail, AppError>>,
    _live: RwSignal<u64>,
) {
}

/// The server actions of the incident page, shared by its parts.
#[derive(Clone, Copy)]
pub(super) struct Actions {
    pub(super) status: ServerAction<ChangeIncidentStatus>,
    /// Marks the incident a duplicate: the status change to `merged`, with its target.
    pub(super) merge: ServerAction<ChangeIncidentStatus>,
    pub(super) severity: ServerAction<ChangeIncidentSeverity>,
    pub(super) role: ServerAction<AssignIncidentRole>,
    pub(super) note: ServerAction<AddIncidentNote>,
    pub(super) edit: ServerAction<UpdateIncidentDetails>,
    pub(super) edit_note: ServerAction<EditIncidentNote>,
    pub(super) delete_note: ServerAction<DeleteIncidentNote>,
}

#[component]
fn IncidentView(
    detail: IncidentDetail,
    options: IncidentOptions,
    actions: Actions,
    draft: RwSignal<String>,
) -> impl IntoView {
    let incident = detail.incident;
    let reference = incident.reference.to_string();
    let version = incident.version.to_string();
    let spans = durations::spans(&incident.times, detail.now);
    let commander = incident
        .roles
        .iter()
        .find(|r| r.role == IncidentRole::Commander)
        .map(|r| r.user_name.clone())
        .unwrap_or_else(|| "nobody".into());
    let change_error = Signal::derive(move || {
        action_error(actions.status.value().get())
            .or_else(|| action_error(actions.severity.value().get()))
            .or_else(|| action_error(actions.role.value().get()))
            .or_else(|| action_error(actions.merge.value().get()))
    });

    view! {
        <Title text=format!("{reference} {}", incident.title) />
        <article class="page incident">
            <header class="incident__header">
                <p class="incident__ref">{reference.clone()}</p>
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
                <dl class="facts facts--spans">
                    {spans.into_iter().map(|s| view! {
                        <div class="facts__item">
                            <dt>{s.label}</dt>
                            <dd>{durations::format(s.duration)}{s.running.then_some(" so far")}</dd>
                        </div>
                    }).collect_view()}
                </dl>
            </header>

            <FormAlert error=change_error fields=&["merged_into", "user_id"] />
            {detail.can_write.then(|| {
                let next: Vec<_> = incident.status.next().iter().copied().filter(|s| *s != Status::Merged).collect();
                let mergeable = incident.status.can_move_to(Status::Merged);
                let hidden = |reference: &String, version: &String| {
                    let (reference, version) = (reference.clone(), version.clone());
                    view! {
                        <input type="hidden" name="reference" value=reference />
                        <input type="hidden" name="version" value=version />
                    }
                };
                let (status_hidden, severity_hidden, role_hidden, merge_hidden) = (
                    hidden(&reference, &version),
                    hidden(&reference, &version),
                    hidden(&reference, &version),
                    hidden(&reference, &version),
                );
                let merge_error = Signal::derive(move || action_error(actions.merge.value().get()));
                let role_field = Signal::derive(move || action_error(actions.role.value().get()).and_then(|e| e.field_message("user_id")));
                let merge_field = Signal::derive(move || merge_error.get().and_then(|e| e.field_message("merged_into")));
                view! {
                    <section class="card quick-actions" aria-label="Quick actions">
                        {(!next.is_empty()).then(|| view! {
                            <ActionForm action=actions.status attr:class="inline-form">
                                {status_hidden}
                                <label class="field__label" for="next-status">"Status"</label>
                                <select class="field__input field__input--compact" id="next-status" name="status">
                                    {next.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                                </select>
                                <button class="button button--small button--primary" type="submit">"Change status"</button>
                            </ActionForm>
                        })}
                        <ActionForm action=actions.severity attr:class="inline-form">
                            {severity_hidden}
                            <label class="field__label" for="new-severity">"Severity"</label>
                            <select class="field__input field__input--compact" id="new-severity" name="severity_id">
                                {options.severities.iter().map(|s| view! {
                                    <option value=s.id.to_string() selected=s.id == incident.severity.id>{s.name.clone()}</option>
                                }).collect_view()}
                            </select>
                            <button class="button button--small" type="submit">"Set severity"</button>
                        </ActionForm>
                        <ActionForm action=actions.role attr:class="inline-form">
                            {role_hidden}
                            <label class="visually-hidden" for="role-name">"Role"</label>
                            <select class="field__input field__input--compact" id="role-name" name="role">
                                {IncidentRole::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                            </select>
                            <label class="visually-hidden" for="role-person">"Person"</label>
                            <Picker
                                kind=ChoiceKind::People
                                id="role-person"
                                name="person"
                                compact=true
                                placeholder="Name or email"
                                describedby="role-person-error"
                                invalid=Signal::derive(move || role_field.get().is_some())
                            />
                            <button class="button button--small" type="submit">"Assign"</button>
                            {move || role_field.get().map(|m| view! { <p class="field__error" id="role-person-error">{m}</p> })}
                        </ActionForm>
                        {mergeable.then(|| view! {
                            <ActionForm action=actions.merge attr:class="inline-form" attr:novalidate=true>
                                {merge_hidden}
                                <input type="hidden" name="status" value="merged" />
                                <label class="field__label" for="merged-into">"Duplicate of"</label>
                                <input
                                    class="field__input field__input--compact"
                                    id="merged-into"
                                    name="merged_into"
                                    placeholder="INC-12"
                                    size="8"
                                    aria-invalid=move || merge_field.get().is_some().then_some("true")
                                    aria-describedby="merged-into-error"
                                />
                                <button class="button button--small" type="submit">"Merge"</button>
                                {move || merge_field.get().map(|m| view! { <p class="field__error" id="merged-into-error">{m}</p> })}
                            </ActionForm>
                        })}
                    </section>
                }
            })}

            {detail.can_write.then(|| {
                view! { <EditDetails action=actions.edit incident=incident.clone() /> }
            })}

            <div class="incident__body">
                <section class="incident__timeline" id="timeline" aria-labelledby="timeline-title">
                    <div class="section-header">
                        <h2 id="timeline-title">"Timeline"</h2>
                        <ZoneNote />
                    </div>
                    {detail.can_write.then(|| view! { <NoteForm action=actions.note reference=reference.clone() draft /> })}
                    <ol class="timeline" data-testid="timeline">
                        {detail.timeline.into_iter().map(|e| {
                            let editable = detail.can_write && e.kind == EventKind::Note && !e.deleted;
                            let reference = reference.clone();
                            view! { <TimelineItem event=e editable reference actions /> }
                        }).collect_view()}
                    </ol>
                </section>
                <aside class="incident__aside">
                    {(!detail.runbooks.is_empty()).then(|| view! {
                        <section class="card stack card--runbooks" aria-labelledby="runbooks-title" data-testid="runbooks">
                            <h2 class="card__title" id="runbooks-title">"Runbooks"</h2>
                            {detail.runbooks.into_iter().map(|group| view! {
                                <div class="runbook-group">
                                    <h3 class="runbook-group__service">{group.service.name}</h3>
                                    <ul class="runbook-list">
                                        {group.runbooks.into_iter().map(|rb| view! {
                                            <li><a href=rb.url rel="noopener noreferrer" target="_blank">{rb.title}</a></li>
                                        }).collect_view()}
                                    </ul>
                                </div>
                            }).collect_view()}
                        </section>
                    })}
                    <PostmortemCard
                        reference=reference.clone()
                        status=detail.postmortem
                        required=incident.severity.requires_postmortem
                        severity=incident.severity.name.clone()
                        can_write=detail.can_write
                    />
                    <section class="card stack">
                        <h2 class="card__title">"Services"</h2>
                        <ul class="plain-list">
                            {incident.services.into_iter().map(|s| view! {
                                <li><A href=format!("/services/{}", s.slug)>{s.name}</A>{s.owner_team.map(|t| view! { <span class="muted">{format!(" · {t}")}</span> })}</li>
                            }).collect_view()}
                        </ul>
                    </section>
                    <section class="card stack">
                        <h2 class="card__title">"Roles"</h2>
                        <dl class="roles">
                            {incident.roles.into_iter().map(|r| view! {
                                <div><dt>{r.role.label()}</dt><dd>{r.user_name}</dd></div>
                            }).collect_view()}
                        </dl>
                    </section>
                    {(!incident.summary.is_empty()).then(|| view! {
                        <section class="card stack">
                            <h2 class="card__title">"Summary"</h2>
                            <div class="prose" inner_html=incident.summary_html></div>
                        </section>
                    })}
                </aside>
            </div>
        </article>
    }
}

/// Where the incident's postmortem stands, or the button that starts it.
#[component]
fn PostmortemCard(
    reference: String,
    status: Option<crate::postmortems::PostmortemStatus>,
    required: bool,
    severity: String,
    can_write: bool,
) -> impl IntoView {
    use crate::postmortems::pages::PostmortemBadge;
    use crate::postmortems::server_fns::StartPostmortem;
    let start = ServerAction::<StartPostmortem>::new();
    let error = Signal::derive(move || action_error(start.value().get()));
    Effect::new(move |_| {
        if let Some(Ok(path)) = start.value().get() {
            crate::accounts::pages::reload_to(&path);
        }
    });
    let path = format!("/incidents/{reference}/postmortem");
    let note = if required {
        format!("{severity} incidents need a published postmortem before they close.")
    } else {
        "Optional at this severity, and always worth it when there is something to learn."
            .to_owned()
    };
    view! {
        <section class="card stack" aria-labelledby="postmortem-title" data-testid="postmortem-card">
            <h2 class="card__title" id="postmortem-title">"Postmortem"</h2>
            {match status {
                Some(status) => view! {
                    <p><PostmortemBadge status />" " <a href=path>"Open the postmortem"</a></p>
                }.into_any(),
                None => view! {
                    <p class="muted">{note}</p>
                    {can_write.then(|| view! {
                        <ActionForm action=start attr:class="inline-form">
                            <input type="hidden" name="reference" value=reference.clone() />
                            <button class="button button--small button--primary" type="submit">"Start postmortem"</button>
                        </ActionForm>
                        <FormAlert error fields=&[] />
                    })}
                }.into_any(),
            }}
        </section>
    }
}
