//! The Vigil server as a library: builds the axum [`Router`] from a [`Config`], so the
//! binary and the integration tests serve exactly the same application.

mod health;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::http::HeaderName;
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{LeptosRoutes, generate_route_list};
use migrations::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use app::db::{DEFAULT_DATABASE_URL, connect, redact};

/// Everything the server needs to know to build the application.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// Directory holding the built site (`pkg/` with the JS, wasm and CSS bundles).
    pub site_root: PathBuf,
}

/// Opens the database and brings its schema up to date.
pub async fn open_database(database_url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = connect(database_url).await?;
    Migrator::up(&db, None)
        .await
        .context("cannot apply database migrations")?;
    Ok(db)
}

/// The Leptos options for a site built by cargo-leptos into `config.site_root`.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") => Env::DEV,
        _ => Env::PROD,
    };
    LeptosOptions::builder()
        .output_name("vigil")
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .env(env)
        .build()
}

/// The whole application: pages, server functions, health endpoints and static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let request_id = HeaderName::from_static("x-request-id");

    Router::new()
        .merge(health::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || leptos::prelude::provide_context(state.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Connects, migrates and builds the router for `config`.
pub async fn build(config: &Config) -> anyhow::Result<Router> {
    let db = open_database(&config.database_url).await?;
    Ok(router(AppState {
        leptos_options: leptos_options(config),
        db,
    }))
}
