use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{FormAlert, TextArea, action_error};
use crate::incidents::SeverityView;
use crate::incidents::server_fns::{MoveSeverity, UpdateSeverity, admin_severities};
use crate::layout::ErrorTemplate;

/// Admins shape the severity scale: names, the descriptions people read when
/// declaring, the order (most severe first) and which levels require a postmortem.
#[component]
pub fn SeveritiesPage() -> impl IntoView {
    let update = ServerAction::<UpdateSeverity>::new();
    let reorder = ServerAction::<MoveSeverity>::new();
    let levels = Resource::new(|| (), |_| admin_severities());
    // A level's field errors come keyed to it (`AppError::for_item`) and show in its
    // form; the rest (a refused move, a conflict) above the list.
    let error = Signal::derive(move || {
        action_error(update.value().get()).or_else(|| action_error(reorder.value().get()))
    });
    view! {
        <Title text="Severities" />
        <section class="page page--narrow">
            <header class="page-header">
                <h1>"Severities"</h1>
                <p class="page-header__lede">"The scale responders choose from when they declare, most severe first. Renaming a level changes it on every incident; the timeline keeps the name it had."</p>
            </header>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        levels.await.map(|severities| {
                            let count = severities.len();
                            view! {
                                <FormAlert error fields=&[] />
                                <ol class="severity-list">
                                    {severities.into_iter().enumerate().map(|(i, level)| {
                                        view! { <SeverityItem level first=i == 0 last=i + 1 == count update reorder /> }
                                    }).collect_view()}
                                </ol>
                            }
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn SeverityItem(
    level: SeverityView,
    first: bool,
    last: bool,
    update: ServerAction<UpdateSeverity>,
    reorder: ServerAction<MoveSeverity>,
) -> impl IntoView {
    let id = level.id;
    let error = Signal::derive(move || action_error(update.value().get())?.of_item(id));
    let field = move |name: &'static str| Signal::derive(move || error.get()?.field_message(name));
    let (name_id, description_id, postmortem_id) = (
        format!("severity-{id}-name"),
        format!("severity-{id}-description"),
        format!("severity-{id}-postmortem"),
    );
    let level_name = level.name.clone();
    let move_button = move |direction: &'static str, label: &'static str, hidden: bool| {
        (!hidden).then(|| {
            let level_name = level_name.clone();
            view! {
                <ActionForm action=reorder attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="direction" value=direction />
                    <button class="button button--small button--quiet" type="submit" aria-label=format!("{label}: {level_name}")>{label}</button>
                </ActionForm>
            }
        })
    };
    let postmortem_label = postmortem_id.clone();
    let (name, save_label) = (level.name.clone(), format!("Save {}", level.name));
    let (up, down) = (
        move_button("up", "Move up", first),
        move_button("down", "Move down", last),
    );
    view! {
        <li class="card stack severity-item" data-severity=level.name.clone()>
            <div class="section-header">
                <h2 class="severity-item__title">
                    <span class="badge badge--severity">{level.name.clone()}</span>
                    {level.requires_postmortem.then(|| view! { <span class="muted">" · postmortem required"</span> })}
                </h2>
                <div class="severity-item__order">{up}{down}</div>
            </div>
            <ActionForm action=update attr:class="form" attr:novalidate=true>
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="version" value=level.version.to_string() />
                <FormAlert error fields=&["name", "description"] />
                <div class="field" class:field--invalid=move || field("name").get().is_some()>
                    <label class="field__label" for=name_id.clone()>"Name"</label>
                    <input class="field__input" id=name_id name="name" value=name maxlength="50" required=true />
                    {move || field("name").get().map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <div class="field" class:field--invalid=move || field("description").get().is_some()>
                    <label class="field__label" for=description_id.clone()>"Description (shown when declaring)"</label>
                    <TextArea id=description_id name="description" rows=2 value=level.description.clone() />
                    {move || field("description").get().map(|m| view! { <p class="field__error">{m}</p> })}
                </div>
                <label class="checkbox" for=postmortem_label>
                    <input type="checkbox" id=postmortem_id name="requires_postmortem" value="on" checked=level.requires_postmortem />
                    "Incidents at this level require a postmortem"
                </label>
                <button class="button button--primary button--small" type="submit">{save_label}</button>
            </ActionForm>
        </li>
    }
}
