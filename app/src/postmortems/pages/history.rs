use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{Column, DataTable};
use crate::diff::Change;
use crate::layout::ErrorTemplate;
use crate::postmortems::server_fns::get_postmortem_history;
use crate::time::Time;

/// Every saved revision, and what changed between any two of them (a GET form, so the
/// comparison is a link to share and works without JavaScript).
#[component]
pub fn PostmortemHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = move |key: &str| query.read().get(key).and_then(|v| v.parse::<i32>().ok());
    let history = Resource::new(
        move || {
            (
                params.read().get("reference").unwrap_or_default(),
                number("from"),
                number("to"),
            )
        },
        |(reference, from, to)| get_postmortem_history(reference, from, to),
    );
    view! {
        <Title text="Revision history" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                {move || Suspend::new(async move {
                    history.await.map(|h| {
                        let newest = h.revisions.first().map(|r| r.version).unwrap_or(1);
                        let (from, to) = h.compared.unwrap_or((newest.saturating_sub(1).max(1), newest));
                        let revisions = h.revisions.clone();
                        let options = move |selected: i32| revisions.iter().map(|r| view! {
                            <option value=r.version.to_string() selected=r.version == selected>
                                {format!("Revision {} · {}", r.version, r.author)}
                            </option>
                        }).collect_view();
                        let (from_options, to_options) = (options(from), options(to));
                        let base = format!("/incidents/{}/postmortem", h.incident);
                        view! {
                            <section class="page">
                                <header class="page-header">
                                    <p class="incident__ref"><a href=base.clone()>{h.title.clone()}</a></p>
                                    <h1>"Revision history"</h1>
                                </header>
                                <form class="filters card" method="get" action=format!("{base}/history")>
                                    <div class="field">
                                        <label class="field__label" for="diff-from">"From"</label>
                                        <select class="field__input" id="diff-from" name="from">{from_options}</select>
                                    </div>
                                    <div class="field">
                                        <label class="field__label" for="diff-to">"To"</label>
                                        <select class="field__input" id="diff-to" name="to">{to_options}</select>
                                    </div>
                                    <button class="button" type="submit">"Compare"</button>
                                </form>
                                {h.compared.map(|(a, b)| {
                                    let changed: Vec<_> = h.diff.into_iter().filter(|d| d.changed).collect();
                                    view! {
                                        <section class="stack" aria-label=format!("Changes from revision {a} to {b}")>
                                            <h2>{format!("Changes from revision {a} to {b}")}</h2>
                                            {changed.is_empty().then(|| view! { <p class="empty-note">"No differences."</p> })}
                                            {changed.into_iter().map(|d| view! {
                                                <section class="card diff">
                                                    <h3>{d.title}</h3>
                                                    <pre class="diff__lines">{d.lines.into_iter().map(|l| {
                                                        let (class, sign, label) = match l.change {
                                                            Change::Added => ("diff__line diff__line--added", "+ ", "added"),
                                                            Change::Removed => ("diff__line diff__line--removed", "- ", "removed"),
                                                            Change::Same => ("diff__line", "  ", ""),
                                                        };
                                                        view! { <span class=class><span class="visually-hidden">{label}</span>{sign}{l.text}"\n"</span> }
                                                    }).collect_view()}</pre>
                                                </section>
                                            }).collect_view()}
                                        </section>
                                    }
                                })}
                                <DataTable
                                    caption="Revisions"
                                    columns=vec![Column::text("Revision"), Column::text("Saved by"), Column::text("When")]
                                >
                                    {h.revisions.iter().map(|r| view! {
                                        <tr><td>{r.version}</td><td>{r.author.clone()}</td><td><Time at=r.created_at /></td></tr>
                                    }).collect_view()}
                                </DataTable>
                            </section>
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
