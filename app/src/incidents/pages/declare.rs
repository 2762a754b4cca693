use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{Field, FormAlert, TextArea, action_error};
use crate::incidents::server_fns::{DeclareIncident, get_incident_options};
use crate::layout::ErrorTemplate;

/// One short form: title, severity, services. Everything else can wait.
#[component]
pub fn DeclarePage() -> impl IntoView {
    let action = ServerAction::<DeclareIncident>::new();
    let options = Resource::new(|| (), |_| get_incident_options());
    let error = Signal::derive(move || action_error(action.value().get()));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
    Effect::new(move |_| {
        if let Some(Ok(path)) = action.value().get() {
            crate::accounts::pages::reload_to(&path);
        }
    });

    view! {
        <Title text="Declare an incident" />
        <section class="page page--narrow">
            <header class="page-header">
                <h1>"Declare an incident"</h1>
                <p class="page-header__lede">"Say what is wrong and where. You are the incident commander unless you choose someone else; the rest can be filled in as you go."</p>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        options.await.map(|options| {
                            let no_services = options.services.is_empty();
                            view! {
                                <ActionForm action=action attr:class="form card" attr:novalidate=true>
                                    <FormAlert error fields=&["title", "severity_id", "service_ids", "summary", "commander_id"] />
                                    <Field label="Title" name="title" required=true autofocus=true hint="What users see, in a few words: \"Checkout returns 502\"." error=field("title") />
                                    <fieldset class="fieldset" aria-describedby="severity-error">
                                        <legend class="field__label">"Severity"</legend>
                                        {options.severities.into_iter().enumerate().map(|(i, s)| {
                                            let id = format!("severity-{}", s.id);
                                            let label_for = id.clone();
                                            view! {
                                                <label class="choice" for=label_for>
                                                    <input type="radio" id=id name="severity_id" value=s.id.to_string() checked=i == 1 />
                                                    <span class="choice__title">{s.name}</span>
                                                    <span class="choice__hint">{s.description}</span>
                                                </label>
                                            }
                                        }).collect_view()}
                                        {move || field("severity_id").get().map(|m| view! { <p class="field__error" id="severity-error">{m}</p> })}
                                    </fieldset>
                                    <fieldset class="fieldset" aria-describedby="services-error">
                                        <legend class="field__label">"Affected services"</legend>
                                        {no_services.then(|| view! {
                                            <p class="field__hint">"No services exist yet. An admin adds them under Services."</p>
                                        })}
                                        <div class="checkbox-grid">
                                            {options.services.into_iter().map(|s| {
                                                let id = format!("service-{}", s.id);
                                                let label_for = id.clone();
                                                view! {
                                                    <label class="checkbox" for=label_for>
                                                        <input type="checkbox" id=id name="service_ids[]" value=s.id.to_string() />
                                                        {s.name}
                                                    </label>
                                                }
                                            }).collect_view()}
                                        </div>
                                        {move || field("service_ids").get().map(|m| view! { <p class="field__error" id="services-error">{m}</p> })}
                                    </fieldset>
                                    <div class="field" class:field--invalid=move || field("commander_id").get().is_some()>
                                        <label class="field__label" for="field-commander">"Incident commander"</label>
                                        <select class="field__input" id="field-commander" name="commander_id">
                                            {options.people.into_iter().map(|(id, name)| {
                                                let me = id == options.me;
                                                let label = if me { format!("{name} (me)") } else { name };
                                                view! { <option value=id.to_string() selected=me>{label}</option> }
                                            }).collect_view()}
                                        </select>
                                        {move || field("commander_id").get().map(|m| view! { <p class="field__error">{m}</p> })}
                                    </div>
                                    <div class="field">
                                        <label class="field__label" for="field-summary">"Summary (optional, Markdown)"</label>
                                        <TextArea id="field-summary" name="summary" rows=4 />
                                    </div>
                                    <label class="checkbox" for="field-customer-impact">
                                        <input type="checkbox" id="field-customer-impact" name="customer_impact" value="on" />
                                        "Customers are affected"
                                    </label>
                                    <button class="button button--primary" type="submit">"Declare incident"</button>
                                </ActionForm>
                            }
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
