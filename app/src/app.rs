//! The HTML shell and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::home::HomePage;
use crate::layout::{Header, NotFoundPage, theme::Theme};

/// The document around every server-rendered page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = Theme::from_request();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.attribute()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout around the routed page.
///
/// Routes render with `SsrMode::Async`: the server waits for a page's data and sends it
/// whole, so every page works with JavaScript off (out-of-order streaming needs scripts).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    crate::layout::hydration::mark_hydrated();

    view! {
        <Stylesheet id="vigil" href="/pkg/vigil.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Vigil".to_owned() } else { format!("{page} · Vigil") }
        } />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header />
            <main id="main" class="main" tabindex="-1">
                <Routes fallback=NotFoundPage>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
