//! Responders announce planned maintenance for the status page: the window, the
//! components it touches, what customers may notice, and whether it counts against the
//! services' SLOs. Everyone signed in can read the list.

use leptos::prelude::*;
use leptos_meta::Title;

use super::incident_card::ComponentChecks;
use super::server_fns::{
    EditMaintenance, FinishMaintenance, MaintenanceBoard, ScheduleMaintenance,
    get_maintenance_board,
};
use super::{ComponentView, Maintenance, MaintenancePhase};
use crate::components::{FormAlert, TextArea, action_error};
use crate::error::AppError;
use crate::layout::ErrorTemplate;
use crate::time::{Time, ViewerZone, ZoneNote};

const FIELDS: &[&str] = &["title", "body", "starts_at", "ends_at", "components"];

#[component]
pub fn MaintenancePage() -> impl IntoView {
    let schedule = ServerAction::<ScheduleMaintenance>::new();
    let edit = ServerAction::<EditMaintenance>::new();
    let finish = ServerAction::<FinishMaintenance>::new();
    // A window's field errors come keyed to it (`AppError::for_item`) and show in its
    // form; the rest (a conflict, a window already over) above the list.
    let list_error = Signal::derive(move || {
        action_error(finish.value().get()).or_else(|| action_error(edit.value().get()))
    });
    let data = Resource::new(|| (), |_| get_maintenance_board());
    view! {
        <Title text="Maintenance" />
        <section class="page">
            <header class="page-header">
                <h1>"Maintenance"</h1>
                <p class="page-header__lede">"Planned work, announced on the status page before it starts. While a window is in progress its components show “Under maintenance”; when it counts against the SLOs, its time is downtime on the reliability pages and the status page's uptime alike."</p>
                <ZoneNote />
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let MaintenanceBoard { can_write, enabled, components, list } = data.await?;
                        let (ahead, past): (Vec<Maintenance>, Vec<Maintenance>) = list.into_iter().partition(|m| {
                            matches!(m.phase, MaintenancePhase::Scheduled | MaintenancePhase::InProgress)
                        });
                        let rows = {
                            let components = components.clone();
                            move |list: Vec<Maintenance>| list.into_iter().map(|m| view! {
                                <MaintenanceRow maintenance=m components=components.clone() can_write edit finish />
                            }).collect_view()
                        };
                        Ok::<_, AppError>(view! {
                            {(!enabled).then(|| view! {
                                <p class="alert alert--warning" role="note">"The status page is switched off: customers see these windows once an admin switches it on. They count against the SLOs as chosen either way."</p>
                            })}
                            {can_write.then(|| view! { <ScheduleCard components=components.clone() schedule /> })}
                            <section class="card stack" aria-labelledby="maintenance-ahead-title">
                                <h2 id="maintenance-ahead-title">"Upcoming and in progress"</h2>
                                <FormAlert error=list_error fields=&[] />
                                {if ahead.is_empty() {
                                    view! { <p class="empty-note">"Nothing planned."</p> }.into_any()
                                } else {
                                    view! { <ul class="plain-list maintenance-list">{rows(ahead)}</ul> }.into_any()
                                }}
                            </section>
                            {(!past.is_empty()).then(|| view! {
                                <section class="card stack" aria-labelledby="maintenance-past-title">
                                    <h2 id="maintenance-past-title">"Past"</h2>
                                    <ul class="plain-list maintenance-list">{rows(past)}</ul>
                                </section>
                            })}
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

#[component]
fn ScheduleCard(
    components: Vec<ComponentView>,
    schedule: ServerAction<ScheduleMaintenance>,
) -> impl IntoView {
    let error = Signal::derive(move || action_error(schedule.value().get()));
    view! {
        <section class="card stack" aria-labelledby="maintenance-new-title">
            <h2 id="maintenance-new-title">"Schedule maintenance"</h2>
            <ActionForm action=schedule attr:class="form" attr:novalidate=true>
                <FormAlert error fields=FIELDS />
                <MaintenanceFields prefix="new".into() maintenance=None components error />
                <button class="button button--primary" type="submit">"Schedule"</button>
            </ActionForm>
        </section>
    }
}

/// One window: what customers read, and for responders its edit form and its end.
#[component]
fn MaintenanceRow(
    maintenance: Maintenance,
    components: Vec<ComponentView>,
    can_write: bool,
    edit: ServerAction<EditMaintenance>,
    finish: ServerAction<FinishMaintenance>,
) -> impl IntoView {
    let id = maintenance.id;
    let open = matches!(
        maintenance.phase,
        MaintenancePhase::Scheduled | MaintenancePhase::InProgress
    );
    let error = Signal::derive(move || action_error(edit.value().get())?.of_item(id));
    let (finish_label, finish_hint) = if maintenance.phase == MaintenancePhase::InProgress {
        ("End now", "The components are operational again from now.")
    } else {
        ("Call off", "Customers see it was called off.")
    };
    let phase = maintenance.phase;
    let version = maintenance.version.to_string();
    let finish_version = version.clone();
    let form_copy = maintenance.clone();
    let names = maintenance
        .components
        .iter()
        .map(|c| c.1.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <li class="maintenance stack" id=format!("maintenance-{id}") data-testid="maintenance" data-phase=phase.as_str()>
            <div class="maintenance__head">
                <h3><a href=format!("/status/maintenance/{id}")>{maintenance.title.clone()}</a></h3>
                <span class=format!("status status--{}", phase.as_str())>{phase.label()}</span>
            </div>
            <p class="muted">
                <Time at=maintenance.starts_at />" to "<Time at=maintenance.end() />
                {(!names.is_empty()).then(|| format!(" · {names}"))}
                {maintenance.counts_against_slo.then_some(" · counts against the SLOs")}
            </p>
            <div class="prose" inner_html=maintenance.body_html.clone()></div>
            {(can_write && open).then(move || view! {
                <details class="maintenance__edit" open=move || error.get().is_some()>
                    <summary>"Edit"</summary>
                    <ActionForm action=edit attr:class="form" attr:novalidate=true>
                        <FormAlert error fields=FIELDS />
                        <input type="hidden" name="id" value=id.to_string() />
                        <input type="hidden" name="form[version]" value=version />
                        <MaintenanceFields prefix=format!("m{id}") maintenance=Some(form_copy) components error />
                        <button class="button button--primary" type="submit">"Save"</button>
                    </ActionForm>
                </details>
                <ActionForm action=finish attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="version" value=finish_version />
                    <button class="button button--small" type="submit" title=finish_hint>{finish_label}</button>
                </ActionForm>
            })}
        </li>
    }
}

/// The form's fields, empty or filled from `maintenance`; ids start with `prefix` so
/// several forms share a page.
#[component]
fn MaintenanceFields(
    prefix: String,
    maintenance: Option<Maintenance>,
    components: Vec<ComponentView>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let field =
        move |n: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(n)));
    let zone = ViewerZone::current();
    let id = move |what: &str| format!("{prefix}-{what}");
    let m = maintenance.as_ref();
    let title = m.map(|m| m.title.clone()).unwrap_or_default();
    let body = m.map(|m| m.body.clone()).unwrap_or_default();
    let starts = m.map(|m| zone.input_value(m.starts_at)).unwrap_or_default();
    let ends = m.map(|m| zone.input_value(m.ends_at)).unwrap_or_default();
    let counts = m.is_some_and(|m| m.counts_against_slo);
    let chosen: Vec<i64> = m
        .map(|m| m.components.iter().map(|c| c.0).collect())
        .unwrap_or_default();
    let text = {
        let id = id.clone();
        move |what: &'static str, label: &'static str, kind: &'static str, value: String| {
            let input = id(what);
            let error_id = format!("{input}-error");
            view! {
                <div class="field" class:field--invalid=move || field(what).get().is_some()>
                    <label class="field__label" for=input.clone()>{label}</label>
                    <input class="field__input" id=input type=kind name=format!("form[{what}]") value=value
                        aria-describedby={let e = error_id.clone(); move || field(what).get().map(|_| e.clone())} />
                    {move || field(what).get().map(|message| view! { <p class="field__error" id=error_id.clone()>{message}</p> })}
                </div>
            }
        }
    };
    let body_id = id("body");
    let body_hint = format!("{body_id}-hint");
    let body_error = format!("{body_id}-error");
    let counts_id = id("counts");
    view! {
        {text("title", "Title", "text", title)}
        <div class="form-row">
            {text("starts_at", "Starts", "datetime-local", starts)}
            {text("ends_at", "Ends", "datetime-local", ends)}
        </div>
        <ComponentChecks legend="Components" id_prefix=id("component") components chosen error=field("components") />
        <div class="field" class:field--invalid=move || field("body").get().is_some()>
            <label class="field__label" for=body_id.clone()>"What customers may notice"</label>
            <p class="field__hint" id=body_hint.clone()>"Public once saved. Markdown."</p>
            <TextArea id=body_id name="form[body]" rows=3 value=body describedby=format!("{body_hint} {body_error}") />
            {move || field("body").get().map(|m| view! { <p class="field__error" id=body_error.clone()>{m}</p> })}
        </div>
        <label class="checkbox" for=counts_id.clone()>
            <input type="checkbox" id=counts_id.clone() name="form[counts_against_slo]" value="on" checked=counts />
            "Counts against the SLOs (its time is downtime for the services it touches)"
        </label>
    }
}
