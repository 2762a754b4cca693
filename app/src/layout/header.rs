use leptos::prelude::*;
use leptos_router::components::A;

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
                <A href="/" attr:class="brand">
                    <svg class="brand__mark" viewBox="0 0 24 24" aria-hidden="true">
                        <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2" />
                        <circle cx="12" cy="12" r="3.5" fill="currentColor" />
                    </svg>
                    <span class="brand__name">"Vigil"</span>
                </A>
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
                                None => view! { <A href="/login" attr:class="button button--small">"Sign in"</A> }.into_any(),
                            }
                        })}
                    </Suspense>
                </div>
            </div>
        </header>
    }
}

#[component]
fn SignedInNav(user: CurrentUser) -> impl IntoView {
    view! {
        <nav class="site-nav" aria-label="Primary">
            <A href="/" exact=true>"Overview"</A>
            <A href="/incidents">"Incidents"</A>
            <A href="/postmortems">"Postmortems"</A>
            <A href="/action-items">"Action items"</A>
            <A href="/services">"Services"</A>
            <A href="/dashboard">"Reliability"</A>
            {user.role.is_admin().then(|| view! {
                <A href="/admin/users">"Users"</A>
                <A href="/admin/severities">"Severities"</A>
                <A href="/admin/alerts">"Alerts"</A>
                <A href="/admin/notifications">"Notifications"</A>
                <A href="/admin/postmortem-template">"Template"</A>
                <A href="/admin/audit">"Audit log"</A>
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
            <A href="/account" attr:class="user-menu__name" attr:data-testid="current-user">
                {user.display_name}
            </A>
            <span class="badge">{user.role.label()}</span>
            <ActionForm action=sign_out attr:class="inline-form">
                <button type="submit" class="button button--small">"Sign out"</button>
            </ActionForm>
        </div>
    }
}
