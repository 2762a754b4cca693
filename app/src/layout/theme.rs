//! Light, dark or follow-the-system colour scheme, remembered in a cookie so the server
//! renders the right one on the first paint (no flash, no inline script).

use leptos::prelude::*;

use super::hydration::use_hydrated;

const COOKIE: &str = "vigil_theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            "light" => Self::Light,
            "dark" => Self::Dark,
            _ => Self::System,
        }
    }

    /// The value of `<html data-theme>`; absent when following the system.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Self::System => None,
            Self::Light => Some("light"),
            Self::Dark => Some("dark"),
        }
    }

    /// The order a toggle cycles through.
    pub fn next(self) -> Self {
        match self {
            Self::System => Self::Light,
            Self::Light => Self::Dark,
            Self::Dark => Self::System,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::System => "System theme",
            Self::Light => "Light theme",
            Self::Dark => "Dark theme",
        }
    }

    /// Reads the theme from a `Cookie` header value.
    pub fn from_cookie_header(header: &str) -> Self {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .map(|(_, value)| Self::parse(value))
            .unwrap_or(Self::System)
    }

    /// The theme the current request asked for (server), or the one on the page (client).
    pub fn from_request() -> Self {
        #[cfg(feature = "ssr")]
        {
            use_context::<http::request::Parts>()
                .and_then(|parts| {
                    parts
                        .headers
                        .get(http::header::COOKIE)
                        .and_then(|v| v.to_str().ok())
                        .map(Self::from_cookie_header)
                })
                .unwrap_or(Self::System)
        }
        #[cfg(not(feature = "ssr"))]
        {
            #[cfg(feature = "hydrate")]
            if let Some(value) = document()
                .document_element()
                .and_then(|el| el.get_attribute("data-theme"))
            {
                return Self::parse(&value);
            }
            Self::System
        }
    }
}

/// Cycles system → light → dark. Rendered only once hydrated: without JavaScript the
/// page follows the operating system's preference.
#[island]
pub fn ThemeToggle() -> impl IntoView {
    let hydrated = use_hydrated();
    let theme = RwSignal::new(Theme::System);
    Effect::new(move |_| theme.set(Theme::from_request()));

    let toggle = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        apply(next);
    };

    view! {
        <Show when=move || hydrated.get()>
            <button
                type="button"
                class="icon-button theme-toggle"
                data-theme-choice=move || theme.get().attribute().unwrap_or("system")
                aria-label=move || format!("{} (change theme)", theme.get().label())
                title=move || theme.get().label()
                on:click=toggle
            >
                <span aria-hidden="true">
                    {move || match theme.get() {
                        Theme::System => "◐",
                        Theme::Light => "☀",
                        Theme::Dark => "☾",
                    }}
                </span>
            </button>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
fn apply(theme: Theme) {
    use wasm_bindgen::JsCast;
    let doc = document();
    if let Some(root) = doc.document_element() {
        let _ = match theme.attribute() {
            Some(value) => root.set_attribute("data-theme", value),
            None => root.remove_attribute("data-theme"),
        };
    }
    let value = theme.attribute().unwrap_or("system");
    let cookie = format!("{COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax");
    let _ = doc
        .unchecked_into::<web_sys::HtmlDocument>()
        .set_cookie(&cookie);
}

#[cfg(not(feature = "hydrate"))]
fn apply(_theme: Theme) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_header_selects_the_theme() {
        assert_eq!(
            Theme::from_cookie_header("a=b; vigil_theme=dark"),
            Theme::Dark
        );
        assert_eq!(Theme::from_cookie_header("vigil_theme=light"), Theme::Light);
        assert_eq!(
            Theme::from_cookie_header("vigil_theme=<script>"),
            Theme::System
        );
        assert_eq!(Theme::from_cookie_header(""), Theme::System);
    }

    #[test]
    fn the_toggle_cycles_through_every_theme() {
        let mut seen = vec![Theme::System];
        let mut theme = Theme::System.next();
        while theme != Theme::System {
            seen.push(theme);
            theme = theme.next();
        }
        assert_eq!(seen, vec![Theme::System, Theme::Light, Theme::Dark]);
    }
}
