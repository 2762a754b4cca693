use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::edit::EditDetails;
use super::header::IncidentHeader;
use super::quick_actions::QuickActions;
use super::timeline::{LiveTimeline, NoteForm};
use crate::action_items::pages::{IncidentActionItems, IncidentItems};
use crate::changes::pages::ChangesCard;
use crate::components::{FormAlert, action_error};
use crate::error::AppError;
use crate::incidents::server_fns::{
    AddIncidentNote, AssignIncidentRole, ChangeIncidentSeverity, ChangeIncidentStatus,
    IncidentDetail, IncidentOptions, UpdateIncidentDetails, get_incident_detail,
    get_incident_options,
};
use crate::layout::ErrorTemplate;
use crate::playbooks::pages::{IncidentChecklists, IncidentPlaybookState};
use crate::status::incident_card::StatusPageCard;
use crate::time::ZoneNote;

/// One incident: its header, quick actions and the timeline, rendered on the server. The
/// timeline is live (an island following server-sent events); the rest is current as of
/// each load, and every form answers with the page.
#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let query = leptos_router::hooks::use_query_map();
    let reference = move || params.read().get("reference").unwrap_or_default();
    // `?changes_window=72`: how far the changes card looks back, in hours.
    let window = move || {
        query
            .read()
            .get("changes_window")
            .and_then(|h| h.parse::<u32>().ok())
    };
    let status = ServerAction::<ChangeIncidentStatus>::new();
    let merge = ServerAction::<ChangeIncidentStatus>::new();
    let severity = ServerAction::<ChangeIncidentSeverity>::new();
    let role = ServerAction::<AssignIncidentRole>::new();
    let note = ServerAction::<AddIncidentNote>::new();
    let edit = ServerAction::<UpdateIncidentDetails>::new();
    let detail = Resource::new(
        move || (reference(), window()),
        |(reference, window)| get_incident_detail(reference, window),
    );
    let options = Resource::new(|| (), |_| get_incident_options());
    let items = IncidentItems::new(reference);
    let playbooks = IncidentPlaybookState::new(reference);
    let user = crate::accounts::use_current_user();
    let actions = Actions {
        status,
        merge,
        severity,
        role,
        note,
        edit,
    };

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                {move || Suspend::new(async move {
                    let detail = detail.await?;
                    let options = options.await?;
                    Ok::<_, AppError>(view! { <IncidentView detail options actions playbooks /> })
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
}

#[component]
fn IncidentView(
    detail: IncidentDetail,
    options: IncidentOptions,
    actions: Actions,
    playbooks: IncidentPlaybookState,
) -> impl IntoView {
    let incident = detail.incident;
    let facts_html = super::facts_html(&incident);
    let postmortem_needed = postmortem_needed_by(&incident, &detail.types);
    let reference = incident.reference.to_string();
    let version = incident.version.to_string();
    let change_error = Signal::derive(move || {
        action_error(actions.status.value().get())
            .or_else(|| action_error(actions.severity.value().get()))
            .or_else(|| action_error(actions.role.value().get()))
            .or_else(|| action_error(actions.merge.value().get()))
    });

    view! {
        <Title text=format!("{reference} {}", incident.title) />
        <article class="page incident">
            <IncidentHeader incident=incident.clone() facts_html=facts_html.clone() now=detail.now />

            <FormAlert error=change_error fields=&["merged_into", "user_id"] />
            {detail.can_write.then(|| view! {
                <QuickActions actions reference=reference.clone() version status=incident.status severity_id=incident.severity.id severities=options.severities />
            })}

            {detail.can_write.then(|| {
                view! { <EditDetails action=actions.edit incident=incident.clone() /> }
            })}

            // Runbooks come first in the page's order: on a phone they are read before
            // the timeline; on a wide screen the grid puts them atop the side column.
            <div class="incident__body">
                <RunbooksCard runbooks=detail.runbooks />
                <div class="incident__main">
                    <IncidentChecklists reference=reference.clone() can_write=detail.can_write state=playbooks />
                    <section class="incident__timeline" id="timeline" aria-labelledby="timeline-title">
                    <div class="section-header">
                        <h2 id="timeline-title">"Timeline"</h2>
                        <ZoneNote />
                    </div>
                    {detail.can_write.then(|| view! { <NoteForm action=actions.note reference=reference.clone() /> })}
                    // The island shows a refused correction or deletion of a note above the notes.
                    <LiveTimeline reference=reference.clone() marker=detail.marker can_write=detail.can_write events=detail.timeline facts_html />
                    </section>
                </div>
                <aside class="incident__aside">
                    <crate::fields::pages::IncidentFieldsCard fields=detail.fields types=detail.types can_write=detail.can_write />
                    <ChangesCard reference=incident.reference changes=detail.changes can_write=detail.can_write />
                    <StatusPageCard reference=reference.clone() card=detail.status_page can_write=detail.can_write />
                    <PostmortemCard
                        reference=reference.clone()
                        status=detail.postmortem
                        needed_by=postmortem_needed
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

/// The affected services' runbooks, first while responding.
#[component]
fn RunbooksCard(runbooks: Vec<crate::catalog::ServiceRunbooks>) -> impl IntoView {
    (!runbooks.is_empty()).then(|| view! {
        <section class="card stack card--runbooks" aria-labelledby="runbooks-title" data-testid="runbooks">
            <h2 class="card__title" id="runbooks-title">"Runbooks"</h2>
            {runbooks.into_iter().map(|group| view! {
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
    })
}

/// Where the incident's postmortem stands, or the button that starts it.
#[component]
fn PostmortemCard(
    reference: String,
    status: Option<crate::postmortems::PostmortemStatus>,
    /// Why closing needs a published postmortem, if it does.
    needed_by: Option<String>,
    can_write: bool,
) -> impl IntoView {
    use crate::postmortems::pages::PostmortemBadge;
    use crate::postmortems::server_fns::StartPostmortem;
    let start = ServerAction::<StartPostmortem>::new();
    let error = Signal::derive(move || action_error(start.value().get()));
    let path = format!("/incidents/{reference}/postmortem");
    let note = needed_by.unwrap_or_else(|| {
        "Optional at this severity, and always worth it when there is something to learn."
            .to_owned()
    });
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

/// Why closing the incident needs a published postmortem (its severity, its type, or a
/// rule, as `require_published_postmortem` checks them), if it does.
fn postmortem_needed_by(
    incident: &crate::incidents::IncidentView,
    types: &[crate::incidents::types::IncidentTypeView],
) -> Option<String> {
    let kind = types
        .iter()
        .find(|t| Some(t.id) == incident.type_id && t.postmortem_required);
    if incident.severity.requires_postmortem {
        Some(format!(
            "{} incidents need a published postmortem before they close.",
            incident.severity.name
        ))
    } else if let Some(kind) = kind {
        Some(format!(
            "{} incidents need a published postmortem before they close.",
            kind.name
        ))
    } else {
        incident.postmortem_required_by.as_ref().map(|rule| {
            format!(
                "The rule “{rule}” asks for a published postmortem before this incident closes."
            )
        })
    }
}
