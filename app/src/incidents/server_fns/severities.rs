//! The severity scale's admin server functions.

use leptos::prelude::*;

use crate::error::AppError;
use crate::incidents::SeverityView;

#[cfg(feature = "ssr")]
use {
    crate::accounts::Role,
    crate::incidents::service::query,
    crate::web::{self, redirect_form_post, with_status},
};

/// The severity scale for the admin page (admins only: the page offers edits).
#[server(prefix = "/rpc", endpoint = "admin_severities")]
pub async fn admin_severities() -> Result<Vec<SeverityView>, AppError> {
    let (state, _) = web::require(Role::Admin)?;
    with_status(query::severities(&state.db).await)
}

/// Renames or describes a severity level, or changes whether it requires a postmortem.
#[server(prefix = "/rpc", endpoint = "update_severity")]
pub async fn update_severity(
    id: i64,
    version: i32,
    name: String,
    description: Option<String>,
    requires_postmortem: Option<String>,
) -> Result<(), AppError> {
    use crate::incidents::service::severities;
    let (state, user) = web::require(Role::Admin)?;
    let edit = severities::SeverityEdit {
        name,
        description: description.unwrap_or_default(),
        requires_postmortem: requires_postmortem.is_some(),
    };
    let saved = severities::update(&state.db, &web::actor(&user), id, edit, version).await;
    with_status(saved.map_err(|e| e.for_item(id)))?;
    redirect_form_post("/admin/severities");
    Ok(())
}

/// Moves a severity level up (more severe) or down the order.
#[server(prefix = "/rpc", endpoint = "move_severity")]
pub async fn move_severity(id: i64, direction: String) -> Result<(), AppError> {
    use crate::incidents::service::severities::{self, Direction};
    let (state, user) = web::require(Role::Admin)?;
    let direction = match direction.as_str() {
        "up" => Direction::Up,
        "down" => Direction::Down,
        _ => return with_status(Err(AppError::invalid("direction", "Choose up or down."))),
    };
    with_status(severities::reorder(&state.db, &web::actor(&user), id, direction).await)?;
    redirect_form_post("/admin/severities");
    Ok(())
}
