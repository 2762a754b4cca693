use leptos::prelude::*;

use super::{ApiTokenView, NewApiToken};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::accounts::Role,
    crate::web::{self, flash, is_form_post, redirect_form_post, take_flash, with_status},
};

#[cfg(feature = "ssr")]
const TOKEN_FLASH_KEY: &str = "flash.api_token";

/// The caller's tokens (everyone's for admins).
#[server(prefix = "/rpc", endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    with_status(service::list(&state.db, &user).await)
}

#[server(prefix = "/rpc", endpoint = "create_api_token")]
pub async fn create_api_token(
    name: String,
    expires_in_days: String,
) -> Result<NewApiToken, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let result = async {
        let token = service::create(
            &state.db,
            &user,
            &name,
            &expires_in_days,
            web::actor(&user).ip,
        )
        .await?;
        if is_form_post() {
            flash(TOKEN_FLASH_KEY, &token).await?;
            redirect_form_post("/account");
        }
        Ok(token)
    }
    .await;
    with_status(result)
}

/// The token made by the last plain form post, shown once.
#[server(prefix = "/rpc", endpoint = "take_api_token")]
pub async fn take_api_token() -> Result<Option<NewApiToken>, AppError> {
    web::require(Role::Viewer)?;
    take_flash(TOKEN_FLASH_KEY).await
}

#[server(prefix = "/rpc", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let result = service::revoke(&state.db, &user, id, web::actor(&user).ip).await;
    with_status(result).inspect(|_| redirect_form_post("/account"))
}
