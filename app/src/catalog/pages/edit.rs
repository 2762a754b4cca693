use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::catalog::form::{ServiceForm, form_of};
use crate::catalog::server_fns::{
    ArchiveService, CreateService, DeleteService, UpdateService, get_service,
};
use crate::components::{Field, FormAlert, TextArea, action_error};
use crate::error::AppError;
use crate::incidents::SeverityView;
use crate::incidents::server_fns::get_incident_options;
use crate::layout::ErrorTemplate;

const FIELDS: &[&str] = &[
    "name",
    "description",
    "owner_team",
    "tier",
    "slo_target",
    "slo_window_days",
    "failure_severity_position",
    "runbooks",
];

/// The service fields, pre-filled from `initial`, each with its own error.
#[component]
fn ServiceFields(
    initial: ServiceForm,
    severities: Vec<SeverityView>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
    let area_error = move |name: &'static str| {
        move || {
            field(name)
                .get()
                .map(|m| view! { <p class="field__error" id=format!("field-{name}-error")>{m}</p> })
        }
    };
    let tier = initial.tier.clone();
    let window = initial.slo_window_days.clone();
    let rule = initial.failure_severity_position.clone();
    view! {
        <FormAlert error fields=FIELDS />
        <Field label="Name" name="form[name]" required=true value=initial.name.clone() error=field("name") />
        <Field label="Owner team" name="form[owner_team]" value=initial.owner_team.clone() error=field("owner_team") />
        <div class="field" class:field--invalid=move || field("tier").get().is_some()>
            <label class="field__label" for="field-tier">"Tier"</label>
            <select class="field__input" id="field-tier" name="form[tier]">
                {[(1, "Tier 1: critical, customer-facing"), (2, "Tier 2: important"), (3, "Tier 3: internal or best effort")].into_iter().map(|(t, label)| view! {
                    <option value=t.to_string() selected=tier == t.to_string() || (tier.is_empty() && t == 2)>{label}</option>
                }).collect_view()}
            </select>
            {area_error("tier")}
        </div>
        <div class="field" class:field--invalid=move || field("description").get().is_some()>
            <label class="field__label" for="field-description">"Description (Markdown)"</label>
            <TextArea id="field-description" name="form[description]" rows=4 value=initial.description.clone() />
            {area_error("description")}
        </div>
        <div class="field" class:field--invalid=move || field("runbooks").get().is_some()>
            <label class="field__label" for="field-runbooks">"Runbooks"</label>
            <p class="field__hint" id="field-runbooks-hint">"One a line: Title | https://… (or just the link). Shown on every incident that affects this service."</p>
            <TextArea class="field__input field__input--mono" id="field-runbooks" name="form[runbooks]" rows=4 describedby="field-runbooks-hint" value=initial.runbooks.clone() />
            {area_error("runbooks")}
        </div>
        <fieldset class="fieldset">
            <legend class="field__label">"Reliability target"</legend>
            <Field label="Availability SLO (%)" name="form[slo_target]" value=initial.slo_target.clone() hint="For example 99.9; leave empty for no SLO." error=field("slo_target") />
            <div class="field" class:field--invalid=move || field("slo_window_days").get().is_some()>
                <label class="field__label" for="field-slo_window_days">"SLO window"</label>
                <select class="field__input" id="field-slo_window_days" name="form[slo_window_days]">
                    <option value="30" selected=window != "28">"Rolling 30 days"</option>
                    <option value="28" selected=window == "28">"Rolling 28 days"</option>
                </select>
                {area_error("slo_window_days")}
            </div>
            <div class="field" class:field--invalid=move || field("failure_severity_position").get().is_some()>
                <label class="field__label" for="field-failure_severity_position">"Failures are"</label>
                <select class="field__input" id="field-failure_severity_position" name="form[failure_severity_position]">
                    <option value="" selected=rule.is_empty()>"Incidents of every severity"</option>
                    {severities.into_iter().map(|s| {
                        let label = if s.position == 1 { format!("Only {}", s.name) } else { format!("{} or worse", s.name) };
                        view! { <option value=s.position.to_string() selected=rule == s.position.to_string()>{label}</option> }
                    }).collect_view()}
                </select>
                {area_error("failure_severity_position")}
            </div>
        </fieldset>
    }
}

