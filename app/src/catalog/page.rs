use leptos::prelude::*;
use leptos_meta::Title;

use super::server_fns::{CreateService, list_services};
use crate::app::use_current_user;
use crate::components::{Field, FormAlert, action_error};
use crate::layout::ErrorTemplate;

/// The services incidents can affect; admins add new ones.
#[component]
pub fn ServicesPage() -> impl IntoView {
    let create = ServerAction::<CreateService>::new();
    let services = Resource::new(move || create.version().get(), |_| list_services());
    let user = use_current_user();
    let error = Signal::derive(move || action_error(create.value().get()));
    let field =
        move |n: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(n)));

    view! {
        <Title text="Services" />
        <section class="page">
            <header class="page-header">
                <h1>"Services"</h1>
                <p class="page-header__lede">"What incidents affect, and who owns it."</p>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        services.await.map(|list| {
                            if list.is_empty() {
                                view! { <p class="empty-note">"No services yet."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                        <table class="table">
                                            <caption class="visually-hidden">"Services"</caption>
                                            <thead><tr><th scope="col">"Service"</th><th scope="col">"Owner team"</th></tr></thead>
                                            <tbody>
                                                {list.into_iter().map(|s| view! {
                                                    <tr><td>{s.name}</td><td>{s.owner_team.unwrap_or_default()}</td></tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
            <Suspense>
                {move || Suspend::new(async move {
                    user.await.ok().flatten().filter(|u| u.role.is_admin()).map(|_| view! {
                        <section class="card stack" aria-labelledby="add-service-title">
                            <h2 id="add-service-title">"Add a service"</h2>
                            <ActionForm action=create attr:class="form form--inline" attr:novalidate=true>
                                <FormAlert error fields=&["name", "owner_team"] />
                                <Field label="Name" name="name" required=true error=field("name") />
                                <Field label="Owner team" name="owner_team" error=field("owner_team") />
                                <button class="button button--primary" type="submit">"Add service"</button>
                            </ActionForm>
                        </section>
                    })
                })}
            </Suspense>
        </section>
    }
}
