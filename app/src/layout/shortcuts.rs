//! Keyboard shortcuts once hydrated: `n` declares, `/` searches, `g` then a letter goes
//! to a section, `?` lists them. Never while typing in a field and never with Ctrl, Alt
//! or Meta held, so they cannot eat a character or a browser shortcut. Going somewhere is
//! a page load, so the new page's autofocus field (a form's first) takes the focus.

use leptos::prelude::*;

/// The keys and what they do, as the `?` dialog lists them.
pub const SHORTCUTS: [(&str, &str); 8] = [
    ("n", "Declare an incident"),
    (
        "/",
        "Search: this page's search field, else go to the incident list",
    ),
    ("g o", "Go to the overview"),
    ("g i", "Go to incidents"),
    ("g p", "Go to postmortems"),
    ("g a", "Go to action items"),
    ("g d", "Go to the reliability dashboard"),
    ("?", "Show these shortcuts"),
];

/// What a key press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    Declare,
    Search,
    /// `g`: the next key names a section.
    Prefix,
    Go(&'static str),
    Help,
}

/// The shortcut `key` (a `KeyboardEvent.key`) means, `after_g` when the key before it
/// was a `g`. A `g` followed by anything else is dropped, as is any other key.
pub fn decide(key: &str, after_g: bool) -> Option<Shortcut> {
    if after_g {
        return match key {
            "o" => Some(Shortcut::Go("/")),
            "i" => Some(Shortcut::Go("/incidents")),
            "p" => Some(Shortcut::Go("/postmortems")),
            "a" => Some(Shortcut::Go("/action-items")),
            "d" => Some(Shortcut::Go("/dashboard")),
            _ => None,
        };
    }
    match key {
        "n" => Some(Shortcut::Declare),
        "/" => Some(Shortcut::Search),
        "g" => Some(Shortcut::Prefix),
        "?" => Some(Shortcut::Help),
        _ => None,
    }
}

/// The listener and the `?` dialog. Renders nothing on the server: without JavaScript
/// there are no shortcuts to list. The island on every page, so it also marks the page
/// hydrated and tells the server the browser's zone.
#[island]
pub fn Shortcuts() -> impl IntoView {
    super::hydration::mark_hydrated();
    crate::time::remember_browser_zone();
    let hydrated = super::hydration::use_hydrated();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    #[cfg(feature = "hydrate")]
    client::listen(dialog);
    view! {
        <Show when=move || hydrated.get()>
            <dialog class="shortcuts" node_ref=dialog aria-labelledby="shortcuts-title">
                <h2 id="shortcuts-title" class="card__title">"Keyboard shortcuts"</h2>
                <dl class="shortcuts__list">
                    {SHORTCUTS.iter().map(|&(keys, what)| view! {
                        <div>
                            <dt>{keys.split(' ').map(|k| view! { <kbd>{k}</kbd> " " }).collect_view()}</dt>
                            <dd>{what}</dd>
                        </div>
                    }).collect_view()}
                </dl>
                <p class="muted">"Not while typing in a field."</p>
                <form method="dialog">
                    <button class="button" type="submit" autofocus>"Close"</button>
                </form>
            </dialog>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;

    use super::{Shortcut, decide};

    /// Whether the key went to something that takes typing.
    fn typing(ev: &web_sys::KeyboardEvent) -> bool {
        let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return false;
        };
        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
            || el.closest("[contenteditable]").ok().flatten().is_some()
    }

    fn focus(selector: &str) -> bool {
        let found = document()
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = &found {
            let _ = el.focus();
        }
        found.is_some()
    }

    /// Goes to `path`: a page load (the pages are rendered on the server).
    fn go(path: &str) {
        let _ = window().location().set_href(path);
    }

    pub fn listen(dialog: NodeRef<leptos::html::Dialog>) {
        let after_g = StoredValue::new(false);
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.default_prevented()
                || ev.ctrl_key()
                || ev.alt_key()
                || ev.meta_key()
                || typing(&ev)
                || dialog.get_untracked().is_some_and(|d| d.open())
            {
                after_g.set_value(false);
                return;
            }
            let shortcut = decide(&ev.key(), after_g.get_value());
            after_g.set_value(shortcut == Some(Shortcut::Prefix));
            let Some(shortcut) = shortcut else { return };
            ev.prevent_default();
            match shortcut {
                Shortcut::Prefix => {}
                Shortcut::Declare => go("/incidents/new"),
                Shortcut::Go(path) => go(path),
                Shortcut::Search => {
                    // Elsewhere, the incidents and their search; `/` there focuses it.
                    if !focus("main input[type=search]") {
                        go("/incidents");
                    }
                }
                Shortcut::Help => {
                    if let Some(d) = dialog.get_untracked() {
                        let _ = d.show_modal();
                    }
                }
            }
        });
        on_cleanup(move || handle.remove());
    }
}

#[cfg(test)]
mod tests {
    use super::{Shortcut, decide};

    #[test]
    fn keys_map_to_shortcuts_and_g_names_a_section() {
        assert_eq!(decide("n", false), Some(Shortcut::Declare));
        assert_eq!(decide("/", false), Some(Shortcut::Search));
        assert_eq!(decide("?", false), Some(Shortcut::Help));
        assert_eq!(decide("g", false), Some(Shortcut::Prefix));
        assert_eq!(decide("i", true), Some(Shortcut::Go("/incidents")));
        assert_eq!(decide("p", true), Some(Shortcut::Go("/postmortems")));
        assert_eq!(decide("a", true), Some(Shortcut::Go("/action-items")));
        assert_eq!(decide("d", true), Some(Shortcut::Go("/dashboard")));
        assert_eq!(decide("o", true), Some(Shortcut::Go("/")));
        // A section letter alone, or `g` then something else, does nothing.
        assert_eq!(decide("i", false), None);
        assert_eq!(decide("n", true), None);
        assert_eq!(decide("N", false), None);
        assert_eq!(decide("Enter", false), None);
    }
}
