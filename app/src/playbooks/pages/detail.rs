use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::StepExtras;
use super::effect::StepsCard;
use crate::accounts::use_current_user;
use crate::components::{FormAlert, action_error};
use crate::layout::ErrorTemplate;
use crate::metrics::pages::url_params;
use crate::playbooks::server_fns::{ArchivePlaybook, get_playbook};
use crate::time::Time;

/// One playbook: the document, its steps, its services and every version (any version
/// can be read as it was: `?version=2`).
#[component]
pub fn PlaybookPage() -> impl IntoView {
    let params = use_params_map();
    let param = url_params();
    let id = move || params.read().get("id").and_then(|i| i.parse::<i64>().ok());
    let archive = ServerAction::<ArchivePlaybook>::new();
    let playbook = Resource::new(
        move || (id(), param("version").and_then(|v| v.parse().ok())),
        |(id, version)| get_playbook(id.unwrap_or(0), version),
    );
    let user = use_current_user();
    let archive_error = Signal::derive(move || action_error(archive.value().get()));
    view! {
        <Suspense fallback=|| view! { <section class="page"><p class="muted">"Loading…"</p></section> }>
            <ErrorBoundary fallback=|errors| view! { <section class="page"><ErrorTemplate errors /></section> }>
                {move || Suspend::new(async move {
                    let can_write = user.await.ok().flatten().is_some_and(|u| u.role.can_write());
                    playbook.await.map(|p| {
                        let old = p.version != p.current_version;
                        let id = p.id;
                        view! {
                            <Title text=p.title.clone() />
                            <section class="page">
                                <header class="page-header page-header--actions">
                                    <div>
                                        <p class="page-header__eyebrow"><A href="/playbooks">"Playbooks"</A></p>
                                        <h1>{p.title.clone()} {p.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}</h1>
                                        <p class="page-header__lede">
                                            {format!("Version {} · {} step{} · used by {} incident{}", p.version, p.steps.len(), if p.steps.len() == 1 { "" } else { "s" }, p.times_used, if p.times_used == 1 { "" } else { "s" })}
                                        </p>
                                    </div>
                                    {(can_write && !old).then(|| view! {
                                        <div class="page-header__buttons">
                                            <A href=format!("/playbooks/{id}/edit") attr:class="button">"Edit"</A>
                                            <ActionForm action=archive>
                                                <input type="hidden" name="id" value=id.to_string() />
                                                <input type="hidden" name="archive" value=(!p.archived).to_string() />
                                                <button class="button" type="submit">{if p.archived { "Restore" } else { "Archive" }}</button>
                                            </ActionForm>
                                        </div>
                                    })}
                                </header>
                                <FormAlert error=archive_error fields=&[] />
                                {old.then(|| view! {
                                    <p class="alert alert--warning" role="status">
                                        {format!("You are reading version {} of {}. ", p.version, p.current_version)}
                                        <a href=format!("/playbooks/{id}")>"Read the current version"</a>
                                    </p>
                                })}
                                <div class="service-layout">
                                    <section class="card stack" aria-labelledby="steps-title">
                                        <h2 id="steps-title">"Steps"</h2>
                                        {if p.steps.is_empty() {
                                            view! { <p class="empty-note">"No steps yet."</p> }.into_any()
                                        } else {
                                            view! {
                                                <ol class="checklist checklist--plain">
                                                    {p.steps.iter().cloned().map(|step| view! {
                                                        <li class="checklist__step">{step.text.clone()}<StepExtras step holder=None /></li>
                                                    }).collect_view()}
                                                </ol>
                                            }.into_any()
                                        }}
                                        <p class="muted">{if p.services.is_empty() {
                                            "Not attached to any service: responders attach it from the incident page.".to_owned()
                                        } else {
                                            format!("Attached to every new incident that affects {}.", p.services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "))
                                        }}</p>
                                    </section>
                                    {(!p.body.is_empty()).then(|| view! {
                                        <section class="card stack" aria-labelledby="guide-title">
                                            <h2 id="guide-title">"Guide"</h2>
                                            <div class="prose" inner_html=p.body_html.clone()></div>
                                        </section>
                                    })}
                                </div>
                                <StepsCard id=id.0 />
                                {p.changes.clone().map(|c| view! { <ChangesCard changes=c version=p.version /> })}
                                <section class="card stack" aria-labelledby="versions-title">
                                    <h2 id="versions-title">"Versions"</h2>
                                    <ol class="version-list" reversed>
                                        {p.revisions.iter().cloned().map(|r| {
                                            let shown = r.version == p.version;
                                            view! {
                                                <li>
                                                    {if shown {
                                                        view! { <strong aria-current="page">{format!("Version {}", r.version)}</strong> }.into_any()
                                                    } else {
                                                        view! { <a href=format!("/playbooks/{id}?version={}", r.version)>{format!("Version {}", r.version)}</a> }.into_any()
                                                    }}
                                                    <span class="muted">{format!(" · {} · ", r.author.unwrap_or_else(|| "someone".into()))}</span>
                                                    <Time at=r.created_at />
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ol>
                                </section>
                            </section>
                        }
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

/// What the version shown changed from the one before: every step marked, and the
/// guide's lines added or removed.
#[component]
fn ChangesCard(changes: crate::playbooks::diff::VersionChanges, version: i32) -> impl IntoView {
    use crate::diff::{Change, DiffLine, has_changes};
    let lines = |lines: Vec<DiffLine>| {
        view! {
            <pre class="diff__lines">{lines.into_iter().map(|l| {
                let (class, sign, label) = match l.change {
                    Change::Added => ("diff__line diff__line--added", "+ ", "added"),
                    Change::Removed => ("diff__line diff__line--removed", "- ", "removed"),
                    Change::Same => ("diff__line", "  ", ""),
                };
                view! { <span class=class><span class="visually-hidden">{label}</span>{sign}{l.text}"\n"</span> }
            }).collect_view()}</pre>
        }
    };
    let steps_changed = has_changes(&changes.steps);
    view! {
        <section class="card stack" aria-labelledby="changes-title" data-testid="version-changes">
            <h2 id="changes-title">{format!("What version {version} changed from version {}", changes.from)}</h2>
            {changes.old_title.map(|t| view! { <p>"Retitled from " <q>{t}</q> "."</p> })}
            {if steps_changed {
                view! { <h3>"Steps"</h3> {lines(changes.steps)} }.into_any()
            } else {
                view! { <p class="muted">"The steps are unchanged."</p> }.into_any()
            }}
            {if changes.body.is_empty() {
                view! { <p class="muted">"The guide is unchanged."</p> }.into_any()
            } else {
                view! { <h3>"Guide"</h3> {lines(changes.body)} }.into_any()
            }}
        </section>
    }
}
