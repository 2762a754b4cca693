use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{FormAlert, TextArea, action_error};
use crate::error::AppError;
use crate::fields::server_fns::{ArchiveCustomField, SaveCustomField, admin_custom_fields};
use crate::fields::{FieldDef, FieldKind, Stage, TypeRef};
use crate::layout::ErrorTemplate;

/// Admins define custom fields: what each holds, the incident types it is asked for, and
/// from which step it must be filled.
#[component]
pub fn FieldsAdminPage() -> impl IntoView {
    let save = ServerAction::<SaveCustomField>::new();
    let archive = ServerAction::<ArchiveCustomField>::new();
    let data = Resource::new(|| (), |_| admin_custom_fields());
    let error = Signal::derive(move || {
        action_error(save.value().get()).or_else(|| action_error(archive.value().get()))
    });
    view! {
        <Title text="Custom fields" />
        <section class="page page--narrow">
            <header class="page-header">
                <h1>"Custom fields"</h1>
                <p class="page-header__lede">"What your teams want recorded about incidents beyond the built-in facts. Each shows on the incident and in its postmortem's facts, and the incident list filters by it."</p>
            </header>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let (fields, types) = data.await?;
                        let types: Vec<TypeRef> = types.into_iter().map(|t| TypeRef { id: t.id, name: t.name }).collect();
                        Ok::<_, AppError>(view! {
                            <FormAlert error fields=&[] />
                            {fields.is_empty().then(|| view! { <p class="muted">"No custom fields yet."</p> })}
                            <ol class="settings-list">
                                {fields.into_iter().map(|f| view! { <FieldItem def=f types=types.clone() save archive /> }).collect_view()}
                            </ol>
                            <section class="card stack" aria-labelledby="new-field-title">
                                <h2 id="new-field-title">"Add a field"</h2>
                                <ActionForm action=save attr:class="form" attr:novalidate=true>
                                    <DefinitionInputs def=None types prefix="new".into() />
                                    <button class="button button--primary" type="submit">"Add field"</button>
                                </ActionForm>
                            </section>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn FieldItem(
    def: FieldDef,
    types: Vec<TypeRef>,
    save: ServerAction<SaveCustomField>,
    archive: ServerAction<ArchiveCustomField>,
) -> impl IntoView {
    let (id, label, archived) = (def.id, def.label.clone(), def.archived);
    let archive_label = format!("{} {label}", if archived { "Restore" } else { "Archive" });
    let (edit_label, save_label) = (format!("Edit {label}"), format!("Save {label}"));
    let asked = if def.types.is_empty() {
        "Every type".to_owned()
    } else {
        def.types
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <li class="card stack" data-field=label.clone()>
            <div class="section-header">
                <h2>{label.clone()}" " {archived.then(|| view! { <span class="badge">"Archived"</span> })}</h2>
                <ActionForm action=archive attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="archive" value=(!archived).to_string() />
                    <button class="button button--small button--quiet" type="submit">
                        {archive_label}
                    </button>
                </ActionForm>
            </div>
            <dl class="facts facts--compact">
                <div class="facts__item"><dt>"Holds"</dt><dd>{def.kind.label()}</dd></div>
                <div class="facts__item"><dt>"Needed"</dt><dd>{def.required_at.label()}</dd></div>
                <div class="facts__item"><dt>"Asked for"</dt><dd>{asked}</dd></div>
                {(!def.options.is_empty()).then(|| view! {
                    <div class="facts__item"><dt>"Choices"</dt><dd>{def.options.join(", ")}</dd></div>
                })}
            </dl>
            <details class="fields-edit">
                <summary>{edit_label}</summary>
                <ActionForm action=save attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="version" value=def.version.to_string() />
                    <DefinitionInputs def=Some(def.clone()) types prefix=format!("field-{id}") />
                    <button class="button button--primary button--small" type="submit">{save_label}</button>
                </ActionForm>
            </details>
        </li>
    }
}

/// The inputs of a field's definition, pre-filled from `def` (none: a new field).
#[component]
fn DefinitionInputs(def: Option<FieldDef>, types: Vec<TypeRef>, prefix: String) -> impl IntoView {
    let id = |f: &str| format!("{prefix}-{f}");
    let kind = def.as_ref().map(|d| d.kind).unwrap_or(FieldKind::Text);
    let stage = def.as_ref().map(|d| d.required_at).unwrap_or(Stage::Never);
    view! {
        <div class="field">
            <label class="field__label" for=id("label")>"Label"</label>
            <input class="field__input" id=id("label") name="form[label]" maxlength="80" required=true value=def.as_ref().map(|d| d.label.clone()) />
        </div>
        <div class="field">
            <label class="field__label" for=id("description")>"Help (shown under the field)"</label>
            <TextArea id=id("description") name="form[description]" rows=2 value=def.as_ref().map(|d| d.description.clone()).unwrap_or_default() />
        </div>
        <div class="field">
            <label class="field__label" for=id("kind")>"Holds"</label>
            <select class="field__input" id=id("kind") name="form[kind]">
                {FieldKind::ALL.into_iter().map(|k| view! {
                    <option value=k.as_str() selected=k == kind>{k.label()}</option>
                }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label class="field__label" for=id("options")>"Choices of a select, one a line"</label>
            <TextArea id=id("options") name="form[options]" rows=4 value=def.as_ref().map(|d| d.options.join("\n")).unwrap_or_default() />
        </div>
        <div class="field">
            <label class="field__label" for=id("required")>"Needed"</label>
            <select class="field__input" id=id("required") name="form[required_at]">
                {Stage::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=s == stage>{s.label()}</option>
                }).collect_view()}
            </select>
        </div>
        <fieldset class="fieldset">
            <legend class="field__label">"Asked for these types (none ticked: every type)"</legend>
            <div class="choice-row">
                {types.into_iter().map(|t| {
                    let box_id = id(&format!("type-{}", t.id));
                    let checked = def.as_ref().is_some_and(|d| d.types.iter().any(|x| x.id == t.id));
                    view! {
                        <label class="checkbox" for=box_id.clone()>
                            <input type="checkbox" id=box_id.clone() name="form[types][]" value=t.id.to_string() checked=checked />
                            {t.name}
                        </label>
                    }
                }).collect_view()}
            </div>
        </fieldset>
    }
}
