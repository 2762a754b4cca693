//! The rule form's inputs: what sets it off, what must hold, what it does. Every input
//! is named `form[...]` after a [`RuleForm`] field, and shows its own error beside it.

use leptos::prelude::*;

use crate::action_items::Priority;
use crate::components::TextArea;
use crate::error::AppError;
use crate::incidents::IncidentRole;
use crate::rules::form::RuleForm;
use crate::rules::{Choice, RuleChoices, Trigger};
use crate::status::PublicState;

type Message = Signal<Option<String>>;

/// A labelled select of `choices` with a first "none" option, and its error.
#[component]
fn ChoiceSelect(
    name: &'static str,
    label: &'static str,
    none: &'static str,
    choices: Vec<Choice>,
    selected: String,
    error: Message,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let key = name
        .trim_start_matches("form[")
        .trim_end_matches(']')
        .to_owned();
    let id = format!("rule-{key}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
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
            <select class="field__input" id=id name=name aria-describedby=described
                aria-invalid=move || error.get().is_some().then_some("true")>
                <option value="">{none}</option>
                {choices.into_iter().map(|c| {
                    let value = c.id.to_string();
                    let chosen = value == selected;
                    view! { <option value=value selected=chosen>{c.name}</option> }
                }).collect_view()}
            </select>
            {move || error.get().map(|m| view! { <p class="field__error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// A labelled text input and its error.
#[component]
fn TextInput(
    name: &'static str,
    label: &'static str,
    value: String,
    error: Message,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    let key = name
        .trim_start_matches("form[")
        .trim_end_matches(']')
        .to_owned();
    let id = format!("rule-{key}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
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
            <input class="field__input" id=id type=kind name=name value=value aria-describedby=described
                aria-invalid=move || error.get().is_some().then_some("true") />
            {move || error.get().map(|m| view! { <p class="field__error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

fn words<T: Copy>(
    all: &[T],
    word: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (word(*v).to_owned(), label(*v).to_owned()))
        .collect()
}

/// A labelled select of named words (a trigger, a role, a priority), and its error.
#[component]
fn WordSelect(
    name: &'static str,
    label: &'static str,
    none: Option<&'static str>,
    options: Vec<(String, String)>,
    selected: String,
    error: Message,
) -> impl IntoView {
    let key = name
        .trim_start_matches("form[")
        .trim_end_matches(']')
        .to_owned();
    let id = format!("rule-{key}");
    let error_id = format!("{id}-error");
    let described = {
        let error_id = error_id.clone();
        move || error.get().map(|_| error_id.clone())
    };
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some()>
            <label class="field__label" for=id.clone()>{label}</label>
            <select class="field__input" id=id name=name aria-describedby=described
                aria-invalid=move || error.get().is_some().then_some("true")>
                {none.map(|n| view! { <option value="">{n}</option> })}
                {options.into_iter().map(|(word, text)| {
                    let chosen = word == selected;
                    view! { <option value=word selected=chosen>{text}</option> }
                }).collect_view()}
            </select>
            {move || error.get().map(|m| view! { <p class="field__error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// The rule's inputs, filled from `form` (a stored rule's, a dry run's, or empty).
#[component]
pub fn RuleFields(
    form: RuleForm,
    choices: RuleChoices,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let f = form;
    let field = move |n: &'static str| -> Message {
        Signal::derive(move || error.get().and_then(|e| e.field_message(n)))
    };
    let services = f.services.clone().unwrap_or_default();
    let services_error = field("services");
    let actions_error = field("actions");
    let draft_error = field("draft_body");
    let severities_or_worse: Vec<Choice> = choices
        .severities
        .iter()
        .map(|s| Choice {
            id: s.id,
            name: format!("{} or more severe", s.name),
        })
        .collect();
    view! {
        <fieldset class="fieldset stack">
            <legend class="field__label">"The rule"</legend>
            <TextInput name="form[name]" label="Name" value=f.name.clone() error=field("name") />
            <TextInput name="form[description]" label="Why it exists (optional)" value=f.description.clone() error=field("description") />
            <WordSelect name="form[trigger]" label="When" none=None
                options=words(&Trigger::ALL, Trigger::as_str, Trigger::label)
                selected=f.trigger.clone() error=field("trigger") />
            <label class="checkbox" for="rule-enabled">
                <input type="checkbox" id="rule-enabled" name="form[enabled]" value="on" checked=f.enabled.is_some() />
                "Enabled: runs on incidents from now on (leave it off to keep a draft and try it first)"
            </label>
        </fieldset>
        <fieldset class="fieldset stack">
            <legend class="field__label">"If (every condition set must hold)"</legend>
            <ChoiceSelect name="form[min_severity_id]" label="Severity" none="Any severity"
                choices=severities_or_worse selected=f.min_severity_id.clone() error=field("min_severity_id") />
            <div class="field" class:field--invalid=move || services_error.get().is_some()>
                <label class="field__label" for="rule-services">"Affects one of these services"</label>
                <p class="field__hint" id="rule-services-hint">"None chosen: any service. Hold Ctrl or ⌘ to choose several."</p>
                <select class="field__input" id="rule-services" name="form[services][]" multiple size="5"
                    aria-describedby=move || if services_error.get().is_some() { "rule-services-hint rule-services-error" } else { "rule-services-hint" }>
                    {choices.services.clone().into_iter().map(|c| {
                        let value = c.id.to_string();
                        let chosen = services.contains(&value);
                        view! { <option value=value selected=chosen>{c.name}</option> }
                    }).collect_view()}
                </select>
                {move || services_error.get().map(|m| view! { <p class="field__error" id="rule-services-error">{m}</p> })}
            </div>
            <ChoiceSelect name="form[type_id]" label="Incident type" none="Any type"
                choices=choices.types.clone() selected=f.type_id.clone() error=field("type_id") />
            <div class="field-pair">
                <ChoiceSelect name="form[field_id]" label="Custom field" none="No field"
                    choices=choices.fields.clone() selected=f.field_id.clone() error=field("field_id") />
                <TextInput name="form[field_value]" label="Holds the value" value=f.field_value.clone() error=field("field_value")
                    hint="An option as written, a number, a link; for a person, their user id." />
            </div>
        </fieldset>
        <fieldset class="fieldset stack" aria-describedby="rule-actions-hint">
            <legend class="field__label">"Then"</legend>
            <p class="field__hint" id="rule-actions-hint">"Everything chosen here happens, in this order. Choose at least one."</p>
            {move || actions_error.get().map(|m| view! { <p class="field__error" id="rule-actions-error">{m}</p> })}
            <ChoiceSelect name="form[playbook_id]" label="Attach a playbook" none="No playbook"
                choices=choices.playbooks.clone() selected=f.playbook_id.clone() error=field("playbook_id") />
            <div class="field-pair">
                <WordSelect name="form[role]" label="Assign a role" none=Some("No role")
                    options=words(&IncidentRole::ALL, IncidentRole::as_str, IncidentRole::label)
                    selected=f.role.clone() error=field("role") />
                <ChoiceSelect name="form[role_user_id]" label="To" none="Nobody"
                    choices=choices.people.clone() selected=f.role_user_id.clone() error=field("role_user_id") />
            </div>
            <TextInput name="form[item_title]" label="Add an action item" value=f.item_title.clone() error=field("item_title")
                hint="Owned by the incident's commander." />
            <div class="field-pair">
                <WordSelect name="form[item_priority]" label="Its priority" none=None
                    options=words(&Priority::ALL, Priority::as_str, Priority::label)
                    selected=if f.item_priority.is_empty() { "medium".to_owned() } else { f.item_priority.clone() }
                    error=field("item_priority") />
                <TextInput name="form[item_due_days]" label="Due after (days)" kind="number" value=f.item_due_days.clone() error=field("item_due_days") />
            </div>
            <div class="field-pair">
                <ChoiceSelect name="form[set_field_id]" label="Set a custom field" none="No field"
                    choices=choices.fields.clone() selected=f.set_field_id.clone() error=field("set_field_id") />
                <TextInput name="form[set_field_value]" label="To the value" value=f.set_field_value.clone() error=field("set_field_value") />
            </div>
            <ChoiceSelect name="form[channel_id]" label="Tell a notification channel" none="No channel"
                choices=choices.channels.clone() selected=f.channel_id.clone() error=field("channel_id") />
            <label class="checkbox" for="rule-require_postmortem">
                <input type="checkbox" id="rule-require_postmortem" name="form[require_postmortem]" value="on" checked=f.require_postmortem.is_some() />
                "Require a published postmortem before closing, whatever the severity"
            </label>
            <WordSelect name="form[draft_state]" label="Draft a status page update, as" none=Some("No draft")
                options=words(&PublicState::ALL, PublicState::as_str, PublicState::label)
                selected=f.draft_state.clone() error=field("draft_state") />
            <div class="field" class:field--invalid=move || draft_error.get().is_some()>
                <label class="field__label" for="rule-draft_body">"The update's text"</label>
                <p class="field__hint" id="rule-draft_body-hint">"Not published: a person reviews it on the incident page and publishes it."</p>
                <TextArea id="rule-draft_body" name="form[draft_body]" rows=3 value=f.draft_body.clone() describedby="rule-draft_body-hint rule-draft_body-error" />
                {move || draft_error.get().map(|m| view! { <p class="field__error" id="rule-draft_body-error">{m}</p> })}
            </div>
            <ChoiceSelect name="form[set_severity_id]" label="Set the severity" none="Keep it"
                choices=choices.severities.clone() selected=f.set_severity_id.clone() error=field("set_severity_id")
                hint="Sets off the rules of “Its severity changes” (at most three rounds deep)." />
        </fieldset>
    }
}
