use leptos::prelude::*;
use leptos_router::hooks::use_location;

use super::theme::ThemeToggle;
use crate::accounts::CurrentUser;
use crate::accounts::pages::reload_to;
use crate::accounts::server_fns::SignOut;
use crate::app::use_current_user;

/// The site header: brand, primary navigation and the signed-in user.
#[component]
pub fn Header() -> impl IntoView {
    let user = use_current_user();
    view! {
        <header class="site-header">
            <div class="site-header__inner">
                // Plain links throughout the header: the router still takes their clicks,
                // and every page would otherwise build a dozen router components for it.
                <a href="/" class="brand">
                    <svg class="brand__mark" viewBox="0 0 24 24" aria-hidden="true">
                        <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2" />
                        <circle cx="12" cy="12" r="3.5" fill="currentColor" />
                    </svg>
                    <span class="brand__name">"Vigil"</span>
                </a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await.ok().flatten() {
                            Some(user) => view! { <SignedInNav user /> }.into_any(),
                            None => view! { <div class="site-nav"></div> }.into_any(),
                        }
                    })}
                </Suspense>
                <div class="site-header__tools">
                    <ThemeToggle />
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            match user.await.ok().flatten() {
                                Some(user) => view! { <UserMenu user /> }.into_any(),
                                None => view! { <a href="/login" class="button button--small">"Sign in"</a> }.into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </div>
        </header>
    }
}

/// Whether the page at `path` is `href` or, unless `exact`, a page under it: the link
/// that gets `aria-current="page"`.
fn is_current(href: &str, path: &str, exact: bool) -> bool {
    path == href
        || (!exact
            && path
                .strip_prefix(href)
                .is_some_and(|rest| rest.starts_with('/')))
}

#[component]
fn SignedInNav(user: CurrentUser) -> impl IntoView {
    let path = use_location().pathname;
    let current = move |href: &'static str, exact: bool| {
        move || path.with(|p| is_current(href, p, exact)).then_some("page")
    };
    view! {
        <nav class="site-nav" aria-label="Primary">
            <a href="/" aria-current=current("/", true)>"Overview"</a>
            <a href="/incidents" aria-current=current("/incidents", false)>"Incidents"</a>
            <a href="/postmortems" aria-current=current("/postmortems", false)>"Postmortems"</a>
            <a href="/action-items" aria-current=current("/action-items", false)>"Action items"</a>
            <a href="/services" aria-current=current("/services", false)>"Services"</a>
            <a href="/dashboard" aria-current=current("/dashboard", false)>"Reliability"</a>
            {user.role.is_admin().then(|| view! {
                <a href="/admin/users" aria-current=current("/admin/users", false)>"Users"</a>
                <a href="/admin/severities" aria-current=current("/admin/severities", false)>"Severities"</a>
                <a href="/admin/alerts" aria-current=current("/admin/alerts", false)>"Alerts"</a>
                <a href="/admin/notifications" aria-current=current("/admin/notifications", false)>"Notifications"</a>
                <a href="/admin/postmortem-template" aria-current=current("/admin/postmortem-template", false)>"Template"</a>
                <a href="/admin/audit" aria-current=current("/admin/audit", false)>"Audit log"</a>
            })}
        </nav>
    }
}

#[component]
fn UserMenu(user: CurrentUser) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            reload_to("/login");
        }
    });
    view! {
        <div class="user-menu">
            <a href="/account" class="user-menu__name" data-testid="current-user">
                {user.display_name}
            </a>
            <span class="badge">{user.role.label()}</span>
            <ActionForm action=sign_out attr:class="inline-form">
                <button type="submit" class="button button--small">"Sign out"</button>
            </ActionForm>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::is_current;

    #[test]
    fn a_section_link_is_current_on_its_pages_and_no_others() {
        assert!(is_current("/incidents", "/incidents", false));
        assert!(is_current("/incidents", "/incidents/INC-4", false));
        assert!(!is_current("/incidents", "/incidents-archive", false));
        assert!(!is_current("/incidents", "/", false));
        assert!(is_current("/", "/", true));
        assert!(!is_current("/", "/incidents", true));
    }
}
