//! The incident page's timeline: the note form and one event.

use leptos::prelude::*;

use super::Time;
use crate::components::{FormAlert, TextArea, action_error};
use crate::incidents::server_fns::{AddIncidentNote, DeleteIncidentNote, EditIncidentNote};
use crate::incidents::{EventKind, Marker, TimelineEventView};

#[component]
pub(super) fn NoteForm(action: ServerAction<AddIncidentNote>, reference: String) -> impl IntoView {
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
fn TimelineItem(
    event: TimelineEventView,
    editable: bool,
    reference: String,
    edit_note: ServerAction<EditIncidentNote>,
    delete_note: ServerAction<DeleteIncidentNote>,
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
                    <ActionForm action=edit_note attr:class="form">
                        <input type="hidden" name="reference" value=edit_ref />
                        <input type="hidden" name="event_id" value=id />
                        <input type="hidden" name="version" value=version />
                        <label class="visually-hidden" for=label_for>"Note text"</label>
                        <TextArea id=field_id name="body" value=body />
                        <button class="button button--small" type="submit">"Save note"</button>
                    </ActionForm>
                </details>
                <ActionForm action=delete_note attr:class="inline-form">
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

/// The timeline, live: the page around it is rendered once, this island follows the
/// incident's event stream and re-reads the events when they change (its own note edits
/// and deletions too), and puts the header's title and badges as the server renders them
/// now in place (`facts_html`: as rendered with the page). A note being typed elsewhere
/// on the page is untouched. It shows a refused correction or deletion of a note
/// (someone else's edit came first, an empty text) above the notes, from its own actions
/// or a plain form post's.
#[island]
pub(super) fn LiveTimeline(
    reference: String,
    marker: String,
    can_write: bool,
    events: Vec<TimelineEventView>,
    facts_html: String,
) -> impl IntoView {
    use crate::incidents::server_fns::get_incident_timeline;

    let shown = RwSignal::new((marker, events, can_write));
    let facts = StoredValue::new(facts_html);
    let edit_note = ServerAction::<EditIncidentNote>::new();
    let delete_note = ServerAction::<DeleteIncidentNote>::new();
    let error = Signal::derive(move || {
        action_error(edit_note.value().get()).or_else(|| action_error(delete_note.value().get()))
    });
    let reread = {
        let reference = reference.clone();
        move || {
            let reference = reference.clone();
            leptos::task::spawn_local(async move {
                if let Ok(now) = get_incident_timeline(reference).await {
                    // Only a change: the header is announced to screen readers.
                    if facts.try_with_value(|f| *f != now.facts_html) == Some(true) {
                        show_facts(&now.facts_html);
                        facts.set_value(now.facts_html);
                    }
                    shown.try_set((now.marker, now.timeline, now.can_write));
                }
            });
        }
    };
    Effect::new({
        let reread = reread.clone();
        move |seen: Option<(usize, usize)>| {
            let now = (edit_note.version().get(), delete_note.version().get());
            if seen.is_some_and(|s| s != now) {
                reread();
            }
            now
        }
    });
    follow_changes(
        {
            let reference = reference.clone();
            move || reference.clone()
        },
        move || shown.with_untracked(|s| s.0.clone()),
        reread,
    );
    view! {
        <FormAlert error fields=&[] />
        <ol class="timeline" data-testid="timeline">
            {move || {
                let (_, events, can_write) = shown.get();
                events.into_iter().map(|e| {
                    let editable = can_write && e.kind == EventKind::Note && !e.deleted;
                    view! { <TimelineItem event=e editable reference=reference.clone() edit_note delete_note /> }
                }).collect_view()
            }}
        </ol>
    }
}

/// Puts the header's title and badges (server-rendered HTML) in place.
#[cfg(feature = "hydrate")]
fn show_facts(html: &str) {
    if let Some(facts) = document().get_element_by_id(super::header::FACTS_ID) {
        facts.set_inner_html(html);
    }
}

#[cfg(not(feature = "hydrate"))]
fn show_facts(_html: &str) {}

/// Listens to the incident's event stream and calls `changed` when it reports a change
/// the page has not shown yet (`shown`: the marker of what is on screen). The stream
/// resumes from the last marker after a lost connection; re-reading is idempotent, so
/// nothing is duplicated.
#[cfg(feature = "hydrate")]
fn follow_changes(
    reference: impl Fn() -> String + Send + Sync + 'static,
    shown: impl Fn() -> String + Clone + Send + Sync + 'static,
    changed: impl Fn() + Clone + Send + Sync + 'static,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    type Listener = Closure<dyn FnMut(web_sys::MessageEvent)>;
    let source = StoredValue::new_local(None::<(web_sys::EventSource, Listener)>);
    Effect::new(move |_| {
        let reference = reference();
        source.update_value(|s| {
            if let Some((old, _)) = s.take() {
                old.close();
            }
        });
        let url = format!("/incidents/{reference}/events?since={}", shown());
        let Ok(events) = web_sys::EventSource::new(&url) else {
            return;
        };
        let (shown, changed) = (shown.clone(), changed.clone());
        let on_change: Listener = Closure::new(move |event: web_sys::MessageEvent| {
            if event
                .data()
                .as_string()
                .is_some_and(|marker| marker != shown())
            {
                changed();
            }
        });
        let _ =
            events.add_event_listener_with_callback("changed", on_change.as_ref().unchecked_ref());
        source.set_value(Some((events, on_change)));
    });
    on_cleanup(move || {
        source.update_value(|s| {
            if let Some((events, _)) = s.take() {
                events.close();
            }
        });
    });
}

#[cfg(not(feature = "hydrate"))]
fn follow_changes(
    _reference: impl Fn() -> String + Send + Sync + 'static,
    _shown: impl Fn() -> String + Clone + Send + Sync + 'static,
    _changed: impl Fn() + Clone + Send + Sync + 'static,
) {
}
