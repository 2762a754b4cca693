use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::PostmortemBadge;
use crate::components::{Column, DataTable};
use crate::layout::ErrorTemplate;
use crate::postmortems::PostmortemStatus;
use crate::postmortems::server_fns::list_postmortems;
use crate::time::Time;

/// Postmortems, most recently changed first, with search over their text. Viewers see
/// the published ones; responders and admins also see drafts and reviews.
#[component]
pub fn PostmortemsPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let list = Resource::new(
        move || {
            (
                param("q"),
                param("status"),
                param("page").and_then(|p| p.parse::<u64>().ok()),
            )
        },
        |(q, status, page)| list_postmortems(q, status, page),
    );
    let link = move |page: u64| {
        let mut pairs: Vec<String> = ["q", "status"]
            .into_iter()
            .filter_map(|k| param(k).map(|v| format!("{k}={}", crate::components::urlencode(&v))))
            .collect();
        pairs.push(format!("page={page}"));
        format!("/postmortems?{}", pairs.join("&"))
    };

    view! {
        <Title text="Postmortems" />
        <section class="page">
            <header class="page-header">
                <h1>"Postmortems"</h1>
                <p class="page-header__lede">"What we learned from each incident, written without blame. Start one from its incident's page."</p>
            </header>
            <form class="filters card" method="get" action="/postmortems" role="search">
                <div class="field">
                    <label class="field__label" for="pm-q">"Search"</label>
                    <input class="field__input" id="pm-q" name="q" type="search" value=move || param("q").unwrap_or_default() />
                </div>
                <div class="field">
                    <label class="field__label" for="pm-status">"Status"</label>
                    <select class="field__input" id="pm-status" name="status">
                        <option value="">"Any"</option>
                        {PostmortemStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=move || param("status").as_deref() == Some(s.as_str())>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button class="button" type="submit">"Search"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        list.await.map(|list| {
                            if list.postmortems.is_empty() {
                                return view! { <p class="empty-note">"No postmortems match."</p> }.into_any();
                            }
                            let (page, pages) = (list.page, list.pages);
                            view! {
                                <DataTable
                                    caption="Postmortems"
                                    columns=vec![Column::text("Postmortem"), Column::text("Incident"), Column::text("Status"), Column::text("Last change")]
                                >
                                    {list.postmortems.into_iter().map(|p| view! {
                                        <tr>
                                            <td><a href=format!("/incidents/{}/postmortem", p.incident)>{p.title}</a></td>
                                            <td><a href=format!("/incidents/{}", p.incident)>{p.incident.to_string()}</a>" " <span class="muted">{p.incident_title}</span></td>
                                            <td><PostmortemBadge status=p.status /></td>
                                            <td><Time at=p.updated_at /></td>
                                        </tr>
                                    }).collect_view()}
                                </DataTable>
                                <nav class="pagination" aria-label="Pages">
                                    {(page > 1).then(|| view! { <a class="button button--small" href=link(page - 1)>"Previous"</a> })}
                                    <span class="muted">{format!("Page {page} of {pages} · {} in all", list.total)}</span>
                                    {(page < pages).then(|| view! { <a class="button button--small" href=link(page + 1)>"Next"</a> })}
                                </nav>
                            }.into_any()
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
