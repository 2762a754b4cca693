use leptos::prelude::*;
use leptos_router::components::A;

use super::theme::ThemeToggle;

/// The site header: brand, primary navigation and per-user controls.
#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="site-header__inner">
                <A href="/" attr:class="brand">
                    <svg class="brand__mark" viewBox="0 0 24 24" aria-hidden="true">
                        <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2" />
                        <circle cx="12" cy="12" r="3.5" fill="currentColor" />
                    </svg>
                    <span class="brand__name">"Vigil"</span>
                </A>
                <nav class="site-nav" aria-label="Primary">
                    <A href="/" exact=true>"Overview"</A>
                </nav>
                <div class="site-header__tools">
                    <ThemeToggle />
                </div>
            </div>
        </header>
    }
}