/// Admins add a service.
#[component]
pub fn NewServicePage() -> impl IntoView {
    let action = ServerAction::<CreateService>::new();
    let options = Resource::new(|| (), |_| get_incident_options());
    let error = Signal::derive(move || action_error(action.value().get()));
    view! {
        <Title text="Add a service" />
        <section class="page page--narrow">
            <header class="page-header">
                <p class="page-header__eyebrow"><A href="/services">"Services"</A></p>
                <h1>"Add a service"</h1>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        options.await.map(|o| view! {
                            <ActionForm action attr:class="form card" attr:novalidate=true>
                                <ServiceFields initial=ServiceForm::default() severities=o.severities error />
                                <button class="button button--primary" type="submit">"Add service"</button>
                            </ActionForm>
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

/// Admins edit, archive, restore or delete a service.
#[component]
pub fn EditServicePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let update = ServerAction::<UpdateService>::new();
    let archive = ServerAction::<ArchiveService>::new();
    let delete = ServerAction::<DeleteService>::new();
    let service = Resource::new(slug, get_service);
    let options = Resource::new(|| (), |_| get_incident_options());
    let error = Signal::derive(move || action_error(update.value().get()));
    let other_error = Signal::derive(move || {
        action_error(archive.value().get()).or_else(|| action_error(delete.value().get()))
    });
    view! {
        <Suspense fallback=|| view! { <section class="page page--narrow"><p class="muted">"Loading…"</p></section> }>
            <ErrorBoundary fallback=|errors| view! { <section class="page page--narrow"><ErrorTemplate errors /></section> }>
                {move || Suspend::new(async move {
                    let s = service.await?;
                    let o = options.await?;
                    let title = format!("Edit {}", s.name);
                    let initial = form_of(&s);
                    Ok::<_, AppError>(view! {
                        <Title text=title.clone() />
                        <section class="page page--narrow">
                            <header class="page-header">
                                <p class="page-header__eyebrow"><A href=format!("/services/{}", s.slug)>{s.name.clone()}</A></p>
                                <h1>{title}</h1>
                            </header>
                            <ActionForm action=update attr:class="form card" attr:novalidate=true>
                                <input type="hidden" name="id" value=s.id.to_string() />
                                <input type="hidden" name="version" value=s.version.to_string() />
                                <ServiceFields initial severities=o.severities error />
                                <button class="button button--primary" type="submit">"Save"</button>
                            </ActionForm>
                            <section class="card stack" aria-labelledby="lifecycle-title">
                                <h2 id="lifecycle-title">{if s.archived { "Archived" } else { "Archive or delete" }}</h2>
                                <FormAlert error=other_error fields=&[] />
                                <p class="muted">{if s.archived {
                                    "Archived services keep their incidents and numbers but are not offered for new incidents."
                                } else {
                                    "Archive a service you no longer run: its incidents and numbers stay. Only a service no incident ever affected can be deleted."
                                }}</p>
                                <div class="button-row">
                                    <ActionForm action=archive>
                                        <input type="hidden" name="id" value=s.id.to_string() />
                                        <input type="hidden" name="slug" value=s.slug.clone() />
                                        <input type="hidden" name="archive" value=(!s.archived).to_string() />
                                        <button class="button" type="submit">{if s.archived { "Restore service" } else { "Archive service" }}</button>
                                    </ActionForm>
                                    <ActionForm action=delete>
                                        <input type="hidden" name="id" value=s.id.to_string() />
                                        <button class="button button--danger" type="submit">"Delete service"</button>
                                    </ActionForm>
                                </div>
                            </section>
                        </section>
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}
