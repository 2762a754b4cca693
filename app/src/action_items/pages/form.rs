use leptos::prelude::*;

use super::list::ActionItemsTable;
use super::{ItemStatusBadge, due};
use crate::action_items::server_fns::{AddActionItem, UpdateActionItem, list_action_items};
use crate::action_items::{
    ActionItemPage, ActionItemView, ItemKind, ItemQuery, ItemStatus, Priority,
};
use crate::choices::ChoiceKind;
use crate::choices::picker::PickerField;
use crate::components::{FormAlert, TextArea, action_error};
use crate::error::AppError;

/// An incident's action items and the actions that change them. Made once by the page,
/// outside any `Suspend` (which may render its children more than once, and a resource
/// made there would be fetched again each time).
#[derive(Clone, Copy)]
pub struct IncidentItems {
    items: Resource<Result<ActionItemPage, AppError>>,
    add: ServerAction<AddActionItem>,
    update: ServerAction<UpdateActionItem>,
}

impl IncidentItems {
    pub fn new(reference: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let add = ServerAction::<AddActionItem>::new();
        let update = ServerAction::<UpdateActionItem>::new();
        let items = Resource::new(reference, |reference| {
            list_action_items(ItemQuery::of_incident(reference))
        });
        Self { items, add, update }
    }
}

