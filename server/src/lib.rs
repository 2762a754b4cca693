//! The Vigil server as a library: builds the axum [`Router`] from a [`Config`], so the
//! binary and the integration tests serve exactly the same application.

mod alerts;
mod api;
mod api_docs;
mod auth;
mod change_hooks;
pub mod chat_hooks;
mod delivery;
mod export;
mod health;
pub mod live;
mod prometheus;
mod reports;
pub mod security;
pub mod site;
mod sso;
mod status;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use app::accounts::service::sessions::DbSessionStore;
use app::state::AppState;
use app::{App, shell};
use axum::http::{HeaderName, StatusCode};
use axum::{Extension, Router, middleware};
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{LeptosRoutes, generate_route_list};
use migrations::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use app::db::{DEFAULT_DATABASE_URL, connect, redact};

/// Everything the server needs to know to build the application.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// Directory holding the built site (`pkg/` with the JS, wasm and CSS bundles);
    /// `None`: the site embedded in the binary, else `target/site`.
    pub site_root: Option<PathBuf>,
    /// The address people use to reach Vigil; `https://` makes session cookies `Secure`.
    pub public_url: String,
    /// A session ends after this long without a request.
    pub session_idle_timeout: std::time::Duration,
    /// A sign-in lasts at most this long, however active.
    pub session_max_age: std::time::Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Bearer token `/metrics` scrapes must present; without one, only loopback clients
    /// may scrape.
    pub metrics_token: Option<String>,
    /// Outgoing webhooks may reach loopback and private addresses.
    pub allow_private_webhooks: bool,
    /// A host name of the status page's own (`status.example.com`): requests to it
    /// reach only the public status routes, and the page's links and feeds use it.
    pub status_host: Option<String>,
    /// The SMTP relay e-mail channels and the status page's mail go through
    /// (`smtp://`, `smtps://`); without one, subscribers can follow by webhook or feed only.
    pub smtp_url: Option<String>,
    /// The sender of that mail (`Status <status@example.com>`).
    pub mail_from: String,
    /// The hour of the day (UTC) the overdue action items digest goes out.
    pub digest_hour: u32,
    /// Slack and Mattermost slash commands.
    pub chat: chat_hooks::ChatConfig,
    /// OpenID providers, and who may sign in with a password.
    pub sso: app::accounts::sso::SsoConfig,
}

impl Config {
    /// Defaults for everything but the database and address (tests, embedding).
    pub fn new(database_url: impl Into<String>, listen: SocketAddr) -> Self {
        Self {
            database_url: database_url.into(),
            listen,
            site_root: None,
            public_url: format!("http://{listen}"),
            session_idle_timeout: std::time::Duration::from_secs(12 * 3600),
            session_max_age: std::time::Duration::from_secs(7 * 24 * 3600),
            trust_forwarded_for: false,
            metrics_token: None,
            allow_private_webhooks: false,
            status_host: None,
            smtp_url: None,
            mail_from: "Vigil status <status@localhost>".into(),
            digest_hour: app::notifications::digest::DEFAULT_HOUR,
            chat: chat_hooks::ChatConfig {
                slack_api_url: "https://slack.com/api".into(),
                ..Default::default()
            },
            sso: Default::default(),
        }
    }

