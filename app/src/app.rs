//! The HTML shell and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode, StaticSegment,
    components::{Route, Router, Routes},
    path,
};

use crate::accounts::pages::{AccountPage, AdminUsersPage, LoginPage, LogoutPage, SetupPage};
use crate::accounts::{CurrentUserResource, server_fns::get_current_user};
use crate::action_items::pages::ActionItemsPage;
use crate::alerts::page::AlertSourcesPage;
use crate::audit::page::AuditLogPage;
use crate::catalog::pages::{EditServicePage, NewServicePage, ServicePage, ServicesPage};
use crate::changes::pages::ChangesPage;
use crate::changes::sources_page::ChangeSourcesPage;
use crate::fields::pages::{FieldsAdminPage, TypesAdminPage};
use crate::home::HomePage;
use crate::incidents::pages::{DeclarePage, IncidentPage, IncidentsPage, SeveritiesPage};
use crate::layout::{Header, NotFoundPage, theme::Theme};
use crate::metrics::pages::DashboardPage;
use crate::notifications::page::NotificationsPage;
use crate::playbooks::pages::{EditPlaybookPage, NewPlaybookPage, PlaybookPage, PlaybooksPage};
use crate::postmortems::pages::{
    PostmortemHistoryPage, PostmortemPage, PostmortemPrintPage, PostmortemTemplatePage,
    PostmortemsPage,
};
use crate::rules::pages::{NewRulePage, RulePage, RulesAdminPage};
use crate::status::admin_page::StatusPageAdmin;
use crate::status::maintenance_page::MaintenancePage;
use crate::system::page::AboutPage;
use crate::time::ViewerZone;

/// The document around every server-rendered page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = Theme::from_request();
    let zone = ViewerZone::from_request();
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.attribute() data-tz=zone.name().to_owned()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // The bundles' fingerprinted name (see the server's `site`): cached for a year.
                <link id="vigil" rel="stylesheet" href=format!("/pkg/{}.css", options.output_name) />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Scripts run only from our origin or with this response's nonce (Leptos' hydration
/// scripts carry it); WebAssembly may compile; nothing may frame the page.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    let (Some(nonce), Some(response)) =
        (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    // Signing out of a session begun at an OpenID provider goes on to the provider's
    // sign-out: the form's redirect must be allowed to go there.
    let providers = use_context::<crate::state::AppState>()
        .map(|state| state.sso.form_targets())
        .unwrap_or_default()
        .iter()
        .map(|origin| format!(" {origin}"))
        .collect::<String>();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'{providers}; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The application: layout around the routed page.
///
/// Routes render with `SsrMode::Async`: the server waits for a page's data and sends it
/// whole, so every page works with JavaScript off (out-of-order streaming needs scripts).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    ViewerZone::provide();
    let user: CurrentUserResource = Resource::new(|| (), |_| get_current_user());
    provide_context(user);

    view! {
        // leptos_meta writes the title into the server-rendered `<head>` unescaped, and titles
        // carry user input (incident titles).
        <Title formatter=|page: String| {
            crate::components::raw_text(&if page.is_empty() { "Vigil".to_owned() } else { format!("{page} · Vigil") })
        } />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header />
            <crate::layout::shortcuts::Shortcuts />
            <main id="main" class="main" tabindex="-1">
                <Routes fallback=NotFoundPage>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/logout") view=LogoutPage ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=AdminUsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AuditLogPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/about") view=AboutPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/severities") view=SeveritiesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/incident-types") view=TypesAdminPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/fields") view=FieldsAdminPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/rules") view=RulesAdminPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/rules/new") view=NewRulePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/rules/:id") view=RulePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/alerts") view=AlertSourcesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/change-sources") view=ChangeSourcesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/status-page") view=StatusPageAdmin ssr=SsrMode::Async />
                    <Route path=path!("/maintenance") view=MaintenancePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/notifications") view=NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("/incidents") view=IncidentsPage ssr=SsrMode::Async />
                    <Route path=path!("/incidents/new") view=DeclarePage ssr=SsrMode::Async />
                    <Route path=path!("/incidents/:reference") view=IncidentPage ssr=SsrMode::Async />
                    <Route path=path!("/incidents/:reference/postmortem") view=PostmortemPage ssr=SsrMode::Async />
                    <Route path=path!("/incidents/:reference/postmortem/history") view=PostmortemHistoryPage ssr=SsrMode::Async />
                    <Route path=path!("/incidents/:reference/postmortem/print") view=PostmortemPrintPage ssr=SsrMode::Async />
                    <Route path=path!("/changes") view=ChangesPage ssr=SsrMode::Async />
                    <Route path=path!("/postmortems") view=PostmortemsPage ssr=SsrMode::Async />
                    <Route path=path!("/action-items") view=ActionItemsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/postmortem-template") view=PostmortemTemplatePage ssr=SsrMode::Async />
                    <Route path=path!("/services") view=ServicesPage ssr=SsrMode::Async />
                    <Route path=path!("/services/new") view=NewServicePage ssr=SsrMode::Async />
                    <Route path=path!("/services/:slug") view=ServicePage ssr=SsrMode::Async />
                    <Route path=path!("/services/:slug/edit") view=EditServicePage ssr=SsrMode::Async />
                    <Route path=path!("/playbooks") view=PlaybooksPage ssr=SsrMode::Async />
                    <Route path=path!("/playbooks/new") view=NewPlaybookPage ssr=SsrMode::Async />
                    <Route path=path!("/playbooks/:id") view=PlaybookPage ssr=SsrMode::Async />
                    <Route path=path!("/playbooks/:id/edit") view=EditPlaybookPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
