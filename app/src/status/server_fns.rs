//! The status page's writes from Vigil's own pages: admins set it up, responders publish
//! incidents to it. Each answers a plain form post with the page it came from.

use leptos::prelude::*;

use super::{ComponentEdit, ComponentView, Publication, StatusSettings};
use crate::error::AppError;

/// The admin page: settings and components.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusAdmin {
    pub settings: StatusSettings,
    pub components: Vec<ComponentView>,
}

#[server(prefix = "/rpc", endpoint = "status_admin")]
pub async fn get_status_admin() -> Result<StatusAdmin, AppError> {
    use crate::accounts::Role;
    use crate::web::{self, with_status};
    let (state, _) = web::require(Role::Admin)?;
    let result = async {
        Ok(StatusAdmin {
            settings: super::service::settings(&state.db).await?,
            components: super::service::components(&state.db).await?,
        })
    }
    .await;
    with_status(result)
}

/// Saves the page's settings.
#[server(prefix = "/rpc", endpoint = "save_status_settings")]
pub async fn save_status_settings(
    #[server(default)] form: super::SettingsForm,
) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, admin) = web::require(Role::Admin)?;
    let edit = super::SettingsEdit {
        enabled: form.enabled.is_some(),
        name: form.name,
        logo_url: form.logo_url,
        brand_colour: form.brand_colour,
        links: form.links,
        impacts: form
            .impact_ids
            .unwrap_or_default()
            .into_iter()
            .zip(form.impact_states.unwrap_or_default())
            .collect(),
        version: form.version,
    };
    let result = async {
        super::service::save_settings(&state.db, &admin, &web::actor(&admin), &edit).await?;
        redirect_form_post("/admin/status-page");
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "add_status_component")]
pub async fn add_status_component(#[server(default)] form: ComponentEdit) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        super::service::add_component(&state.db, &admin, &web::actor(&admin), &form).await?;
        redirect_form_post("/admin/status-page#components");
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "update_status_component")]
pub async fn update_status_component(
    id: i64,
    #[server(default)] form: ComponentEdit,
) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        super::service::update_component(&state.db, &admin, &web::actor(&admin), id, &form).await?;
        redirect_form_post("/admin/status-page#components");
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "remove_status_component")]
pub async fn remove_status_component(id: i64) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        super::service::remove_component(&state.db, &admin, &web::actor(&admin), id).await?;
        redirect_form_post("/admin/status-page#components");
        Ok(())
    }
    .await;
    with_status(result)
}

/// Publishes incident `reference` to the status page, or posts an update there.
#[server(prefix = "/rpc", endpoint = "publish_status")]
pub async fn publish_status(
    reference: String,
    #[server(default)] form: Publication,
) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::incidents::IncidentRef;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        super::service::publish(&state.db, &user, reference, &form).await?;
        redirect_form_post(&format!("/incidents/{reference}#status-page"));
        Ok(())
    }
    .await;
    with_status(result)
}
