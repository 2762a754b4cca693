use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{ItemStatusBadge, due};
use crate::accounts::use_current_user;
use crate::action_items::server_fns::{UpdateActionItem, list_action_items};
use crate::action_items::{ActionItemView, ItemQuery, ItemStatus};
use crate::choices::ChoiceKind;
use crate::choices::picker::Picker;
use crate::components::{FormAlert, action_error, urlencode};
use crate::layout::ErrorTemplate;

/// Action items across all incidents, filtered in the URL (shareable, no JavaScript
/// needed). Pending items come first, soonest due first.
#[component]
pub fn ActionItemsPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let done = ServerAction::<UpdateActionItem>::new();
    let items = Resource::new(
        move || ItemQuery {
            owner: param("owner"),
            status: param("status"),
            service: param("service"),
            overdue: param("overdue"),
            incident: None,
            page: param("page").and_then(|p| p.parse::<u64>().ok()),
        },
        list_action_items,
    );
    let user = use_current_user();
    let link = move |page: u64| {
        let mut pairs: Vec<String> = ["owner", "status", "service", "overdue"]
            .into_iter()
            .filter_map(|k| param(k).map(|v| format!("{k}={}", urlencode(&v))))
            .collect();
        pairs.push(format!("page={page}"));
        format!("/action-items?{}", pairs.join("&"))
    };
    let here = move || {
        let search = query.read().to_query_string();
        format!("/action-items{search}")
    };
    let error = Signal::derive(move || action_error(done.value().get()));

    view! {
        <Title text="Action items" />
        <section class="page">
            <header class="page-header">
                <h1>"Action items"</h1>
                <p class="page-header__lede">"What incidents taught us to change, until it is done. Overdue items stand out."</p>
            </header>
            <form class="filters card" method="get" action="/action-items" role="search">
                <div class="field">
                    <label class="field__label" for="ai-owner">"Owner"</label>
                    <Picker kind=ChoiceKind::People id="ai-owner" name="owner" value=param("owner").unwrap_or_default() placeholder="Anyone, or “me”" />
                </div>
                <div class="field">
                    <label class="field__label" for="ai-status">"Status"</label>
                    <select class="field__input" id="ai-status" name="status">
                        <option value="">"Any"</option>
                        <option value="pending" selected=move || param("status").as_deref() == Some("pending")>"Still to do"</option>
                        {ItemStatus::ALL.iter().map(|s| view! {
                            <option value=s.as_str() selected=move || param("status").as_deref() == Some(s.as_str())>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label class="field__label" for="ai-service">"Service"</label>
                    <Picker kind=ChoiceKind::Services id="ai-service" name="service" value=param("service").unwrap_or_default() placeholder="Any" />
                </div>
                <label class="checkbox" for="ai-overdue">
                    <input type="checkbox" id="ai-overdue" name="overdue" value="1" checked=move || param("overdue").is_some() />
                    "Only overdue"
                </label>
                <button class="button" type="submit">"Filter"</button>
            </form>
            <FormAlert error fields=&[] />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let can_write = user.await.ok().flatten().is_some_and(|u| u.role.can_write());
                        items.await.map(|list| {
                            let (page, pages) = (list.page, list.pages);
                            view! {
                                <ActionItemsTable items=list.items show_incident=true quick_done=can_write.then_some((done, here())) />
                                <nav class="pagination" aria-label="Pages">
                                    {(page > 1).then(|| view! { <a class="button button--small" href=link(page - 1)>"Previous"</a> })}
                                    <span class="muted">{format!("Page {page} of {pages} · {} in all", list.total)}</span>
                                    {(page < pages).then(|| view! { <a class="button button--small" href=link(page + 1)>"Next"</a> })}
                                </nav>
                            }
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// A table of items; with `quick_done`, pending ones get a "Mark done" button that
/// returns to the given page.
#[component]
pub fn ActionItemsTable(
    items: Vec<ActionItemView>,
    show_incident: bool,
    #[prop(default = None)] quick_done: Option<(ServerAction<UpdateActionItem>, String)>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="empty-note">"No action items."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Action items">
            <table class="table action-items" data-testid="action-items">
                <caption class="visually-hidden">"Action items"</caption>
                <thead><tr>
                    <th scope="col">"Action item"</th>
                    {show_incident.then(|| view! { <th scope="col">"Incident"</th> })}
                    <th scope="col">"Owner"</th>
                    <th scope="col">"Due"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Type · priority"</th>
                    {quick_done.is_some().then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|item| {
                        let quick = quick_done.clone().filter(|_| item.status.is_pending()).map(|(action, back)| {
                            let i = item.clone();
                            view! {
                                <ActionForm action attr:class="inline-form">
                                    <input type="hidden" name="id" value=i.id.to_string() />
                                    <input type="hidden" name="version" value=i.version.to_string() />
                                    <input type="hidden" name="form[title]" value=i.title.clone() />
                                    <input type="hidden" name="form[description]" value=i.description.clone() />
                                    <input type="hidden" name="form[kind]" value=i.kind.as_str() />
                                    <input type="hidden" name="form[priority]" value=i.priority.as_str() />
                                    <input type="hidden" name="form[owner_id]" value=i.owner.as_ref().map(|o| o.id.to_string()).unwrap_or_default() />
                                    <input type="hidden" name="form[due_on]" value=i.due_on.map(|d| d.to_string()).unwrap_or_default() />
                                    <input type="hidden" name="form[tracker_url]" value=i.tracker_url.clone().unwrap_or_default() />
                                    <input type="hidden" name="form[status]" value="done" />
                                    <input type="hidden" name="return_to" value=back />
                                    <button class="button button--small" type="submit" aria-label=format!("Mark done: {}", i.title)>"Mark done"</button>
                                </ActionForm>
                            }
                        });
                        let has_quick = quick_done.is_some();
                        view! {
                            <tr class:action-items__row--overdue=item.overdue>
                                <td>
                                    {item.title.clone()}
                                    {item.tracker_url.clone().map(|url| view! { " " <a href=url rel="noopener noreferrer" target="_blank">"tracker"</a> })}
                                </td>
                                {show_incident.then(|| view! {
                                    <td><a href=format!("/incidents/{}#action-items", item.incident)>{item.incident.to_string()}</a></td>
                                })}
                                <td>{item.owner.clone().map(|o| o.name).unwrap_or_else(|| "Unassigned".into())}</td>
                                <td>{due(&item)}</td>
                                <td><ItemStatusBadge item=item.clone() /></td>
                                <td>{format!("{} · {}", item.kind.label(), item.priority.label())}</td>
                                {has_quick.then(|| view! { <td>{quick}</td> })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
