//! A search field with suggestions (the ARIA combobox pattern).
//!
//! Server-rendered it is a plain text field the server resolves on submit, so it works
//! without JavaScript; hydrated it suggests matches as you type: arrow keys move, Enter or
//! a click picks, Escape closes. In a list field (`multiple`) a pick completes the term
//! after the last comma.

use leptos::prelude::*;

use super::server_fns::search_choices;
use super::{Choice, ChoiceKind, complete, current_term};

/// How long typing must pause before asking the server.
const PAUSE_MS: u64 = 150;

#[component]
pub fn Picker(
    kind: ChoiceKind,
    #[prop(into)] id: String,
    name: &'static str,
    #[prop(into, optional)] value: String,
    /// A comma-separated list of choices (services).
    #[prop(optional)]
    multiple: bool,
    #[prop(into, optional)] placeholder: String,
    #[prop(into, optional)] describedby: Option<String>,
    #[prop(optional, into)] invalid: Option<Signal<bool>>,
    /// The smaller field of inline forms.
    #[prop(optional)]
    compact: bool,
) -> impl IntoView {
    view! {
        <PickerInput
            kind
            id
            name=name.to_owned()
            value
            multiple
            placeholder
            describedby
            invalid=invalid.unwrap_or_else(|| Signal::stored(false))
            compact
        />
    }
}

/// The field itself; an island in islands mode, so every prop is owned data that
/// crosses to the browser (and none is optional: islands' props have no defaults).
#[island]
fn PickerInput(
    kind: ChoiceKind,
    id: String,
    name: String,
    value: String,
    multiple: bool,
    placeholder: String,
    describedby: Option<String>,
    invalid: Signal<bool>,
    compact: bool,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let suggestions = RwSignal::new(Vec::<Choice>::new());
    let active = RwSignal::new(None::<usize>);
    let pending = StoredValue::new(0u64);
    let list_id = format!("{id}-list");
    let option_id = {
        let id = id.clone();
        move |i: usize| format!("{id}-option-{i}")
    };
    let open = move || !suggestions.read().is_empty();
    // The field can be re-rendered (a live update of the page) while a search is under
    // way or as it loses focus: late callbacks use `try_` and find nothing to update.
    let close = move || {
        pending.try_update_value(|p| *p += 1);
        suggestions.try_set(Vec::new());
        active.try_set(None);
    };

    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let term = current_term(&text, multiple).to_owned();
        let ticket = pending.get_value() + 1;
        pending.set_value(ticket);
        if term.is_empty() {
            close();
            return;
        }
        set_timeout(
            move || {
                if pending.try_get_value() != Some(ticket) {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let found = search_choices(kind, term).await.unwrap_or_default();
                    // A slower answer to an earlier keystroke must not replace a newer one.
                    if pending.try_get_value() == Some(ticket) {
                        active.try_set(None);
                        suggestions.try_set(found);
                    }
                });
            },
            std::time::Duration::from_millis(PAUSE_MS),
        );
    };
    let pick = move |i: usize| {
        let Some(choice) = suggestions.read_untracked().get(i).cloned() else {
            return;
        };
        if let Some(el) = input.get_untracked() {
            el.set_value(&complete(&el.value(), &choice.value, multiple));
            let _ = el.focus();
        }
        close();
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = suggestions.read_untracked().len();
        if count == 0 {
            return;
        }
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % count)));
            }
            "ArrowUp" => {
                ev.prevent_default();
                active.update(|a| *a = Some(a.map_or(count - 1, |i| (i + count - 1) % count)));
            }
            "Enter" => {
                if let Some(i) = active.get_untracked() {
                    ev.prevent_default();
                    pick(i);
                }
            }
            "Escape" => {
                ev.prevent_default();
                close();
            }
            _ => {}
        }
    };

    let class = if compact {
        "field__input field__input--compact picker__input"
    } else {
        "field__input picker__input"
    };
    let active_descendant = {
        let option_id = option_id.clone();
        move || active.get().map(&option_id)
    };
    view! {
        <div class="picker">
            <input
                node_ref=input
                class=class
                id=id
                name=name
                type="text"
                value=value
                placeholder=placeholder
                autocomplete="off"
                spellcheck="false"
                role="combobox"
                aria-autocomplete="list"
                aria-expanded=move || if open() { "true" } else { "false" }
                aria-controls=list_id.clone()
                aria-activedescendant=active_descendant
                aria-describedby=describedby
                aria-invalid=move || invalid.get().then_some("true")
                on:input=on_input
                on:keydown=on_keydown
                on:blur=move |_| close()
            />
            <ul class="picker__list" id=list_id role="listbox" hidden=move || !open()>
                {move || suggestions.get().into_iter().enumerate().map(|(i, choice)| {
                    view! {
                        <li
                            class="picker__option"
                            id=option_id(i)
                            role="option"
                            aria-selected=move || if active.get() == Some(i) { "true" } else { "false" }
                            // Before the field's blur, so the pick lands first.
                            on:mousedown=move |ev| {
                                ev.prevent_default();
                                pick(i);
                            }
                        >
                            <span class="picker__label">{choice.label}</span>
                            <span class="picker__detail">{choice.detail}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// A labelled [`Picker`] with its hint and its error, as forms lay out their fields.
#[component]
pub fn PickerField(
    kind: ChoiceKind,
    #[prop(into)] id: String,
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into, optional)] value: String,
    #[prop(optional)] multiple: bool,
    #[prop(into, optional)] placeholder: String,
    /// The message shown beside the field, when there is one.
    error: Signal<Option<String>>,
) -> impl IntoView {
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let describedby = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some()>
            <label class="field__label" for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field__hint" id=hint_id>{h}</p> })}
            <Picker
                kind
                id
                name
                value
                multiple
                placeholder
                describedby
                invalid=Signal::derive(move || error.get().is_some())
            />
            {move || error.get().map(|m| view! { <p class="field__error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}
