use leptos::prelude::*;

use super::FieldInputs;
use crate::components::{FormAlert, action_error};
use crate::fields::server_fns::UpdateIncidentFields;
use crate::fields::{FieldKind, IncidentFields};
use crate::incidents::types::IncidentTypeView;

/// The incident's type and custom fields, and (for responders) a form to change them:
/// a new type brings its playbooks; a field the incident's status needs cannot be emptied.
#[component]
pub fn IncidentFieldsCard(
    fields: IncidentFields,
    types: Vec<IncidentTypeView>,
    can_write: bool,
) -> impl IntoView {
    let action = ServerAction::<UpdateIncidentFields>::new();
    let error = Signal::derive(move || action_error(action.value().get()));
    let failed = move || error.get().is_some();
    let values: Vec<(i64, Vec<String>)> = fields
        .entries
        .iter()
        .map(|e| {
            let shown = e
                .values
                .iter()
                .map(|v| {
                    if e.field.kind == FieldKind::Person {
                        v.text.clone()
                    } else {
                        v.value.clone()
                    }
                })
                .collect();
            (e.field.id, shown)
        })
        .collect();
    let defs: Vec<_> = fields.entries.iter().map(|e| e.field.clone()).collect();
    let type_id = fields.incident_type.id;
    let reference = fields.reference.to_string();
    view! {
        <section class="card stack" id="fields" aria-labelledby="fields-title">
            <h2 class="card__title" id="fields-title">"Type and fields"</h2>
            <dl class="facts facts--compact">
                <div class="facts__item"><dt>"Type"</dt><dd data-testid="incident-type">{fields.incident_type.name.clone()}</dd></div>
                {fields.entries.iter().map(|e| {
                    let shown = if e.values.is_empty() {
                        view! { <span class="muted">"Not set"</span> }.into_any()
                    } else if e.field.kind == FieldKind::Link {
                        e.values.iter().map(|v| {
                            let href = crate::text::is_web_link(&v.value).then(|| v.value.clone());
                            view! { <a href=href rel="noopener noreferrer">{v.text.clone()}</a> }
                        }).collect_view().into_any()
                    } else {
                        e.values.iter().map(|v| v.text.clone()).collect::<Vec<_>>().join(", ").into_any()
                    };
                    view! { <div class="facts__item"><dt>{e.field.label.clone()}</dt><dd>{shown}</dd></div> }
                }).collect_view()}
            </dl>
            {can_write.then(|| view! {
                <details class="fields-edit" open=failed>
                    <summary>"Change type or fields"</summary>
                    <ActionForm action attr:class="form" attr:novalidate=true>
                        <FormAlert error fields=&[] />
                        <input type="hidden" name="reference" value=reference.clone() />
                        <input type="hidden" name="version" value=fields.version.to_string() />
                        <div class="field">
                            <label class="field__label" for="incident-type">"Type"</label>
                            <select class="field__input" id="incident-type" name="type_id">
                                {types.iter().map(|t| view! {
                                    <option value=t.id.to_string() selected=t.id == type_id>{t.name.clone()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <FieldInputs defs values prefix="fields" error />
                        <button class="button button--primary button--small" type="submit">"Save type and fields"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}