    /// Where customers reach the status page, without a trailing slash: its own host
    /// (with the public URL's scheme) when it has one, else the public URL.
    pub fn status_url(&self) -> String {
        match &self.status_host {
            Some(host) => {
                let scheme = self.public_url.split("://").next().unwrap_or("https");
                format!("{scheme}://{host}")
            }
            None => self.public_url.clone(),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Opens the database and brings its schema up to date.
pub async fn open_database(database_url: &str) -> anyhow::Result<DatabaseConnection> {
    migrate(database_url).await?;
    Ok(connect(database_url).await?)
}

/// Applies the pending migrations on a handle of their own (one connection on SQLite:
/// `app::db::connect_for_migrations`); returns how many there were.
pub async fn migrate(database_url: &str) -> anyhow::Result<usize> {
    let db = app::db::connect_for_migrations(database_url).await?;
    let pending = Migrator::get_pending_migrations(&db).await?.len();
    Migrator::up(&db, None)
        .await
        .context("cannot apply database migrations")?;
    db.close().await?;
    Ok(pending)
}

/// The Leptos options for `config`'s site: its bundles under their fingerprinted names.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") => Env::DEV,
        _ => Env::PROD,
    };
    let root = config
        .site_root
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/site"));
    LeptosOptions::builder()
        .output_name(site::Site::load(config.site_root.as_deref()).output_name())
        .site_root(root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .env(env)
        .build()
}

/// The state for `config` on an open database.
pub fn app_state(config: &Config, db: DatabaseConnection) -> AppState {
    AppState {
        leptos_options: leptos_options(config),
        db,
        sessions: app::accounts::service::sessions::Lifetimes {
            idle: chrono::Duration::from_std(config.session_idle_timeout)
                .unwrap_or(chrono::Duration::hours(12)),
            max_age: chrono::Duration::from_std(config.session_max_age)
                .unwrap_or(chrono::Duration::days(7)),
        },
        public_url: config.public_url.clone(),
        status_url: config.status_url(),
        budgets: std::sync::Arc::new(app::db::Shared::new(app::state::BUDGETS_FRESH)),
        status_page: std::sync::Arc::new(app::status::served::kept()),
        reach: app::status::service::Reach {
            mail: config.smtp_url.is_some(),
            private_webhooks: config.allow_private_webhooks,
        },
        chat_commands: app::notifications::ChatCommands {
            slack: config.chat.slack_signing_secret.is_some(),
            mattermost: config.chat.mattermost_command_token.is_some(),
        },
        sso: std::sync::Arc::new(app::accounts::sso::provider::Sso::new(
            config.sso.clone(),
            &config.public_url,
        )),
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, ending when idle; over https also Secure
/// and `__Host-` prefixed, so no other host or path can set or shadow it.
fn session_layer(config: &Config, db: DatabaseConnection) -> SessionManagerLayer<DbSessionStore> {
    let idle =
        time::Duration::try_from(config.session_idle_timeout).unwrap_or(time::Duration::hours(12));
    let name = if config.secure_cookies() {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    SessionManagerLayer::new(DbSessionStore::new(db))
        .with_name(name)
        .with_path("/")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(idle))
}

/// The longest any ordinary request may take.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The name of the session cookie over plain http.
pub const SESSION_COOKIE: &str = "vigil_session";
/// The name of the session cookie when the public URL is https.
pub const SECURE_SESSION_COOKIE: &str = "__Host-vigil_session";

/// The page routes, generated once per process. Generating them runs the app with
/// resource loading suppressed through a process-wide flag (leptos_server), so a
/// resource first polled by a concurrent render meanwhile would never resolve
/// (leptos-rs/leptos#4773): tests that build a router while another test renders a
/// page saw that render stall until the request timeout.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole application: pages, server functions, health endpoints and static files.
/// A server function whose arguments cannot be decoded (a malformed or hand-made request)
/// fails before its body could set the status, and Leptos answers 500. The body is the
/// `AppError` all the same: answer with its status (422 for bad arguments).
async fn rpc_error_status(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let is_server_fn = request.uri().path().starts_with("/rpc/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = err.status();
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

pub fn router(state: AppState, config: &Config) -> Router {
    let routes = route_list();
    let request_id = HeaderName::from_static("x-request-id");
    let sessions = session_layer(config, state.db.clone());
    let http_metrics = std::sync::Arc::new(prometheus::HttpMetrics::default());

    // Probes are polled often and need no session, user, trace span or timeout: only
    // the headers every response carries, and their count in /metrics.
    let probes = health::routes()
        .route_layer(middleware::from_fn(prometheus::track))
        .layer(Extension(http_metrics.clone()))
        .layer(middleware::from_fn(security::security_headers))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid));

    // The front end's files: no session, user or trace span either.
    let files = site::routes(site::Site::load(config.site_root.as_deref()))
        .layer(middleware::from_fn(security::security_headers))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid));

    // The public status page: no session or user either (nothing on it is personal), but
    // compressed, traced and counted like any page.
    let public = status::routes()
        .route_layer(middleware::from_fn(prometheus::track))
        .layer(middleware::from_fn(auth::remember_client_ip))
        .layer(Extension(auth::TrustForwardedFor(
            config.trust_forwarded_for,
        )))
        .layer(Extension(http_metrics.clone()))
        .layer(middleware::from_fn(security::security_headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid));

    let router = Router::new()
        .merge(export::routes())
        .merge(reports::routes())
        .merge(alerts::routes())
        .merge(change_hooks::routes())
        .merge(chat_hooks::routes(config.chat.clone()))
        .merge(sso::routes())
        .merge(api::routes())
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
        .merge(prometheus::routes())
        // Counted under the route template, so ids never explode the series.
        .route_layer(middleware::from_fn(prometheus::track))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // No page or server function may hold a connection forever; event streams are
        // long-lived by design and are merged after this layer.
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .merge(live::routes())
        .layer(middleware::from_fn_with_state(state.clone(), auth::load_user))
        .layer(Extension(auth::TrustForwardedFor(config.trust_forwarded_for)))
        .layer(Extension(http_metrics))
        .layer(Extension(prometheus::ScrapeAccess {
            token: config.metrics_token.clone(),
        }))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            security::FormErrorCookie {
                secure: config.secure_cookies(),
            },
            security::own_form_errors,
        ))
        .layer(middleware::from_fn(rpc_error_status))
        .layer(middleware::from_fn(security::refuse_cross_site))
        .layer(middleware::from_fn(security::security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        // Pages and JSON compressed (brotli quality 4: most of the gain for little CPU);
        // event streams and the precompressed files are left alone.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .merge(probes)
        .merge(files)
        .merge(public)
        .with_state(state);
    let router = match &config.status_host {
        Some(host) => router.layer(middleware::from_fn_with_state(
            status::StatusHost::new(host),
            status::only_public_on_status_host,
        )),
        None => router,
    };
    if config.secure_cookies() {
        // Served over https: browsers keep to https for a year (behind the proxy too).
        router.layer(middleware::map_response(security::strict_transport))
    } else {
        router
    }
}

/// Connects, migrates and builds the router for `config`.
pub async fn build(config: &Config) -> anyhow::Result<(Router, AppState)> {
    let db = open_database(&config.database_url).await?;
    let state = app_state(config, db);
    Ok((router(state.clone(), config), state))
}
