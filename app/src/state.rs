//! The state every request handler and server function shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use sea_orm::DatabaseConnection;

use crate::db::Shared;
use crate::error::AppError;
use crate::metrics::BudgetAlert;

#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos' rendering options: where the site's files are and what they are called.
    pub leptos_options: LeptosOptions,
    /// The connection pool to the SQLite or PostgreSQL database.
    pub db: DatabaseConnection,
    /// How long a session lasts without a request, and at most however active.
    pub sessions: crate::accounts::service::sessions::Lifetimes,
    /// The address people reach Vigil at (`--public-url`), without a trailing slash:
    /// the origin that return paths are checked against.
    pub public_url: String,
    /// Where customers reach the status page (`--status-host`, else `public_url`): the
    /// base of its feeds' and JSON's links.
    #[from_ref(skip)]
    pub status_url: String,
    /// The error budgets that need attention, shared by every home page view
    /// (`home::service::on_call`): one history read per change or ten seconds, not per view.
    pub budgets: Arc<Shared<Vec<BudgetAlert>>>,
    /// The public status page, rendered once per change (`status::served`).
    pub status_page: Arc<crate::status::served::Kept>,
    /// What the status page's subscribers can be reached by (mail needs `--smtp-url`).
    #[from_ref(skip)]
    pub reach: crate::status::service::Reach,
    /// The chat tools whose slash commands are set up.
    #[from_ref(skip)]
    pub chat_commands: crate::notifications::ChatCommands,
    /// The OpenID providers people sign in with, and who may still use a password.
    #[from_ref(skip)]
    pub sso: Arc<crate::accounts::sso::provider::Sso>,
}

/// How long the home page's budgets are kept when nothing is written (seconds).
pub const BUDGETS_FRESH: i64 = 10;

impl AppState {
    /// The state as provided to server functions by the router.
    pub fn from_context() -> Result<Self, AppError> {
        use_context::<Self>()
            .ok_or_else(|| AppError::internal("AppState is missing from the context"))
    }
}
