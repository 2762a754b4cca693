use leptos::prelude::*;

use crate::error::AppError;
use crate::fields::value::key;
use crate::fields::{FieldDef, FieldKind, Stage};

/// One input per field, named `{prefix}[field_<id>][]`, pre-filled with `values` (by
/// field id), each with its error. A multi-select also sends an empty value, so
/// unticking every box clears it.
#[component]
pub fn FieldInputs(
    defs: Vec<FieldDef>,
    #[prop(optional)] values: Vec<(i64, Vec<String>)>,
    prefix: &'static str,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    defs.into_iter()
        .map(|def| {
            let current = values
                .iter()
                .find(|(id, _)| *id == def.id)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let first = current.first().cloned().unwrap_or_default();
            let field_key = key(def.id);
            let name = format!("{prefix}[{field_key}][]");
            let id = format!("custom-{field_key}");
            let error_id = format!("{id}-error");
            let message = {
                let field_key = field_key.clone();
                Signal::derive(move || error.get().and_then(|e| e.field_message(&field_key)))
            };
            let label = match def.required_at {
                Stage::Never => def.label.clone(),
                stage => format!("{} (needed {})", def.label, stage.phrase()),
            };
            let hint = (!def.description.is_empty()).then(|| {
                view! { <p class="field__hint">{def.description.clone()}</p> }
            });
            let input = match def.kind {
                FieldKind::Select => view! {
                    <select class="field__input" id=id.clone() name=name.clone() aria-describedby=error_id.clone()>
                        <option value="">"Not set"</option>
                        {def.options.iter().map(|o| view! {
                            <option value=o.clone() selected=*o == first>{o.clone()}</option>
                        }).collect_view()}
                    </select>
                }
                .into_any(),
                FieldKind::MultiSelect => view! {
                    <div class="choice-row" role="group" aria-labelledby=format!("{id}-label")>
                        <input type="hidden" name=name.clone() value="" />
                        {def.options.iter().enumerate().map(|(i, o)| {
                            let box_id = format!("{id}-{i}");
                            view! {
                                <label class="checkbox" for=box_id.clone()>
                                    <input type="checkbox" id=box_id.clone() name=name.clone() value=o.clone() checked=current.contains(o) />
                                    {o.clone()}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                }
                .into_any(),
                kind => {
                    let (input_type, mode, placeholder) = match kind {
                        FieldKind::Number => ("text", Some("decimal"), ""),
                        FieldKind::Link => ("url", None, "https://"),
                        FieldKind::Person => ("text", None, "A name or an email"),
                        _ => ("text", None, ""),
                    };
                    view! {
                        <input class="field__input" type=input_type inputmode=mode id=id.clone() name=name.clone()
                            value=first.clone() placeholder=placeholder aria-describedby=error_id.clone() />
                    }
                    .into_any()
                }
            };
            let label_view = if def.kind == FieldKind::MultiSelect {
                view! { <span class="field__label" id=format!("{id}-label")>{label}</span> }.into_any()
            } else {
                view! { <label class="field__label" for=id.clone()>{label}</label> }.into_any()
            };
            view! {
                <div class="field" class:field--invalid=move || message.get().is_some() data-field=def.label.clone()>
                    {label_view}
                    {hint}
                    {input}
                    {move || message.get().map(|m| view! { <p class="field__error" id=error_id.clone()>{m}</p> })}
                </div>
            }
        })
        .collect_view()
}
