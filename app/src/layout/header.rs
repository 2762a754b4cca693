use leptos::prelude::*;
use leptos_router::hooks::use_location;

use super::theme::ThemeToggle;
use crate::accounts::CurrentUser;
use crate::accounts::server_fns::SignOut;
use crate::accounts::use_current_user;

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

/// Whether the page at `path` is `href` or a page under it: the link that gets
/// `aria-current="page"`. The overview (`/`) is current only on itself.
fn is_current(href: &str, path: &str) -> bool {
    path == href
        || path
            .strip_prefix(href)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Everyone's sections.
const SECTIONS: [(&str, &str); 8] = [
    ("/", "Overview"),
    ("/incidents", "Incidents"),
    ("/changes", "Changes"),
    ("/postmortems", "Postmortems"),
    ("/action-items", "Action items"),
    ("/services", "Services"),
    ("/playbooks", "Playbooks"),
    ("/dashboard", "Reliability"),
];
/// An admin's pages, under one "Admin" menu.
const ADMIN_SECTIONS: [(&str, &str); 12] = [
    ("/admin/users", "Users"),
    ("/admin/severities", "Severities"),
    ("/admin/incident-types", "Incident types"),
    ("/admin/fields", "Custom fields"),
    ("/admin/rules", "Rules"),
    ("/admin/alerts", "Alerts"),
    ("/admin/change-sources", "Change sources"),
    ("/admin/notifications", "Notifications"),
    ("/admin/status-page", "Status page"),
    ("/admin/postmortem-template", "Postmortem template"),
    ("/admin/audit", "Audit log"),
    ("/admin/about", "About"),
];

/// The navigation twice, one shown at a time by the stylesheet: a row of links with an
/// Admin disclosure on wide screens, one "Menu" disclosure on narrow ones. Disclosures
/// are `<details>`, so they work without JavaScript and start closed on every page.
#[component]
fn SignedInNav(user: CurrentUser) -> impl IntoView {
    let path = use_location().pathname;
    let admin = user.role.is_admin();
    let links = move |sections: &'static [(&'static str, &'static str)]| {
        sections
            .iter()
            .map(|&(href, label)| view! {
                <a href=href aria-current=move || path.with(|p| is_current(href, p)).then_some("page")>{label}</a>
            })
            .collect_view()
    };
    let in_admin = move || path.with(|p| p.starts_with("/admin/"));
    view! {
        <nav class="site-nav" aria-label="Primary">
            {links(&SECTIONS)}
            {admin.then(|| view! {
                <details class="nav-menu">
                    <summary class="nav-menu__summary" class:nav-menu__summary--current=in_admin>"Admin"</summary>
                    <div class="nav-menu__panel">{links(&ADMIN_SECTIONS)}</div>
                </details>
            })}
        </nav>
        <details class="site-menu">
            <summary class="button button--small site-menu__summary">"Menu"</summary>
            <nav class="site-menu__panel" aria-label="Primary">
                {links(&SECTIONS)}
                {admin.then(|| view! {
                    <p class="site-menu__group">"Admin"</p>
                    {links(&ADMIN_SECTIONS)}
                })}
                <a href="/account" aria-current=move || path.with(|p| is_current("/account", p)).then_some("page")>"Your account"</a>
            </nav>
        </details>
    }
}

#[component]
fn UserMenu(user: CurrentUser) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
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
        assert!(is_current("/incidents", "/incidents"));
        assert!(is_current("/incidents", "/incidents/INC-4"));
        assert!(!is_current("/incidents", "/incidents-archive"));
        assert!(!is_current("/incidents", "/"));
        assert!(is_current("/", "/"));
        assert!(!is_current("/", "/incidents"));
    }
}
