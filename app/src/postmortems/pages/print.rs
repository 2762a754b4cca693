//! A postmortem alone, for paper or PDF.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::detail::{Heading, LinkedActionItems};
use crate::error::AppError;
use crate::layout::ErrorTemplate;
use crate::postmortems::server_fns::get_postmortem_detail;
use crate::postmortems::template::ACTION_ITEMS;

/// The postmortem alone, for paper or PDF: no editor, no review, no navigation clutter.
#[component]
pub fn PostmortemPrintPage() -> impl IntoView {
    let params = use_params_map();
    let detail = Resource::new(
        move || params.read().get("reference").unwrap_or_default(),
        get_postmortem_detail,
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                {move || Suspend::new(async move {
                    let detail = detail.await?;
                    let pm = detail.postmortem;
                    Ok::<_, AppError>(view! {
                        <Title text=pm.title.clone() />
                        <article class="page postmortem postmortem--print">
                            <Heading pm=pm.clone() causes=detail.causes.clone() fields=detail.fields.clone() />
                            {pm.sections.into_iter().map(|s| {
                                let items = (s.title == ACTION_ITEMS).then(|| view! { <LinkedActionItems reference=pm.incident.reference.to_string() /> });
                                view! {
                                    <section class="postmortem__section">
                                        <h2>{s.title}</h2>
                                        <div class="prose" inner_html=s.body_html></div>
                                        {items}
                                    </section>
                                }
                            }).collect_view()}
                        </article>
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}
