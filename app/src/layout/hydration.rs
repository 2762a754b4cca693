//! Knowing whether the WASM client has taken over the page.

use leptos::prelude::*;

/// Marks `<html data-hydrated>` once the client has hydrated, so that browser tests (and
/// CSS) can tell a hydrated page from a server-rendered one, and the moment as the
/// performance mark `vigil-hydrated` (time to interactive, `make size`).
pub fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
        if let Some(performance) = window().performance() {
            let _ = performance.mark("vigil-hydrated");
        }
    });
}

/// Links that carry a form error (`__err`, `__path`) load from the server instead of
/// through the client router: the server shows such an error only to the browser whose
/// own form post it came from (`server/src/security.rs`), the router would show any.
pub fn vet_form_error_links() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{JsCast, closure::Closure};
        let on_click = Closure::<dyn Fn(web_sys::Event)>::new(|ev: web_sys::Event| {
            let Some(link) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a[href]").ok().flatten())
            else {
                return;
            };
            let href = link.get_attribute("href").unwrap_or_default();
            let decoded = js_sys::decode_uri_component(&href)
                .ok()
                .and_then(|d| d.as_string())
                .unwrap_or_else(|| href.clone());
            if decoded.contains("__err") || decoded.contains("__path") {
                let rel = link.get_attribute("rel").unwrap_or_default();
                let _ = link.set_attribute("rel", &format!("{rel} external"));
            }
        });
        // Capturing on the document runs before the router's listener on the window.
        let _ = document().add_event_listener_with_callback_and_bool(
            "click",
            on_click.as_ref().unchecked_ref(),
            true,
        );
        on_click.forget();
    }
}

/// A signal that turns true after hydration: controls that need the client are
/// rendered only then, so nothing dead shows when JavaScript is off.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
