//! The status page's writes from Vigil's own pages: admins set it up, responders publish
//! incidents to it. Each answers a plain form post with the page it came from.

use leptos::prelude::*;

use super::{
    ComponentEdit, ComponentView, Maintenance, MaintenanceForm, Publication, StatusSettings,
};
use crate::error::AppError;

/// The admin page: settings and components.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusAdmin {
    pub settings: StatusSettings,
    pub components: Vec<ComponentView>,
    pub subscribers: super::subscribers::SubscriberBoard,
}

#[server(prefix = "/rpc", endpoint = "status_admin")]
pub async fn get_status_admin() -> Result<StatusAdmin, AppError> {
    use crate::accounts::Role;
    use crate::web::{self, with_status};
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        Ok(StatusAdmin {
            settings: super::service::settings(&state.db).await?,
            components: super::service::components(&state.db).await?,
            subscribers: super::service::board(&state.db, &admin, state.reach.mail).await?,
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
        postmortem_sections: form.postmortem_sections.unwrap_or_default(),
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
    with_status(result.map_err(|e: AppError| e.for_item(id)))
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

/// Removes a subscriber of the status page (nothing more is sent to it).
#[server(prefix = "/rpc", endpoint = "remove_status_subscriber")]
pub async fn remove_status_subscriber(id: i64) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        super::service::remove_subscriber(&state.db, &admin, &web::actor(&admin), id).await?;
        redirect_form_post("/admin/status-page#subscribers");
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

/// The maintenance page: the windows, the components to choose from, and whether the
/// viewer may change them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MaintenanceBoard {
    pub can_write: bool,
    /// The status page is on (customers see the windows).
    pub enabled: bool,
    pub components: Vec<ComponentView>,
    /// Not over yet (soonest first), then the latest that are.
    pub list: Vec<Maintenance>,
}

#[server(prefix = "/rpc", endpoint = "maintenance_board")]
pub async fn get_maintenance_board() -> Result<MaintenanceBoard, AppError> {
    use crate::accounts::Role;
    use crate::web::{self, with_status};
    let (state, user) = web::require(Role::Viewer)?;
    let result = async {
        Ok(MaintenanceBoard {
            can_write: user.role.can_write(),
            enabled: super::service::settings(&state.db).await?.enabled,
            components: super::service::components(&state.db).await?,
            list: super::service::maintenances(&state.db, chrono::Utc::now()).await?,
        })
    }
    .await;
    with_status(result)
}

/// The form as the service takes it (times in the editor's zone), and the times that
/// could not be read.
#[cfg(feature = "ssr")]
fn maintenance_edit(
    form: MaintenanceForm,
) -> (super::MaintenanceEdit, Vec<crate::error::FieldError>) {
    let mut unread = Vec::new();
    let mut time = |field: &str, value: &str| match crate::time::parse_input(field, Some(value)) {
        Ok(at) => at,
        Err(AppError::Invalid(mut found)) => {
            unread.append(&mut found);
            None
        }
        Err(_) => None,
    };
    let starts_at = time("starts_at", &form.starts_at);
    let ends_at = time("ends_at", &form.ends_at);
    let edit = super::MaintenanceEdit {
        title: form.title,
        body: form.body,
        starts_at,
        ends_at,
        components: form.components.unwrap_or_default(),
        counts_against_slo: form.counts_against_slo.is_some(),
        version: form.version,
    };
    (edit, unread)
}

/// The service's verdict, with what the form's times said in place of "give a time".
#[cfg(feature = "ssr")]
fn with_unread<T>(
    result: Result<T, AppError>,
    unread: Vec<crate::error::FieldError>,
) -> Result<T, AppError> {
    match result {
        Err(AppError::Invalid(errors)) if !unread.is_empty() => {
            let mut all: Vec<_> = errors
                .into_iter()
                .filter(|e| !unread.iter().any(|u| u.field == e.field))
                .collect();
            all.extend(unread);
            Err(AppError::Invalid(all))
        }
        other => other,
    }
}

/// Announces a maintenance window.
#[server(prefix = "/rpc", endpoint = "schedule_maintenance")]
pub async fn schedule_maintenance(
    #[server(default)] form: MaintenanceForm,
) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let (edit, unread) = maintenance_edit(form);
        let saved = super::service::schedule(&state.db, &user, &web::actor(&user), &edit).await;
        with_unread(saved, unread)?;
        redirect_form_post("/maintenance");
        Ok(())
    }
    .await;
    with_status(result)
}

/// Changes a window that is not over yet.
#[server(prefix = "/rpc", endpoint = "edit_maintenance")]
pub async fn edit_maintenance(
    id: i64,
    #[server(default)] form: MaintenanceForm,
) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let (edit, unread) = maintenance_edit(form);
        let saved =
            super::service::update_maintenance(&state.db, &user, &web::actor(&user), id, &edit)
                .await;
        with_unread(saved, unread)?;
        redirect_form_post(&format!("/maintenance#maintenance-{id}"));
        Ok(())
    }
    .await;
    with_status(result.map_err(|e: AppError| e.for_item(id)))
}

/// Ends a window in progress now, or calls off one not started.
#[server(prefix = "/rpc", endpoint = "finish_maintenance")]
pub async fn finish_maintenance(id: i64, version: Option<i32>) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        super::service::finish_maintenance(&state.db, &user, &web::actor(&user), id, version)
            .await?;
        redirect_form_post(&format!("/maintenance#maintenance-{id}"));
        Ok(())
    }
    .await;
    with_status(result)
}
