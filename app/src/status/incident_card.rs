//! The incident page's status page card: publish the incident in customer-facing words,
//! then post updates as it moves on. What is posted here is public at once.

use leptos::prelude::*;

use super::server_fns::PublishStatus;
use super::{ComponentState, ComponentView, IncidentStatusCard, PublicState, PublishedIncident};
use crate::components::{FormAlert, TextArea, action_error};
use crate::error::AppError;
use crate::time::Time;

#[component]
pub fn StatusPageCard(
    reference: String,
    card: IncidentStatusCard,
    can_write: bool,
) -> impl IntoView {
    let publish = ServerAction::<PublishStatus>::new();
    // Nothing to show or do while the page is off and this was never published.
    (card.enabled || card.published.is_some())
        .then(|| view! { <CardBody card reference can_write publish /> })
}

#[component]
fn CardBody(
    card: IncidentStatusCard,
    reference: String,
    can_write: bool,
    publish: ServerAction<PublishStatus>,
) -> impl IntoView {
    let error = Signal::derive(move || action_error(publish.value().get()));
    let field = move |n: &'static str| {
        Signal::derive(move || error.get().and_then(|e: AppError| e.field_message(n)))
    };
    let IncidentStatusCard {
        enabled,
        components,
        suggested,
        severity_state,
        published,
        draft,
    } = card;
    let can_post = can_write && (enabled || published.is_some());
    view! {
        <section class="card stack" id="status-page" aria-labelledby="status-page-title" data-testid="status-card">
            <h2 class="card__title" id="status-page-title">"Status page"</h2>
            {match &published {
                None => view! { <p class="muted">"Not published. Customers see nothing about this incident until it is."</p> }.into_any(),
                Some(p) => view! { <Published published=p.clone() /> }.into_any(),
            }}
            {can_post.then(|| {
                let selected: Vec<i64> = published.as_ref().map(|p| p.component_ids.clone()).unwrap_or(suggested);
                let first = published.is_none();
                view! {
                    <ActionForm action=publish attr:class="form" attr:novalidate=true>
                        <FormAlert error fields=&["title", "state", "components", "impact", "body"] />
                        <input type="hidden" name="reference" value=reference.clone() />
                        {published.as_ref().map(|p| view! { <input type="hidden" name="form[version]" value=p.version.to_string() /> })}
                        {draft.as_ref().map(|d| view! {
                            <p class="alert alert--warning" data-testid="status-draft">
                                "The rule “"{d.rule.clone()}"” drafted this update. Review it, then publish it or change it."
                            </p>
                        })}
                        <PublishFields
                            draft_state=draft.as_ref().map(|d| d.state)
                            published=published.clone()
                            components
                            selected
                            severity_state
                            field
                        />
                        <div class="field" class:field--invalid=move || field("body").get().is_some()>
                            <label class="field__label" for="status-body">{if first { "What customers should know" } else { "Update" }}</label>
                            <p class="field__hint" id="status-body-hint">"Public at once. Markdown. No internal names, people or guesses about the cause."</p>
                            <TextArea id="status-body" name="form[body]" rows=3 value=draft.as_ref().map(|d| d.body.clone()).unwrap_or_default() describedby="status-body-hint status-body-error" />
                            {move || field("body").get().map(|m| view! { <p class="field__error" id="status-body-error">{m}</p> })}
                        </div>
                        <button class="button button--primary" type="submit">{if first { "Publish to status page" } else { "Post update" }}</button>
                    </ActionForm>
                }
            })}
        </section>
    }
}

/// The published title, state and updates (newest first), with who posted each.
#[component]
fn Published(published: PublishedIncident) -> impl IntoView {
    view! {
        <p>
            <a href=format!("/status/incidents/{}", published.id) data-testid="status-public-link">{published.title.clone()}</a>
            " · "<strong data-testid="status-state">{published.state.label()}</strong>
        </p>
        <ol class="plain-list status-updates">
            {published.updates.into_iter().map(|u| view! {
                <li>
                    <p class="muted"><strong>{u.state.label()}</strong>" · "<Time at=u.at />" · "{u.author}</p>
                    <div class="prose" inner_html=u.body_html></div>
                </li>
            }).collect_view()}
        </ol>
    }
}