/// The incident's action items: the list, a form to add one and, per item, a form to
/// change it (status included: done, or won't do with a reason).
#[component]
pub fn IncidentActionItems(
    reference: String,
    can_write: bool,
    state: IncidentItems,
) -> impl IntoView {
    let IncidentItems { items, add, update } = state;
    let add_error = Signal::derive(move || action_error(add.value().get()));
    // An item's field errors come keyed to it (`AppError::for_item`) and show in its
    // form; the rest (a conflict, a missing item) above the list.
    let update_error = Signal::derive(move || action_error(update.value().get()));
    let back = format!("/incidents/{reference}#action-items");
    view! {
        <section class="card stack" id="action-items" aria-labelledby="action-items-title">
            <h2 id="action-items-title">"Action items"</h2>
            <FormAlert error=update_error fields=&[] />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let back = back.clone();
                    Suspend::new(async move {
                        items.await.ok().map(|list| {
                            if !can_write {
                                return view! { <ActionItemsTable items=list.items show_incident=false /> }.into_any();
                            }
                            if list.items.is_empty() {
                                return view! { <p class="empty-note">"No action items yet."</p> }.into_any();
                            }
                            view! {
                                <ul class="item-list">
                                    {list.items.into_iter().map(|item| {
                                        view! { <ItemRow item update back=back.clone() /> }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        })
                    })
                }}
            </Transition>
            {can_write.then(|| view! {
                <details class="item-add" open=move || add_error.get().is_some()>
                    <summary class="button button--small">"Add an action item"</summary>
                    <ActionForm action=add attr:class="form" attr:novalidate=true>
                        <input type="hidden" name="reference" value=reference.clone() />
                        <FormAlert error=add_error fields=&["title", "owner_id", "due_on", "tracker_url", "description"] />
                        <ItemFields prefix="new-item" item=None error=add_error />
                        <button class="button button--primary" type="submit">"Add action item"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}

/// The fields an item's form shows errors next to.
const ITEM_FIELDS: &[&str] = &[
    "title",
    "owner_id",
    "due_on",
    "tracker_url",
    "wont_do_reason",
    "description",
];

#[component]
fn ItemRow(
    item: ActionItemView,
    update: ServerAction<UpdateActionItem>,
    back: String,
) -> impl IntoView {
    let id = item.id;
    let error = Signal::derive(move || action_error(update.value().get())?.of_item(id));
    let prefix = format!("item-{id}");
    let (overdue, name) = (item.overdue, item.title.clone());
    view! {
        <li class="item-list__item" class:item-list__item--overdue=overdue data-item=name>
            <div class="section-header">
                <p class="item-list__title">
                    <strong>{item.title.clone()}</strong>
                    <span class="muted">{format!(" · {} · {} · due {} · ", item.kind.label(), item.priority.label(), due(&item))}</span>
                    <span class="muted">{item.owner.clone().map(|o| o.name).unwrap_or_else(|| "unassigned".into())}</span>
                </p>
                <ItemStatusBadge item=item.clone() />
            </div>
            {item.wont_do_reason.clone().map(|r| view! { <p class="muted">{format!("Won't do: {r}")}</p> })}
            {(!item.description.is_empty()).then(|| view! { <div class="prose" inner_html=item.description_html.clone()></div> })}
            <details class="item-list__edit" open=move || error.get().is_some()>
                <summary>"Change"</summary>
                <ActionForm action=update attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="version" value=item.version.to_string() />
                    <input type="hidden" name="return_to" value=back />
                    <FormAlert error fields=ITEM_FIELDS />
                    <ItemFields prefix=prefix.clone() item=Some(item.clone()) error />
                    <div class="field">
                        <label class="field__label" for=format!("{prefix}-status")>"Status"</label>
                        <select class="field__input" id=format!("{prefix}-status") name="form[status]">
                            {ItemStatus::ALL.iter().map(|s| view! {
                                <option value=s.as_str() selected=*s == item.status>{s.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <FieldWithError prefix=prefix.clone() name="wont_do_reason" label="Reason, if it won't be done" value=item.wont_do_reason.clone().unwrap_or_default() error />
                    <button class="button button--small button--primary" type="submit">"Save action item"</button>
                </ActionForm>
            </details>
        </li>
    }
}

#[component]
fn FieldWithError(
    #[prop(into)] prefix: String,
    name: &'static str,
    label: &'static str,
    value: String,
    #[prop(optional)] kind: Option<&'static str>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let id = format!("{prefix}-{name}");
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    view! {
        <div class="field" class:field--invalid=move || message.get().is_some()>
            <label class="field__label" for=id.clone()>{label}</label>
            <input class="field__input" id=id type=kind.unwrap_or("text") name=format!("form[{name}]") value=value
                aria-invalid=move || message.get().is_some().then_some("true") />
            {move || message.get().map(|m| view! { <p class="field__error">{m}</p> })}
        </div>
    }
}

/// The fields shared by the add and change forms.
#[component]
fn ItemFields(
    #[prop(into)] prefix: String,
    item: Option<ActionItemView>,
    error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let kind = item.as_ref().map(|i| i.kind).unwrap_or(ItemKind::Prevent);
    let priority = item
        .as_ref()
        .map(|i| i.priority)
        .unwrap_or(Priority::Medium);
    let owner = item
        .as_ref()
        .and_then(|i| i.owner_value.clone())
        .unwrap_or_default();
    let text = |f: fn(&ActionItemView) -> String| item.as_ref().map(f).unwrap_or_default();
    let description_error =
        Signal::derive(move || error.get().and_then(|e| e.field_message("description")));
    let (title, description, due_on, tracker) = (
        text(|i| i.title.clone()),
        text(|i| i.description.clone()),
        text(|i| i.due_on.map(|d| d.to_string()).unwrap_or_default()),
        text(|i| i.tracker_url.clone().unwrap_or_default()),
    );
    view! {
        <FieldWithError prefix=prefix.clone() name="title" label="What will be done" value=title error />
        <div class="field" class:field--invalid=move || description_error.get().is_some()>
            <label class="field__label" for=format!("{prefix}-description")>"Details (optional, Markdown)"</label>
            <TextArea id=format!("{prefix}-description") name="form[description]" rows=2 value=description />
            {move || description_error.get().map(|m| view! { <p class="field__error">{m}</p> })}
        </div>
        <div class="item-grid">
            <div class="field">
                <label class="field__label" for=format!("{prefix}-kind")>"Type"</label>
                <select class="field__input" id=format!("{prefix}-kind") name="form[kind]">
                    {ItemKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=*k == kind>{k.label()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label class="field__label" for=format!("{prefix}-priority")>"Priority"</label>
                <select class="field__input" id=format!("{prefix}-priority") name="form[priority]">
                    {Priority::ALL.iter().map(|p| view! { <option value=p.as_str() selected=*p == priority>{p.label()}</option> }).collect_view()}
                </select>
            </div>
            <PickerField
                kind=ChoiceKind::People
                id=format!("{prefix}-owner")
                name="form[owner]"
                label="Owner"
                value=owner
                placeholder="Unassigned"
                error=Signal::derive(move || error.get().and_then(|e| e.field_message("owner_id")))
            />
            <FieldWithError prefix=prefix.clone() name="due_on" label="Due" kind="date" value=due_on error />
        </div>
        <FieldWithError prefix=prefix.clone() name="tracker_url" label="Tracker link (optional)" kind="url" value=tracker error />
    }
}
