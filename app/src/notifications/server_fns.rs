use leptos::prelude::*;

use super::{IssuedSecret, NotificationsAdmin};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::accounts::Role,
    crate::web::{self, flash, is_form_post, redirect_form_post, take_flash, with_status},
};

#[cfg(feature = "ssr")]
const SECRET_FLASH_KEY: &str = "flash.notification_secret";

#[cfg(feature = "ssr")]
const PAGE: &str = "/admin/notifications";

/// Without JavaScript a new secret is shown on the page the form post lands on, once.
#[cfg(feature = "ssr")]
async fn flash_secret(secret: Option<&IssuedSecret>) -> Result<(), AppError> {
    if is_form_post() {
        if let Some(secret) = secret {
            flash(SECRET_FLASH_KEY, secret).await?;
        }
        redirect_form_post(PAGE);
    }
    Ok(())
}

/// The secret issued by the last plain form post, shown once.
#[server(prefix = "/rpc", endpoint = "take_notification_secret")]
pub async fn take_notification_secret() -> Result<Option<IssuedSecret>, AppError> {
    web::require(Role::Admin)?;
    take_flash(SECRET_FLASH_KEY).await
}

#[server(prefix = "/rpc", endpoint = "notifications_admin")]
pub async fn get_notifications_admin() -> Result<NotificationsAdmin, AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let view = service::admin_view(&state.db, &admin, state.reach.mail)
        .await
        .map(|view| NotificationsAdmin {
            chat_commands: state.chat_commands,
            public_url: state.public_url.clone(),
            ..view
        });
    with_status(view)
}

#[server(prefix = "/rpc", endpoint = "create_notification_channel")]
pub async fn create_notification_channel(
    name: String,
    kind: String,
    url: Option<String>,
    addresses: Option<String>,
    events: Option<Vec<String>>,
    min_severity_id: Option<String>,
) -> Result<Option<IssuedSecret>, AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let form = service::ChannelForm {
        name,
        kind,
        url: url.unwrap_or_default(),
        addresses: addresses.unwrap_or_default(),
        events: events.unwrap_or_default(),
        min_severity_id: min_severity_id.unwrap_or_default(),
    };
    let result = async {
        let secret = service::create_channel(
            &state.db,
            &admin,
            form,
            state.reach.mail,
            web::actor(&admin).ip,
        )
        .await?;
        flash_secret(secret.as_ref()).await?;
        Ok(secret)
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "rotate_notification_secret")]
pub async fn rotate_notification_secret(id: i64) -> Result<IssuedSecret, AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let secret = service::rotate_secret(&state.db, &admin, id, web::actor(&admin).ip).await?;
        flash_secret(Some(&secret)).await?;
        Ok(secret)
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "set_notification_channel_disabled")]
pub async fn set_notification_channel_disabled(id: i64, disabled: bool) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result =
        service::set_disabled(&state.db, &admin, id, disabled, web::actor(&admin).ip).await;
    with_status(result).inspect(|_| redirect_form_post(PAGE))
}

#[server(prefix = "/rpc", endpoint = "delete_notification_channel")]
pub async fn delete_notification_channel(id: i64) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = service::delete_channel(&state.db, &admin, id, web::actor(&admin).ip).await;
    with_status(result).inspect(|_| redirect_form_post(PAGE))
}

#[server(prefix = "/rpc", endpoint = "test_notification_channel")]
pub async fn test_notification_channel(id: i64) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = service::send_test(&state.db, &admin, id).await;
    with_status(result).inspect(|_| redirect_form_post(PAGE))
}

#[server(prefix = "/rpc", endpoint = "retry_notification")]
pub async fn retry_notification(id: i64) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = service::retry_delivery(&state.db, &admin, id).await;
    with_status(result).inspect(|_| redirect_form_post(PAGE))
}
