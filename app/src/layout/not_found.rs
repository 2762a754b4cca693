use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Shown for any path no route matches; answers with HTTP 404 on the server.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Page not found" />
        <section class="page page--narrow empty-state">
            <p class="empty-state__code" aria-hidden="true">"404"</p>
            <h1>"Page not found"</h1>
            <p class="muted">
                "There is nothing at this address. It may have been moved, or the link may be mistyped."
            </p>
            <A href="/" attr:class="button button--primary">"Back to the overview"</A>
        </section>
    }
}
