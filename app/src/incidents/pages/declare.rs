use leptos::prelude::*;
use leptos_meta::Title;

use crate::choices::ChoiceKind;
use crate::choices::picker::PickerField;
use crate::components::{Field, FormAlert, TextArea, action_error};
use crate::incidents::server_fns::{DeclareIncident, get_incident_options};
use crate::layout::ErrorTemplate;

/// One short form: title, severity, services. Everything else can wait.
#[component]
pub fn DeclarePage() -> impl IntoView {
    let action = ServerAction::<DeclareIncident>::new();
    let options = Resource::new(|| (), |_| get_incident_options());
    let choices = Resource::new(|| (), |_| crate::fields::server_fns::declare_choices());
    // Opened from a change (`?change=12`): it is named as the suspected cause, and its
    // services are the first guess at the affected ones.
    let query = leptos_router::hooks::use_query_map();
    let change = Resource::new(
        move || {
            query
                .read()
                .get("change")
                .and_then(|c| c.parse::<i64>().ok())
        },
        |id| async move {
            match id {
                Some(id) => crate::changes::server_fns::get_change(id).await.ok(),
                None => None,
            }
        },
    );
    let error = Signal::derive(move || action_error(action.value().get()));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };

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
                        let change = change.await;
                        let services = change
                            .as_ref()
                            .map(|c| c.services.iter().map(|s| s.slug.clone()).collect::<Vec<_>>().join(", "))
                            .unwrap_or_default();
                        let (types, declare_fields) = choices.await?;
                        // A field needed for some types only says which.
                        let declare_fields: Vec<_> = declare_fields
                            .into_iter()
                            .map(|mut f| {
                                if !f.types.is_empty() {
                                    let of = f.types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
                                    f.description = format!("For {of} incidents. {}", f.description).trim().to_owned();
                                }
                                f
                            })
                            .collect();
                        options.await.map(|options| {
                            // "Security: SEV1 · Customer-facing outage: SEV2", for the types that have one.
                            let name_of = |id: i64| options.severities.iter().find(|s| s.id == id).map(|s| s.name.clone());
                            let typed: Vec<String> = types
                                .iter()
                                .filter_map(|t| Some(format!("{}: {}", t.name, name_of(t.default_severity_id?)?)))
                                .collect();
                            let by_type = !typed.is_empty();
                            let all_typed = types.iter().all(|t| t.default_severity_id.is_some());
                            let type_defaults = typed.join(" · ");
                            view! {
                                <ActionForm action=action attr:class="form card" attr:novalidate=true>
                                    <FormAlert error fields=&["title", "severity_id", "type_id", "service_ids", "summary", "commander_id", "suspected_change"] />
                                    {change.map(|c| view! {
                                        <div class="alert stack" data-testid="suspected-change">
                                            <p>"Suspected cause: " <strong>{format!("{} “{}”", c.kind.label(), c.title)}</strong>
                                                {c.version.map(|v| view! { " " <code>{v}</code> })}</p>
                                            <input type="hidden" name="form[suspected_change]" value=c.id.to_string() />
                                        </div>
                                    })}
                                    <Field label="Title" name="form[title]" required=true autofocus=true hint="What users see, in a few words: \"Checkout returns 502\"." error=field("title") />
                                    {(types.len() > 1).then(|| view! {
                                        <div class="field" class:field--invalid=move || field("type_id").get().is_some()>
                                            <label class="field__label" for="field-type">"Type"</label>
                                            <p class="field__hint" id="field-type-hint">"It decides the playbooks attached, the roles to fill before resolving and the fields asked for."</p>
                                            <select class="field__input" id="field-type" name="form[type_id]" aria-describedby="field-type-hint">
                                                {types.iter().map(|t| view! {
                                                    <option value=t.id.to_string() selected=t.is_default>
                                                        {if t.description.is_empty() { t.name.clone() } else { format!("{}: {}", t.name, t.description) }}
                                                    </option>
                                                }).collect_view()}
                                            </select>
                                            {move || field("type_id").get().map(|m| view! { <p class="field__error">{m}</p> })}
                                        </div>
                                    })}
                                    <fieldset class="fieldset" aria-describedby="severity-error">
                                        <legend class="field__label">"Severity"</legend>
                                        // A type's default severity is one choice (checked when every type has
                                        // one): the form names no severity and the type's applies.
                                        {by_type.then(|| view! {
                                            <label class="choice" for="severity-type-default">
                                                <input type="radio" id="severity-type-default" name="form[severity_id]" value="" checked=all_typed />
                                                <span class="choice__title">"The type's default"</span>
                                                <span class="choice__hint">{type_defaults.clone()}</span>
                                            </label>
                                        })}
                                        {options.severities.into_iter().enumerate().map(|(i, s)| {
                                            let id = format!("severity-{}", s.id);
                                            let label_for = id.clone();
                                            view! {
                                                <label class="choice" for=label_for>
                                                    <input type="radio" id=id name="form[severity_id]" value=s.id.to_string() checked=i == 1 && !all_typed />
                                                    <span class="choice__title">{s.name}</span>
                                                    <span class="choice__hint">{s.description}</span>
                                                </label>
                                            }
                                        }).collect_view()}
                                        {move || field("severity_id").get().map(|m| view! { <p class="field__error" id="severity-error">{m}</p> })}
                                    </fieldset>
                                    <PickerField
                                        kind=ChoiceKind::Services
                                        id="field-services"
                                        name="form[services]"
                                        label="Affected services"
                                        hint="Type to search; separate several with commas. A service's name or slug both work."
                                        multiple=true
                                        value=services
                                        placeholder="checkout, payments"
                                        error=field("service_ids")
                                    />
                                    <PickerField
                                        kind=ChoiceKind::People
                                        id="field-commander"
                                        name="form[commander]"
                                        label="Incident commander"
                                        hint="You, unless you name someone else."
                                        placeholder="Me"
                                        error=field("commander_id")
                                    />
                                    <crate::fields::pages::FieldInputs defs=declare_fields prefix="form[fields]" error />
                                    <div class="field">
                                        <label class="field__label" for="field-summary">"Summary (optional, Markdown)"</label>
                                        <TextArea id="field-summary" name="form[summary]" rows=4 />
                                    </div>
                                    <label class="checkbox" for="field-customer-impact">
                                        <input type="checkbox" id="field-customer-impact" name="form[customer_impact]" value="on" />
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
