//! The status of the running instance, for the admin's About page.

use leptos::prelude::*;

use super::SystemStatus;
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    use crate::accounts::Role;
    use crate::web::{self, with_status};
    let (state, _) = web::require(Role::Admin)?;
    with_status(super::service::system_status(&state.db).await)
}
