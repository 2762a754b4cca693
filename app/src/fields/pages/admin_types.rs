use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{FormAlert, TextArea, action_error};
use crate::error::AppError;
use crate::fields::server_fns::{ArchiveIncidentType, SaveIncidentType, admin_incident_types};
use crate::fields::{TypeChoices, TypeRef, TypeSettings};
use crate::incidents::types::REQUIRABLE_ROLES;
use crate::layout::ErrorTemplate;

/// Admins shape incident types: what a declaration of each kind brings (a default
/// severity, roles to fill, playbooks, channels to tell, whether a postmortem is due).
#[component]
pub fn TypesAdminPage() -> impl IntoView {
    let save = ServerAction::<SaveIncidentType>::new();
    let archive = ServerAction::<ArchiveIncidentType>::new();
    let data = Resource::new(|| (), |_| admin_incident_types());
    let error = Signal::derive(move || {
        action_error(save.value().get()).or_else(|| action_error(archive.value().get()))
    });
    view! {
        <Title text="Incident types" />
        <section class="page page--narrow">
            <header class="page-header">
                <h1>"Incident types"</h1>
                <p class="page-header__lede">"Responders choose a type when they declare (the default if they do not). A type brings its severity, roles, playbooks and who is told; custom fields are asked per type under "<a href="/admin/fields">"Custom fields"</a>"."</p>
            </header>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let (types, choices) = data.await?;
                        Ok::<_, AppError>(view! {
                            <FormAlert error fields=&[] />
                            <ol class="settings-list">
                                {types.into_iter().map(|t| view! { <TypeItem settings=t choices=choices.clone() save archive /> }).collect_view()}
                            </ol>
                            <section class="card stack" aria-labelledby="new-type-title">
                                <h2 id="new-type-title">"Add a type"</h2>
                                <ActionForm action=save attr:class="form" attr:novalidate=true>
                                    <TypeFields settings=None choices prefix="new".into() />
                                    <button class="button button--primary" type="submit">"Add type"</button>
                                </ActionForm>
                            </section>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

fn names(refs: &[TypeRef]) -> String {
    if refs.is_empty() {
        "None".into()
    } else {
        refs.iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[component]
fn TypeItem(
    settings: TypeSettings,
    choices: TypeChoices,
    save: ServerAction<SaveIncidentType>,
    archive: ServerAction<ArchiveIncidentType>,
) -> impl IntoView {
    let t = settings.kind.clone();
    let severity = t
        .default_severity_id
        .and_then(|id| choices.severities.iter().find(|s| s.id == id))
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "Chosen when declaring".into());
    let roles = if t.required_roles.is_empty() {
        "None".to_owned()
    } else {
        t.required_roles
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (id, archived, is_default, name) = (t.id, t.archived, t.is_default, t.name.clone());
    let archive_label = format!("{} {name}", if archived { "Restore" } else { "Archive" });
    let (edit_label, save_label) = (format!("Edit {name}"), format!("Save {name}"));
    view! {
        <li class="card stack" data-type=name.clone()>
            <div class="section-header">
                <h2>{name.clone()}
                    {is_default.then(|| view! { <span class="badge">"Default"</span> })}
                    {archived.then(|| view! { <span class="badge">"Archived"</span> })}
                </h2>
                {(!is_default).then(|| view! {
                    <ActionForm action=archive attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <input type="hidden" name="archive" value=(!archived).to_string() />
                        <button class="button button--small button--quiet" type="submit">{archive_label}</button>
                    </ActionForm>
                })}
            </div>
            {(!t.description.is_empty()).then(|| view! { <p>{t.description.clone()}</p> })}
            <dl class="facts facts--compact">
                <div class="facts__item"><dt>"Default severity"</dt><dd>{severity}</dd></div>
                <div class="facts__item"><dt>"Roles before resolving"</dt><dd>{roles}</dd></div>
                <div class="facts__item"><dt>"Postmortem"</dt><dd>{if t.postmortem_required { "Required" } else { "As the severity says" }}</dd></div>
                <div class="facts__item"><dt>"Playbooks"</dt><dd>{names(&settings.playbooks)}</dd></div>
                <div class="facts__item"><dt>"Channels told"</dt><dd>{names(&settings.channels)}</dd></div>
                <div class="facts__item"><dt>"Custom fields"</dt><dd>{names(&settings.fields)}</dd></div>
                <div class="facts__item"><dt>"Incidents"</dt><dd>{settings.incidents}</dd></div>
            </dl>
            <details class="fields-edit">
                <summary>{edit_label}</summary>
                <ActionForm action=save attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="version" value=t.version.to_string() />
                    <TypeFields settings=Some(settings.clone()) choices prefix=format!("type-{id}") />
                    <button class="button button--primary button--small" type="submit">{save_label}</button>
                </ActionForm>
            </details>
        </li>
    }
}

/// The inputs of a type's form, pre-filled from `settings` (none: a new type).
#[component]
fn TypeFields(
    settings: Option<TypeSettings>,
    choices: TypeChoices,
    prefix: String,
) -> impl IntoView {
    let t = settings.as_ref().map(|s| s.kind.clone());
    let id = |f: &str| format!("{prefix}-{f}");
    let chosen = |list: fn(&TypeSettings) -> &Vec<TypeRef>, one: i64| {
        settings
            .as_ref()
            .is_some_and(|s| list(s).iter().any(|r| r.id == one))
    };
    let checkbox = |name: &'static str,
                    value: String,
                    label: String,
                    checked: bool,
                    box_id: String| {
        view! {
            <label class="checkbox" for=box_id.clone()>
                <input type="checkbox" id=box_id.clone() name=name value=value checked=checked />
                {label}
            </label>
        }
    };
    view! {
        <div class="field">
            <label class="field__label" for=id("name")>"Name"</label>
            <input class="field__input" id=id("name") name="form[name]" maxlength="80" required=true value=t.as_ref().map(|t| t.name.clone()) />
        </div>
        <div class="field">
            <label class="field__label" for=id("description")>"Description (shown when declaring)"</label>
            <TextArea id=id("description") name="form[description]" rows=2 value=t.as_ref().map(|t| t.description.clone()).unwrap_or_default() />
        </div>
        <div class="field">
            <label class="field__label" for=id("severity")>"Default severity"</label>
            <select class="field__input" id=id("severity") name="form[default_severity_id]">
                <option value="">"None: chosen when declaring"</option>
                {choices.severities.iter().map(|s| view! {
                    <option value=s.id.to_string() selected=t.as_ref().and_then(|t| t.default_severity_id) == Some(s.id)>{s.name.clone()}</option>
                }).collect_view()}
            </select>
        </div>
        <fieldset class="fieldset">
            <legend class="field__label">"Roles to fill before resolving"</legend>
            <div class="choice-row">
                {REQUIRABLE_ROLES.into_iter().map(|r| checkbox(
                    "form[roles][]",
                    r.as_str().into(),
                    r.label().into(),
                    t.as_ref().is_some_and(|t| t.required_roles.contains(&r)),
                    id(&format!("role-{}", r.as_str())),
                )).collect_view()}
            </div>
        </fieldset>
        <fieldset class="fieldset">
            <legend class="field__label">"Playbooks every incident of this type gets"</legend>
            <div class="choice-row">
                {if choices.playbooks.is_empty() {
                    view! { <p class="muted">"No playbooks yet."</p> }.into_any()
                } else {
                    choices.playbooks.iter().map(|p| checkbox(
                        "form[playbooks][]", p.id.to_string(), p.name.clone(),
                        chosen(|s| &s.playbooks, p.id), id(&format!("playbook-{}", p.id)),
                    )).collect_view().into_any()
                }}
            </div>
        </fieldset>
        <fieldset class="fieldset">
            <legend class="field__label">"Channels told about every incident of this type"</legend>
            <div class="choice-row">
                {if choices.channels.is_empty() {
                    view! { <p class="muted">"No notification channels yet."</p> }.into_any()
                } else {
                    choices.channels.iter().map(|c| checkbox(
                        "form[channels][]", c.id.to_string(), c.name.clone(),
                        chosen(|s| &s.channels, c.id), id(&format!("channel-{}", c.id)),
                    )).collect_view().into_any()
                }}
            </div>
        </fieldset>
        {checkbox("form[postmortem_required]", "on".into(), "Incidents of this type need a published postmortem before closing".into(),
            t.as_ref().is_some_and(|t| t.postmortem_required), id("postmortem"))}
        {checkbox("form[is_default]", "on".into(), "The default type (for declarations that choose none, and for alerts)".into(),
            t.as_ref().is_some_and(|t| t.is_default), id("default"))}
    }
}
