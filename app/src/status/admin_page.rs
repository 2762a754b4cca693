//! Admins set up the public status page: switch it on, name and brand it, choose which
//! state each severity shows, and pick the services shown as components.

use leptos::prelude::*;
use leptos_meta::Title;

use super::server_fns::{
    AddStatusComponent, RemoveStatusComponent, RemoveStatusSubscriber, SaveStatusSettings,
    StatusAdmin, UpdateStatusComponent, get_status_admin,
};
use super::subscribers::SubscriberBoard;
use super::{ComponentState, ComponentView, StatusSettings};
use crate::choices::ChoiceKind;
use crate::choices::picker::PickerField;
use crate::components::{Column, DataTable, Field, FormAlert, TextArea, action_error};
use crate::error::AppError;
use crate::layout::ErrorTemplate;
use crate::time::Time;

#[component]
pub fn StatusPageAdmin() -> impl IntoView {
    let save = ServerAction::<SaveStatusSettings>::new();
    let add = ServerAction::<AddStatusComponent>::new();
    let update = ServerAction::<UpdateStatusComponent>::new();
    let remove = ServerAction::<RemoveStatusComponent>::new();
    let unsubscribe = ServerAction::<RemoveStatusSubscriber>::new();
    let data = Resource::new(|| (), |_| get_status_admin());
    view! {
        <Title text="Status page" />
        <section class="page">
            <header class="page-header">
                <h1>"Status page"</h1>
                <p class="page-header__lede">"A public page at /status where customers see what works and what is being fixed. Responders publish an incident to it from the incident's page, in customer-facing words; nothing internal is shown there."</p>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let StatusAdmin { settings, components, subscribers } = data.await?;
                        Ok::<_, AppError>(view! {
                            <SettingsCard settings save />
                            <ComponentsCard components add update remove />
                            <SubscribersCard board=subscribers remove=unsubscribe />
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

#[component]
fn SettingsCard(settings: StatusSettings, save: ServerAction<SaveStatusSettings>) -> impl IntoView {
    let error = Signal::derive(move || action_error(save.value().get()));
    let field =
        move |n: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(n)));
    let links: String = settings
        .links
        .iter()
        .map(|l| format!("{} | {}\n", l.label, l.url))
        .collect();
    view! {
        <section class="card stack" aria-labelledby="status-settings-title">
            <div class="card__header">
                <h2 id="status-settings-title">"Settings"</h2>
                {if settings.enabled {
                    view! { <a class="button button--small" href="/status" data-testid="status-page-link">"Open the public page"</a> }.into_any()
                } else {
                    view! { <span class="status status--off">"Off"</span> }.into_any()
                }}
            </div>
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <FormAlert error fields=&["name", "logo_url", "brand_colour", "links", "impacts", "postmortem_sections"] />
                <input type="hidden" name="form[version]" value=settings.version.to_string() />
                <label class="checkbox" for="status-enabled">
                    <input type="checkbox" id="status-enabled" name="form[enabled]" value="on" checked=settings.enabled />
                    "Publish the page at /status (anyone can read it, without signing in)"
                </label>
                <Field label="Name" name="form[name]" required=true value=settings.name.clone() hint="Shown at the top, for example “Acme status”." error=field("name") />
                <Field label="Logo address" name="form[logo_url]" kind="url" value=settings.logo_url.clone().unwrap_or_default() hint="An https:// address of an image, shown beside the name. Optional." error=field("logo_url") />
                <Field label="Header colour" name="form[brand_colour]" value=settings.brand_colour.clone() hint="Like #1f4f8f. The header's text is black or white, whichever reads better." error=field("brand_colour") />
                <div class="field" class:field--invalid=move || field("links").get().is_some()>
                    <label class="field__label" for="status-links">"Links"</label>
                    <p class="field__hint" id="status-links-hint">"One a line, “Label | https://…”: your home page, support, a contact."</p>
                    <TextArea id="status-links" name="form[links]" rows=3 value=links describedby="status-links-hint status-links-error" />
                    {move || field("links").get().map(|m| view! { <p class="field__error" id="status-links-error">{m}</p> })}
                </div>
                <fieldset class="fieldset">
                    <legend class="field__label">"What a published incident shows, by severity"</legend>
                    <p class="field__hint">"The commander can choose another state for one incident when publishing it."</p>
                    <div class="impact-grid">
                        {settings.impacts.into_iter().map(|i| {
                            let id = format!("impact-{}", i.severity_id);
                            view! {
                                <label for=id.clone()>{i.severity.clone()}</label>
                                <input type="hidden" name="form[impact_ids][]" value=i.severity_id.to_string() />
                                <select class="field__input" id=id name="form[impact_states][]">
                                    {ComponentState::impacts().map(|s| view! {
                                        <option value=s.as_str() selected=s == i.state>{s.label()}</option>
                                    }).collect_view()}
                                </select>
                            }
                        }).collect_view()}
                    </div>
                    {move || field("impacts").get().map(|m| view! { <p class="field__error">{m}</p> })}
                </fieldset>
                <fieldset class="fieldset">
                    <legend class="field__label">"Postmortem sections customers read"</legend>
                    <p class="field__hint">"Once an incident's postmortem is published, its public page shows these sections (blameless, as written). None ticked: postmortems stay internal. The timeline is never shown."</p>
                    <div class="checkbox-grid">
                        {settings.section_choices.iter().enumerate().map(|(n, title)| {
                            let id = format!("public-section-{n}");
                            view! {
                                <label class="checkbox" for=id.clone()>
                                    <input type="checkbox" id=id.clone() name="form[postmortem_sections][]" value=title.clone() checked=settings.postmortem_sections.contains(title) />
                                    {title.clone()}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    {move || field("postmortem_sections").get().map(|m| view! { <p class="field__error">{m}</p> })}
                </fieldset>
                <button class="button button--primary" type="submit">"Save settings"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn ComponentsCard(
    components: Vec<ComponentView>,
    add: ServerAction<AddStatusComponent>,
    update: ServerAction<UpdateStatusComponent>,
    remove: ServerAction<RemoveStatusComponent>,
) -> impl IntoView {
    let add_error = Signal::derive(move || action_error(add.value().get()));
    let field = move |n: &'static str| {
        Signal::derive(move || add_error.get().and_then(|e| e.field_message(n)))
    };
    let row_error = Signal::derive(move || {
        action_error(update.value().get()).or_else(|| action_error(remove.value().get()))
    });
    view! {
        <section class="card stack" id="components" aria-labelledby="status-components-title">
            <h2 id="status-components-title">"Components"</h2>
            <p class="muted">"The services customers see, under the names they know. Group them (for example “API”, “Dashboard”) and order them; an incident published to the page shows its state on the components it names."</p>
            <FormAlert error=row_error fields=&[] />
            {if components.is_empty() {
                view! { <p class="empty-note">"No component yet: add the services customers would notice below."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list component-list">
                        {components.into_iter().map(|c| view! { <ComponentRow component=c update remove /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <div class="stack" data-testid="add-component">
            <h3>"Add a component"</h3>
            <ActionForm action=add attr:class="form" attr:novalidate=true>
                <FormAlert error=add_error fields=&["service", "name", "description", "group"] />
                <PickerField
                    kind=ChoiceKind::Services
                    id="status-component-service"
                    name="form[service]"
                    label="Service"
                    hint="Its internal name is never shown on the public page."
                    error=field("service")
                />
                // Not a `Field`: its id would repeat the settings form's name field.
                <div class="field" class:field--invalid=move || field("name").get().is_some()>
                    <label class="field__label" for="new-component-name">"Public name"</label>
                    <p class="field__hint" id="new-component-name-hint">"Empty: the service's name."</p>
                    <input class="field__input" id="new-component-name" name="form[name]" aria-describedby="new-component-name-hint new-component-name-error" />
                    {move || field("name").get().map(|m| view! { <p class="field__error" id="new-component-name-error">{m}</p> })}
                </div>
                <Field label="Group" name="form[group]" hint="Optional." error=field("group") />
                <Field label="Description" name="form[description]" hint="One sentence customers understand. Optional." error=field("description") />
                <button class="button button--primary" type="submit">"Add component"</button>
            </ActionForm>
            </div>
        </section>
    }
}

#[component]
fn ComponentRow(
    component: ComponentView,
    update: ServerAction<UpdateStatusComponent>,
    remove: ServerAction<RemoveStatusComponent>,
) -> impl IntoView {
    let id = component.id;
    let input = move |what: &str| format!("component-{id}-{what}");
    // Its refused fields come keyed to it (`AppError::for_item`): said in its own form.
    let error = Signal::derive(move || action_error(update.value().get())?.of_item(id));
    let remove_label = format!("Remove {} from the page", component.name);
    view! {
        <li class="component-edit stack" data-testid="status-component">
            <p><strong>{component.name.clone()}</strong><span class="muted">{format!(" · service {}", component.service_name)}</span></p>
            <ActionForm action=update attr:class="component-edit__form">
                <input type="hidden" name="id" value=id.to_string() />
                <FormAlert error fields=&[] />
                <div class="field">
                    <label class="field__label" for=input("name")>"Public name"</label>
                    <input class="field__input" id=input("name") name="form[name]" value=component.name.clone() />
                </div>
                <div class="field">
                    <label class="field__label" for=input("group")>"Group"</label>
                    <input class="field__input" id=input("group") name="form[group]" value=component.group.clone() />
                </div>
                <div class="field">
                    <label class="field__label" for=input("description")>"Description"</label>
                    <input class="field__input" id=input("description") name="form[description]" value=component.description.clone() />
                </div>
                <div class="field component-edit__order">
                    <label class="field__label" for=input("position")>"Order"</label>
                    <input class="field__input" id=input("position") name="form[position]" type="number" value=component.position.to_string() />
                </div>
                <button class="button button--small" type="submit">"Save"</button>
            </ActionForm>
            <ActionForm action=remove attr:class="inline-form">
                <input type="hidden" name="id" value=id.to_string() />
                <button class="button button--small button--quiet" type="submit" aria-label=remove_label>"Remove"</button>
            </ActionForm>
        </li>
    }
}

/// Who follows the page by email or webhook: counts, the latest, and a way to remove one.
#[component]
fn SubscribersCard(
    board: SubscriberBoard,
    remove: ServerAction<RemoveStatusSubscriber>,
) -> impl IntoView {
    let error = Signal::derive(move || action_error(remove.value().get()));
    let SubscriberBoard {
        email,
        webhook,
        pending,
        latest,
        failed,
        mail_enabled,
    } = board;
    let shown = latest.len() as u64;
    view! {
        <section class="card stack" id="subscribers" aria-labelledby="status-subscribers-title">
            <h2 id="status-subscribers-title">"Subscribers"</h2>
            <p class="muted">"Customers subscribe from the public page; each confirms first and can leave from any message. They are told when an incident is published or updated and when maintenance is scheduled, changed, ended or called off."</p>
            <p data-testid="subscriber-counts">
                {format!("{email} by email · {webhook} by webhook · {pending} waiting for confirmation")}
            </p>
            {(!mail_enabled).then(|| view! {
                <p class="field__hint">"Email is not offered: start Vigil with --smtp-url (and --mail-from) to send it."</p>
            })}
            {(failed > 0).then(|| view! {
                <p class="status status--danger">{format!("{failed} message(s) could not be delivered in the last week, after every retry.")}</p>
            })}
            <FormAlert error fields=&[] />
            {if latest.is_empty() {
                view! { <p class="empty-note">"No confirmed subscriber yet."</p> }.into_any()
            } else {
                view! {
                    <DataTable
                        caption=format!("The latest {shown} confirmed subscribers")
                        columns=vec![Column::text("Address"), Column::text("By"), Column::text("Since"), Column::actions()]
                        testid="status-subscribers"
                    >
                        {latest.into_iter().map(|s| {
                            let label = format!("Remove {}", s.address);
                            view! {
                                <tr>
                                    <td class="table__details">{s.address.clone()}</td>
                                    <td>{s.kind.label()}</td>
                                    <td>{s.confirmed_at.map(|at| view! { <Time at /> })}</td>
                                    <td>
                                        <ActionForm action=remove attr:class="inline-form">
                                            <input type="hidden" name="id" value=s.id.to_string() />
                                            <button class="button button--small button--quiet" type="submit" aria-label=label>"Remove"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </DataTable>
                }.into_any()
            }}
        </section>
    }
}
