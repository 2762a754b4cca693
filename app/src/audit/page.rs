use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::server_fns::get_audit_log;
use crate::components::{Column, DataTable};
use crate::layout::ErrorTemplate;
use crate::time::{ViewerZone, ZoneNote};

/// The audit log for admins, newest first, fifty to a page.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
    };
    let log = Resource::new(page, get_audit_log);
    let zone = ViewerZone::current();

    view! {
        <Title text="Audit log" />
        <section class="page">
            <header class="page-header">
                <h1>"Audit log"</h1>
                <p class="page-header__lede">"Sign-ins and every change to accounts, newest first. " <ZoneNote /></p>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || {
                        let zone = zone.clone();
                        Suspend::new(async move {
                        log.await.map(|log| {
                            let (current, pages) = (log.page, log.pages);
                            view! {
                                <DataTable
                                    caption="Audit log"
                                    columns=vec![Column::text("When"), Column::text("Who"), Column::text("Action"), Column::text("About"), Column::text("From"), Column::text("Details")]
                                >
                                    {log.entries.into_iter().map(|e| view! {
                                        <tr>
                                            <td><time datetime=e.occurred_at.to_rfc3339()>{zone.local(e.occurred_at).format("%Y-%m-%d %H:%M:%S").to_string()}</time></td>
                                            <td>{e.actor.unwrap_or_else(|| "anonymous".into())}</td>
                                            <td><code>{e.action}</code></td>
                                            <td>{e.subject.unwrap_or_default()}</td>
                                            <td>{e.ip.unwrap_or_default()}</td>
                                            <td class="table__details">{if e.details == "{}" { String::new() } else { e.details }}</td>
                                        </tr>
                                    }).collect_view()}
                                </DataTable>
                                <nav class="pagination" aria-label="Audit log pages">
                                    {(current > 1).then(|| view! { <a class="button button--small" href=format!("/admin/audit?page={}", current - 1)>"Newer"</a> })}
                                    <span class="muted">{format!("Page {current} of {pages}")}</span>
                                    {(current < pages).then(|| view! { <a class="button button--small" href=format!("/admin/audit?page={}", current + 1)>"Older"</a> })}
                                </nav>
                            }
                        })
                    })}}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
