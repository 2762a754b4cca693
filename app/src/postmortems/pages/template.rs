use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{FormAlert, TextArea, action_error};
use crate::layout::ErrorTemplate;
use crate::postmortems::server_fns::{
    ResetPostmortemTemplate, SavePostmortemTemplate, get_postmortem_template,
};

/// Admins shape the sections new postmortems start with: titles, guidance and order
/// (by the order numbers). Existing postmortems keep the sections they have.
#[component]
pub fn PostmortemTemplatePage() -> impl IntoView {
    let save = ServerAction::<SavePostmortemTemplate>::new();
    let reset = ServerAction::<ResetPostmortemTemplate>::new();
    let template = Resource::new(|| (), |_| get_postmortem_template());
    let query = use_query_map();
    let saved = move || {
        query.read().get("saved").is_some()
            || matches!(save.value().get(), Some(Ok(())))
            || matches!(reset.value().get(), Some(Ok(())))
    };
    let error = Signal::derive(move || action_error(save.value().get()));
    view! {
        <Title text="Postmortem template" />
        <section class="page page--narrow">
            <header class="page-header">
                <h1>"Postmortem template"</h1>
                <p class="page-header__lede">"The sections every new postmortem starts with. Leave a row empty to drop it; add one in the empty row at the end; change the order numbers to reorder."</p>
            </header>
            {move || saved().then(|| view! { <div class="alert alert--success" role="status">"Template saved."</div> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        template.await.map(|sections| {
                            let mut rows: Vec<(String, String, String)> = sections
                                .into_iter()
                                .map(|s| (s.title, s.guidance, s.starter))
                                .collect();
                            rows.push(Default::default());
                            view! {
                                <ActionForm action=save attr:class="form" attr:novalidate=true>
                                    <FormAlert error fields=&[] />
                                    <ol class="template-rows">
                                        {rows.into_iter().enumerate().map(|(i, (title, guidance, starter))| {
                                            let n = i + 1;
                                            view! {
                                                <li class="card stack template-row">
                                                    <div class="template-row__head">
                                                        <div class="field field--order">
                                                            <label class="field__label" for=format!("order-{n}")>"Order"</label>
                                                            <input class="field__input" id=format!("order-{n}") name="positions[]" type="number" min="1" value=n.to_string() />
                                                        </div>
                                                        <div class="field">
                                                            <label class="field__label" for=format!("title-{n}")>{format!("Section {n} title")}</label>
                                                            <input class="field__input" id=format!("title-{n}") name="titles[]" value=title />
                                                        </div>
                                                    </div>
                                                    <div class="field">
                                                        <label class="field__label" for=format!("guidance-{n}")>"Guidance"</label>
                                                        <TextArea id=format!("guidance-{n}") name="guidance[]" rows=2 value=guidance />
                                                    </div>
                                                    <input type="hidden" name="starters[]" value=starter />
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ol>
                                    <button class="button button--primary" type="submit">"Save template"</button>
                                </ActionForm>
                            }
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <ActionForm action=reset attr:class="inline-form">
                <button class="button button--small button--quiet" type="submit">"Restore the built-in template"</button>
            </ActionForm>
        </section>
    }
}
