use leptos::prelude::*;

use super::ServiceRef;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    crate::accounts::server_fns::redirect_form_post,
    crate::accounts::{Role, service::auth},
    crate::error::with_status,
};

#[server(prefix = "/rpc", endpoint = "list_services")]
pub async fn list_services() -> Result<Vec<ServiceRef>, AppError> {
    let (state, _) = with_status(auth::require(Role::Viewer))?;
    with_status(super::service::list_services(&state.db).await)
}

#[server(prefix = "/rpc", endpoint = "create_service")]
pub async fn create_service(
    name: String,
    owner_team: Option<String>,
) -> Result<ServiceRef, AppError> {
    let (state, _) = with_status(auth::require(Role::Admin))?;
    let created =
        with_status(super::service::create_service(&state.db, &name, owner_team.as_deref()).await)?;
    redirect_form_post("/services");
    Ok(created)
}
