//! Thin server functions over `service`; the new source form arrives as one struct.

use leptos::prelude::*;

use super::{AlertSourceForm, AlertsAdmin, IssuedToken};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::accounts::Role,
    crate::web::{self, flash, is_form_post, redirect_form_post, take_flash, with_status},
};

#[cfg(feature = "ssr")]
const TOKEN_FLASH_KEY: &str = "flash.alert_token";

/// Without JavaScript a new token is shown on the page the form post lands on, once.
#[cfg(feature = "ssr")]
async fn flash_token(token: &IssuedToken) -> Result<(), AppError> {
    if is_form_post() {
        flash(TOKEN_FLASH_KEY, token).await?;
        redirect_form_post("/admin/alerts");
    }
    Ok(())
}

/// The token issued by the last plain form post, shown once.
#[server(prefix = "/rpc", endpoint = "take_alert_token")]
pub async fn take_alert_token() -> Result<Option<IssuedToken>, AppError> {
    web::require(Role::Admin)?;
    take_flash(TOKEN_FLASH_KEY).await
}

#[server(prefix = "/rpc", endpoint = "alerts_admin")]
pub async fn get_alerts_admin() -> Result<AlertsAdmin, AppError> {
    let (state, _) = web::require(Role::Admin)?;
    with_status(service::admin_view(&state.db).await)
}

#[server(prefix = "/rpc", endpoint = "create_alert_source")]
pub async fn create_alert_source(
    #[server(default)] form: AlertSourceForm,
) -> Result<IssuedToken, AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let AlertSourceForm {
        name,
        kind,
        service_id,
        service,
        rule_critical,
        rule_error,
        rule_warning,
        rule_info,
        rule_other,
        auto_resolve,
    } = form;
    let rules = [
        ("critical", rule_critical),
        ("error", rule_error),
        ("warning", rule_warning),
        ("info", rule_info),
        ("other", rule_other),
    ]
    .into_iter()
    .filter_map(|(w, v)| Some((w.to_owned(), v?)))
    .collect();
    let result = async {
        // The form's search field names the service; the API and older forms send its id.
        // An empty field arrives as no value at all: unless an id came, the errors about
        // the service belong beside the search field.
        let from_field = service_id.is_none();
        let service_id = match service.as_deref() {
            Some(text) => crate::choices::service::resolve_service(&state.db, "service", text)
                .await?
                .map(|id| id.to_string())
                .unwrap_or_default(),
            None => service_id.unwrap_or_default(),
        };
        let form = service::SourceForm {
            name,
            kind,
            service_id,
            rules,
            auto_resolve: auto_resolve.is_some(),
        };
        let token = service::create_source(&state.db, &admin, form, web::actor(&admin).ip)
            .await
            .map_err(|err| {
                if from_field {
                    err.for_field("service_id", "service")
                } else {
                    err
                }
            })?;
        flash_token(&token).await?;
        Ok(token)
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "rotate_alert_token")]
pub async fn rotate_alert_token(id: i64) -> Result<IssuedToken, AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let token = service::rotate_token(&state.db, &admin, id, web::actor(&admin).ip).await?;
        flash_token(&token).await?;
        Ok(token)
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "set_alert_source_disabled")]
pub async fn set_alert_source_disabled(id: i64, disabled: bool) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result =
        service::set_disabled(&state.db, &admin, id, disabled, web::actor(&admin).ip).await;
    with_status(result).inspect(|_| redirect_form_post("/admin/alerts"))
}
