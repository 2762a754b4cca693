use leptos::prelude::*;

use crate::error::AppError;

/// The error of an action's last result, if it failed.
pub fn action_error<T>(value: Option<Result<T, AppError>>) -> Option<AppError> {
    value.and_then(Result::err)
}

/// The field a form input names: `title` for `title` and for `form[title]` (a server
/// function taking one struct), so ids and error keys stay the plain field name.
pub fn field_key(name: &str) -> &str {
    name.strip_suffix(']')
        .and_then(|n| n.rsplit_once('['))
        .map(|(_, key)| key)
        .filter(|key| !key.is_empty())
        .unwrap_or(name)
}

/// A labelled input with its error message right below it, announced to screen readers.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autofocus: bool,
    /// The message for this field from the last submission.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{}", field_key(name));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some()>
            <label class="field__label" for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field__hint" id=hint_id.clone()>{h}</p> })}
            <input
                class="field__input"
                id=id
                type=kind
                name=name
                autocomplete=autocomplete
                value=value
                required=required
                autofocus=autofocus
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            {move || {
                error.get().map(|message| view! { <p class="field__error" id=error_id.clone()>{message}</p> })
            }}
        </div>
    }
}

/// The form-level message of a failed submission: errors that belong to no single field
/// (nor to one item's form on a list page: that form shows them).
#[component]
pub fn FormAlert(
    #[prop(into)] error: Signal<Option<AppError>>,
    fields: &'static [&'static str],
) -> impl IntoView {
    let message = move || {
        error.get().and_then(|err| match &err {
            AppError::Invalid(errors) => errors
                .iter()
                .find(|e| !e.is_for_item() && !fields.contains(&e.field.as_str()))
                .map(|e| e.message.clone()),
            other => Some(other.to_string()),
        })
    };
    view! {
        {move || message().map(|m| view! { <div class="alert alert--error" role="alert">{m}</div> })}
    }
}

#[cfg(test)]
mod tests {
    use super::field_key;

    #[test]
    fn a_struct_field_is_keyed_by_its_own_name() {
        assert_eq!(field_key("title"), "title");
        assert_eq!(field_key("form[title]"), "title");
        assert_eq!(field_key("form[service_ids][]"), "form[service_ids][]");
    }
}
