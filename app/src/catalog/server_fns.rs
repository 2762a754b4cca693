//! Thin server functions over `service`; the admin form arrives as one `ServiceForm`.

use leptos::prelude::*;

use super::form::ServiceForm;
use super::{ServiceDetail, ServiceRef};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    crate::accounts::Role,
    crate::web::{self, redirect_form_post, with_status},
};

/// The services new incidents may affect.
#[server(prefix = "/rpc", endpoint = "list_services")]
pub async fn list_services() -> Result<Vec<ServiceRef>, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    with_status(super::service::list_services(&state.db).await)
}

/// One service, for its edit form.
#[server(prefix = "/rpc", endpoint = "get_service")]
pub async fn get_service(slug: String) -> Result<ServiceDetail, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    with_status(super::service::get_service(&state.db, &slug).await)
}

/// Adds a service (admins); answers with the new service's page.
#[server(prefix = "/rpc", endpoint = "create_service")]
pub async fn create_service(#[server(default)] form: ServiceForm) -> Result<String, AppError> {
    let (state, user) = web::require(Role::Admin)?;
    let created =
        with_status(super::service::add_service(&state.db, &web::actor(&user), &form).await)?;
    let path = format!("/services/{}", created.slug);
    redirect_form_post(&path);
    Ok(path)
}

/// Saves an edit (admins) unless someone else changed the service since `version`.
#[server(prefix = "/rpc", endpoint = "update_service")]
pub async fn update_service(
    id: i64,
    version: i32,
    #[server(default)] form: ServiceForm,
) -> Result<String, AppError> {
    let (state, user) = web::require(Role::Admin)?;
    let saved = with_status(
        super::service::update_service(&state.db, &web::actor(&user), id, &form, version).await,
    )?;
    let path = format!("/services/{}", saved.slug);
    redirect_form_post(&path);
    Ok(path)
}

/// Archives a service or brings it back (admins). `archive` is "true" or "false".
#[server(prefix = "/rpc", endpoint = "archive_service")]
pub async fn archive_service(id: i64, slug: String, archive: String) -> Result<String, AppError> {
    let (state, user) = web::require(Role::Admin)?;
    with_status(
        super::service::set_archived(&state.db, &web::actor(&user), id, archive == "true").await,
    )?;
    let path = format!("/services/{slug}");
    redirect_form_post(&path);
    Ok(path)
}

/// Deletes a service no incident affected (admins); otherwise a 409 saying to archive.
#[server(prefix = "/rpc", endpoint = "delete_service")]
pub async fn delete_service(id: i64) -> Result<String, AppError> {
    let (state, user) = web::require(Role::Admin)?;
    with_status(crate::workflow::delete_service(&state.db, &web::actor(&user), id).await)?;
    redirect_form_post("/services");
    Ok("/services".to_owned())
}
