//! The admin "About" page: what is running and on which database.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{SystemStatus, get_system_status};
use crate::layout::ErrorTemplate;

#[component]
pub fn AboutPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_system_status());
    view! {
        <Title text="About this instance" />
        <section class="page">
            <header class="page-header">
                <h1>"About this instance"</h1>
                <p class="page-header__lede">"The version running, its database and the state of its schema."</p>
            </header>
            <section class="card" aria-labelledby="system-status-title">
                <h2 id="system-status-title" class="card__title">"This instance"</h2>
                <Suspense fallback=|| view! { <p class="muted">"Checking the instance…"</p> }>
                    <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                        {move || Suspend::new(async move {
                            status.await.map(|s| view! { <SystemStatusList status=s /> })
                        })}
                    </ErrorBoundary>
                </Suspense>
            </section>
        </section>
    }
}

#[component]
fn SystemStatusList(status: SystemStatus) -> impl IntoView {
    let schema = status
        .schema_version
        .unwrap_or_else(|| "none applied".to_owned());
    let pending = match status.pending_migrations {
        0 => "Up to date".to_owned(),
        n => format!("{n} migration(s) pending"),
    };
    view! {
        <dl class="facts">
            <div class="facts__item">
                <dt>"Version"</dt>
                <dd data-testid="version">{status.version}</dd>
            </div>
            <div class="facts__item">
                <dt>"Database"</dt>
                <dd data-testid="database">{status.database}</dd>
            </div>
            <div class="facts__item">
                <dt>"Schema"</dt>
                <dd><code>{schema}</code></dd>
            </div>
            <div class="facts__item">
                <dt>"Migrations"</dt>
                <dd>{pending}</dd>
            </div>
        </dl>
    }
}
