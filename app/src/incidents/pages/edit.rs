//! Correcting an incident's details and times, on its page.

use leptos::prelude::*;

use crate::choices::ChoiceKind;
use crate::choices::picker::PickerField;
use crate::components::{FormAlert, TextArea, action_error};
use crate::incidents::server_fns::UpdateIncidentDetails;
use crate::incidents::timestamps::FIELDS;

#[component]
pub(super) fn EditDetails(
    action: ServerAction<UpdateIncidentDetails>,
    incident: crate::incidents::IncidentView,
) -> impl IntoView {
    let error = Signal::derive(move || action_error(action.value().get()));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
    let open = move || error.get().is_some();
    let chosen: Vec<&str> = incident.services.iter().map(|s| s.slug.as_str()).collect();
    let chosen = chosen.join(", ");
    let times = incident.times.clone();
    let zone = crate::time::ViewerZone::current();
    let mut error_fields = vec!["title", "service_ids"];
    error_fields.extend(FIELDS.iter().map(|(f, _)| *f));
    let error_fields: &'static [&'static str] = error_fields.leak();
    view! {
        <details class="card edit-details" open=open>
            <summary class="edit-details__summary">"Edit details and times"</summary>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="reference" value=incident.reference.to_string() />
                <input type="hidden" name="version" value=incident.version.to_string() />
                <FormAlert error fields=error_fields />
                <div class="field">
                    <label class="field__label" for="edit-title">"Title"</label>
                    <input class="field__input" id="edit-title" name="form[title]" value=incident.title.clone() />
                    {move || field("title").get().map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <div class="field">
                    <label class="field__label" for="edit-summary">"Summary (Markdown)"</label>
                    <TextArea id="edit-summary" name="form[summary]" rows=4 value=incident.summary.clone() />
                </div>
                <label class="checkbox" for="edit-impact">
                    <input type="checkbox" id="edit-impact" name="form[customer_impact]" value="on" checked=incident.customer_impact />
                    "Customers are affected"
                </label>
                <PickerField
                    kind=ChoiceKind::Services
                    id="edit-services"
                    name="form[services]"
                    label="Affected services"
                    hint="Separate several with commas; type to search."
                    multiple=true
                    value=chosen
                    error=field("service_ids")
                />
                <fieldset class="fieldset">
                    <legend class="field__label">{format!("Times ({})", zone.name())}</legend>
                    <div class="times-grid">
                        {FIELDS.into_iter().map(|(name, label)| {
                            let id = format!("edit-{name}");
                            let label_for = id.clone();
                            let value = times.get(name).map(|t| zone.input_value(t)).unwrap_or_default();
                            view! {
                                <div class="field">
                                    <label class="field__label" for=label_for>{label}</label>
                                    <input class="field__input" id=id type="datetime-local" name=format!("form[{name}]") value=value />
                                    {move || field(name).get().map(|m| view! { <p class="field__error">{m}</p> })}
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
                <button class="button button--primary" type="submit">"Save details"</button>
            </ActionForm>
        </details>
    }
}
