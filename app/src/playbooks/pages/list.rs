use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::effect::EffectCard;
use crate::accounts::use_current_user;
use crate::components::{Column, DataTable};
use crate::layout::ErrorTemplate;
use crate::metrics::pages::url_params;
use crate::playbooks::server_fns::list_playbooks;
use crate::time::Time;

/// Every playbook: what it covers, how many steps, how often incidents used it.
#[component]
pub fn PlaybooksPage() -> impl IntoView {
    let param = url_params();
    let archived = move || param("archived").is_some_and(|a| a == "true");
    let rows = Resource::new(archived, |a| list_playbooks(Some(a)));
    let user = use_current_user();
    view! {
        <Title text="Playbooks" />
        <section class="page">
            <header class="page-header page-header--actions">
                <div>
                    <h1>"Playbooks"</h1>
                    <p class="page-header__lede">"Step-by-step checklists for repair. An incident that affects a playbook's services gets it as a checklist; every tick is on the timeline."</p>
                </div>
                <Suspense>
                    {move || Suspend::new(async move {
                        user.await.ok().flatten().filter(|u| u.role.can_write()).map(|_| view! {
                            <A href="/playbooks/new" attr:class="button button--primary">"Write a playbook"</A>
                        })
                    })}
                </Suspense>
            </header>
            <p class="muted">
                {move || if archived() {
                    view! { <a href="/playbooks">"Hide archived playbooks"</a> }
                } else {
                    view! { <a href="/playbooks?archived=true">"Show archived playbooks too"</a> }
                }}
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        rows.await.map(|list| {
                            if list.is_empty() {
                                return view! { <p class="empty-note">"No playbooks yet. Write down how to repair what breaks most: people who follow a good playbook restore service faster than people improvising."</p> }.into_any();
                            }
                            view! {
                                <DataTable
                                    caption="Playbooks"
                                    columns=vec![Column::text("Playbook"), Column::text("Services"), Column::num("Steps"), Column::num("Version"), Column::num("Used"), Column::text("Updated")]
                                    testid="playbooks"
                                >
                                    {list.into_iter().map(|p| view! {
                                        <tr class:row--muted=p.archived>
                                            <th scope="row">
                                                <A href=format!("/playbooks/{}", p.id)>{p.title}</A>
                                                {p.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}
                                            </th>
                                            <td>{if p.services.is_empty() {
                                                "attached by hand".to_owned()
                                            } else {
                                                p.services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
                                            }}</td>
                                            <td class="num">{p.steps}</td>
                                            <td class="num">{p.version}</td>
                                            <td class="num">{format!("{} incident{}", p.times_used, if p.times_used == 1 { "" } else { "s" })}</td>
                                            <td><Time at=p.updated_at /></td>
                                        </tr>
                                    }).collect_view()}
                                </DataTable>
                            }.into_any()
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
            <EffectCard own_window=true />
        </section>
    }
}