/// The state, and (first time, or folded away later) the title, components and impact.
#[component]
fn PublishFields(
    /// The state a rule's draft chose.
    draft_state: Option<PublicState>,
    published: Option<PublishedIncident>,
    components: Vec<ComponentView>,
    selected: Vec<i64>,
    severity_state: ComponentState,
    field: impl Fn(&'static str) -> Signal<Option<String>> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let current_state = draft_state
        .or(published.as_ref().map(|p| p.state))
        .unwrap_or(PublicState::Investigating);
    let impact = published.as_ref().and_then(|p| p.impact_override);
    let title = published
        .as_ref()
        .map(|p| p.title.clone())
        .unwrap_or_default();
    let details = view! {
        <div class="field" class:field--invalid=move || field("title").get().is_some()>
            <label class="field__label" for="status-title">"Public title"</label>
            <input class="field__input" id="status-title" name="form[title]" value=title maxlength="200" aria-describedby=move || field("title").get().map(|_| "status-title-error") />
            {move || field("title").get().map(|m| view! { <p class="field__error" id="status-title-error">{m}</p> })}
        </div>
        <ComponentChecks
            legend="Components affected"
            id_prefix="status-component".to_owned()
            components
            chosen=selected
            error=field("components")
        />
        <div class="field" class:field--invalid=move || field("impact").get().is_some()>
            <label class="field__label" for="status-impact">"Shown as"</label>
            <select class="field__input" id="status-impact" name="form[impact]">
                <option value="" selected=impact.is_none()>{format!("By severity: {}", severity_state.label())}</option>
                {ComponentState::impacts().map(|s| view! {
                    <option value=s.as_str() selected=impact == Some(s)>{s.label()}</option>
                }).collect_view()}
            </select>
            {move || field("impact").get().map(|m| view! { <p class="field__error">{m}</p> })}
        </div>
    };
    let first = published.is_none();
    view! {
        <div class="field" class:field--invalid=move || field("state").get().is_some()>
            <label class="field__label" for="status-state">"State"</label>
            <select class="field__input" id="status-state" name="form[state]">
                {PublicState::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=s == current_state>{s.label()}</option>
                }).collect_view()}
            </select>
            {move || field("state").get().map(|m| view! { <p class="field__error">{m}</p> })}
        </div>
        {if first {
            details.into_any()
        } else {
            view! {
                <details>
                    <summary>"Title, components and how it is shown"</summary>
                    <div class="stack">{details}</div>
                </details>
            }.into_any()
        }}
    }
}

/// The status page's components as checkboxes (`form[components][]`), with the field's
/// error under them: which an incident affects, or which a maintenance window touches.
#[component]
pub(super) fn ComponentChecks(
    legend: &'static str,
    /// Each box's id is this and the component's id.
    id_prefix: String,
    components: Vec<ComponentView>,
    chosen: Vec<i64>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <fieldset class="fieldset" class:field--invalid=move || error.get().is_some()>
            <legend class="field__label">{legend}</legend>
            {if components.is_empty() {
                view! { <p class="muted">"No component is on the status page yet: an admin adds them under Admin, Status page."</p> }.into_any()
            } else {
                view! {
                    <div class="checkbox-grid">
                        {components.into_iter().map(|c| {
                            let id = format!("{id_prefix}-{}", c.id);
                            view! {
                                <label class="checkbox" for=id.clone()>
                                    <input type="checkbox" id=id.clone() name="form[components][]" value=c.id.to_string() checked=chosen.contains(&c.id) />
                                    {c.name}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            {move || error.get().map(|m| view! { <p class="field__error">{m}</p> })}
        </fieldset>
    }
}
