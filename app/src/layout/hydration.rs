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

/// A signal that turns true after hydration: controls that need the client are
/// rendered only then, so nothing dead shows when JavaScript is off.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
