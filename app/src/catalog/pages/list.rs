use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::accounts::use_current_user;
use crate::components::{Column, DataTable};
use crate::layout::ErrorTemplate;
use crate::metrics::pages::{duration, percent, url_params};
use crate::metrics::server_fns::get_services_table;

/// The catalogue: every service with its headline numbers over the last 30 days (or the
/// chosen window).
#[component]
pub fn ServicesPage() -> impl IntoView {
    let param = url_params();
    let rows = Resource::new(move || param("window"), get_services_table);
    let user = use_current_user();
    view! {
        <Title text="Services" />
        <section class="page">
            <header class="page-header page-header--actions">
                <div>
                    <h1>"Services"</h1>
                    <p class="page-header__lede">"What incidents affect, who owns it, and how reliable it has been."</p>
                </div>
                <Suspense>
                    {move || Suspend::new(async move {
                        user.await.ok().flatten().filter(|u| u.role.is_admin()).map(|_| view! {
                            <A href="/services/new" attr:class="button button--primary">"Add a service"</A>
                        })
                    })}
                </Suspense>
            </header>
            <form class="filters filters--inline" method="get" action="/services" aria-label="Window">
                <div class="field">
                    <label class="field__label" for="services-window">"Numbers over"</label>
                    <select class="field__input" id="services-window" name="window">
                        {crate::metrics::report::PRESETS.into_iter().map(|d| view! {
                            <option value=d.to_string() selected=move || param("window").unwrap_or_else(|| "30".into()) == d.to_string()>{format!("the last {d} days")}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="filters__actions"><button class="button" type="submit">"Show"</button></div>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        rows.await.map(|list| {
                            if list.is_empty() {
                                view! { <p class="empty-note">"No services yet. An admin adds them here; incidents then say which ones they affect."</p> }.into_any()
                            } else {
                                view! {
                                    <DataTable
                                        caption="Services"
                                        columns=vec![Column::text("Service"), Column::text("Owner team"), Column::text("Tier"), Column::num("Availability"), Column::num("Incidents"), Column::num("MTTR (median)"), Column::text("SLO"), Column::num("Budget left")]
                                        testid="services"
                                    >
                                        {list.into_iter().map(|r| {
                                            let rel = r.reliability;
                                            view! {
                                                <tr class:row--muted=r.archived>
                                                    <th scope="row">
                                                        <A href=format!("/services/{}", r.service.slug)>{r.service.name}</A>
                                                        {r.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}
                                                    </th>
                                                    <td>{r.service.owner_team.unwrap_or_default()}</td>
                                                    <td>{format!("Tier {}", r.tier)}</td>
                                                    <td class="num">{rel.availability().map(percent).unwrap_or_default()}</td>
                                                    <td class="num">{rel.failures}</td>
                                                    <td class="num">{rel.restore.median.map(duration).unwrap_or_else(|| "—".into())}</td>
                                                    <td>{r.slo.map(|s| s.target_label()).unwrap_or_else(|| "none".into())}</td>
                                                    <td class="num">{r.budget_remaining.map(|f| if f < 0.0 { "exhausted".to_owned() } else { percent(f) }).unwrap_or_default()}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </DataTable>
                                }.into_any()
                            }
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
