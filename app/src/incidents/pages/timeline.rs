//! The incident page's timeline: the note form and one event.

use leptos::prelude::*;

use super::Time;
use super::detail::Actions;
use crate::components::{FormAlert, TextArea, action_error};
use crate::incidents::server_fns::AddIncidentNote;
use crate::incidents::{EventKind, Marker, TimelineEventView};

#[component]
pub(super) fn NoteForm(
    action: ServerAction<AddIncidentNote>,
    reference: String,
    draft: RwSignal<String>,
) -> impl IntoView {
    let error = Signal::derive(move || action_error(action.value().get()));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
    view! {
        <ActionForm action=action attr:class="form card note-form" attr:novalidate=true>
            <input type="hidden" name="reference" value=reference />
            <FormAlert error fields=&["body", "occurred_at"] />
            <div class="field" class:field--invalid=move || field("body").get().is_some()>
                <label class="field__label" for="note-body">"Add a note (Markdown)"</label>
                <TextArea
                    id="note-body"
                    name="body"
                    required=true
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                />
                {move || field("body").get().map(|m| view! { <p class="field__error">{m}</p> })}
            </div>
            <div class="note-form__row">
                <div class="field">
                    <label class="field__label" for="note-when">"Happened at (optional)"</label>
                    <input class="field__input" id="note-when" name="occurred_at" type="datetime-local" />
                    {move || field("occurred_at").get().map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <div class="field">
                    <label class="field__label" for="note-marker">"Marker"</label>
                    <select class="field__input" id="note-marker" name="marker">
                        <option value="">"None"</option>
                        {Marker::ALL.into_iter().map(|m| view! { <option value=m.as_str()>{m.label()}</option> }).collect_view()}
                    </select>
                </div>
                <label class="checkbox" for="note-highlight">
                    <input type="checkbox" id="note-highlight" name="highlighted" value="on" />
                    "Highlight"
                </label>
            </div>
            <button class="button button--primary" type="submit">"Add note"</button>
        </ActionForm>
    }
}

#[component]
pub(super) fn TimelineItem(
    event: TimelineEventView,
    editable: bool,
    reference: String,
    actions: Actions,
) -> impl IntoView {
    let backdated = (event.recorded_at - event.occurred_at).num_minutes() >= 1;
    let recorded_at = event.recorded_at;
    let tools = editable.then(|| {
        let (id, body, version) = (event.id.to_string(), event.body.clone(), event.version.to_string());
        let field_id = format!("note-edit-{}", event.id);
        let (edit_ref, delete_ref, delete_id, label_for) = (reference.clone(), reference, id.clone(), field_id.clone());
        view! {
            <div class="timeline__tools">
                <details class="timeline__edit">
                    <summary>"Edit"</summary>
                    <ActionForm action=actions.edit_note attr:class="form">
                        <input type="hidden" name="reference" value=edit_ref />
                        <input type="hidden" name="event_id" value=id />
                        <input type="hidden" name="version" value=version />
                        <label class="visually-hidden" for=label_for>"Note text"</label>
                        <TextArea id=field_id name="body" value=body />
                        <button class="button button--small" type="submit">"Save note"</button>
                    </ActionForm>
                </details>
                <ActionForm action=actions.delete_note attr:class="inline-form">
                    <input type="hidden" name="reference" value=delete_ref />
                    <input type="hidden" name="event_id" value=delete_id />
                    <button class="button button--small button--quiet" type="submit">"Delete note"</button>
                </ActionForm>
            </div>
        }
    });
    view! {
        <li
            class="timeline__item"
            class:timeline__item--note=event.kind == EventKind::Note
            class:timeline__item--highlighted=event.highlighted
            class:timeline__item--deleted=event.deleted
            data-event-id=event.id.to_string()
        >
            <div class="timeline__meta">
                <Time at=event.occurred_at />
                {event.author.map(|a| view! { <span class="timeline__author">{a}</span> })}
                {event.marker.map(|m| view! { <span class="badge">{m.label()}</span> })}
                {backdated.then(|| view! { <span class="muted">"(recorded " <Time at=recorded_at /> ")"</span> })}
                {event.deleted.then(|| view! { <span class="badge">"deleted"</span> })}
                {(!event.revisions.is_empty()).then(|| view! { <span class="muted">"edited"</span> })}
            </div>
            <div class="timeline__body prose" inner_html=event.body_html></div>
            {tools}
        </li>
    }
}
