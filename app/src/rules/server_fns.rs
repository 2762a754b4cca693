//! Thin server functions over `service`: admins write, enable, try and delete rules.

use leptos::prelude::*;

use super::form::RuleForm;
use super::{DryRun, RuleChoices, RuleView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::accounts::Role,
    crate::incidents::IncidentRef,
    crate::web::{self, redirect_form_post, with_status},
};

/// Every rule in the order they run, and what a new one chooses from (admins).
#[server(prefix = "/rpc", endpoint = "admin_rules")]
pub async fn admin_rules() -> Result<(Vec<RuleView>, RuleChoices), AppError> {
    let (state, _) = web::require(Role::Admin)?;
    let result = async {
        Ok((
            service::list_rules(&state.db).await?,
            service::choices(&state.db).await?,
        ))
    }
    .await;
    with_status(result)
}

/// One rule and what its form chooses from (admins).
#[server(prefix = "/rpc", endpoint = "admin_rule")]
pub async fn admin_rule(id: i64) -> Result<(RuleView, RuleChoices), AppError> {
    let (state, _) = web::require(Role::Admin)?;
    let result = async {
        Ok((
            service::get_rule(&state.db, id).await?,
            service::choices(&state.db).await?,
        ))
    }
    .await;
    with_status(result)
}

/// Adds a rule (no `id`) or saves one at `version` (admins); answers its id. Without
/// JavaScript the browser lands on the rule's page, where it can be tried.
#[server(prefix = "/rpc", endpoint = "save_rule")]
pub async fn save_rule(
    id: Option<i64>,
    version: Option<i32>,
    #[server(default)] form: RuleForm,
) -> Result<i64, AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let input = super::form::read(&form).map_err(AppError::Invalid)?;
        let input = service::check_input(&state.db, &admin, &input).await?;
        let actor = web::actor(&admin);
        let id = match id {
            None => service::create_rule(&state.db, &actor, &input).await?,
            Some(id) => {
                service::update_rule(&state.db, &actor, id, &input, version.unwrap_or(1)).await?;
                id
            }
        };
        redirect_form_post(&format!("/admin/rules/{id}"));
        Ok(id)
    }
    .await;
    with_status(result)
}

/// Enables a rule or turns it back into a draft, if it is still at `version` (admins).
/// `enabled` is "true" or "false".
#[server(prefix = "/rpc", endpoint = "enable_rule")]
pub async fn enable_rule(id: i64, version: i32, enabled: String) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        service::set_enabled(
            &state.db,
            &web::actor(&admin),
            id,
            enabled == "true",
            version,
        )
        .await?;
        redirect_form_post(&format!("/admin/rules/{id}"));
        Ok(())
    }
    .await;
    with_status(result)
}

/// Deletes a rule (admins).
#[server(prefix = "/rpc", endpoint = "delete_rule")]
pub async fn delete_rule(id: i64) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        service::delete_rule(&state.db, &web::actor(&admin), id).await?;
        redirect_form_post("/admin/rules");
        Ok(())
    }
    .await;
    with_status(result)
}

/// What rule `id` would do on incident `incident` ("INC-42" or 42) now (admins).
#[server(prefix = "/rpc", endpoint = "dry_run_rule")]
pub async fn dry_run_rule(id: i64, incident: String) -> Result<DryRun, AppError> {
    let (state, _) = web::require(Role::Admin)?;
    let result = async {
        let reference = IncidentRef::parse(&incident)
            .ok_or_else(|| AppError::invalid("incident", "Name an incident like INC-42."))?;
        service::dry_run(&state.db, id, reference).await
    }
    .await;
    with_status(result)
}

/// What the rule as written in the form (saved or not) would do on incident `incident`
/// now (admins): the form's "Dry run" button, before saving.
#[server(prefix = "/rpc", endpoint = "try_rule")]
pub async fn try_rule(
    #[server(default)] form: RuleForm,
    incident: String,
) -> Result<DryRun, AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let reference = IncidentRef::parse(&incident)
            .ok_or_else(|| AppError::invalid("incident", "Name an incident like INC-42."))?;
        let input = super::form::read(&form).map_err(AppError::Invalid)?;
        let input = service::check_input(&state.db, &admin, &input).await?;
        service::try_input(&state.db, &input, reference).await
    }
    .await;
    with_status(result)
}
