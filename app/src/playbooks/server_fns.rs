//! Thin server functions over `service`; the playbook form arrives as one `PlaybookForm`.

use leptos::prelude::*;

use super::{IncidentPlaybooks, PlaybookDetail, PlaybookForm, PlaybookSummary};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::PlaybookId,
    super::service,
    crate::accounts::Role,
    crate::incidents::IncidentRef,
    crate::web::{self, redirect_form_post, with_status},
};

/// Every playbook (archived ones too when `archived` is set).
#[server(prefix = "/rpc", endpoint = "list_playbooks")]
pub async fn list_playbooks(archived: Option<bool>) -> Result<Vec<PlaybookSummary>, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    with_status(service::list_playbooks(&state.db, archived.unwrap_or(false)).await)
}

/// One playbook, at `version` or the current one.
#[server(prefix = "/rpc", endpoint = "get_playbook")]
pub async fn get_playbook(id: i64, version: Option<i32>) -> Result<PlaybookDetail, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    with_status(service::get_playbook(&state.db, PlaybookId(id), version).await)
}

/// Adds a playbook (responders); answers with its page.
#[server(prefix = "/rpc", endpoint = "create_playbook")]
pub async fn create_playbook(#[server(default)] form: PlaybookForm) -> Result<String, AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let (spec, services) = service::check_form(&state.db, &form).await?;
        service::create_playbook(&state.db, &web::actor(&user), &spec, &services).await
    }
    .await;
    let path = format!("/playbooks/{}", with_status(result)?);
    redirect_form_post(&path);
    Ok(path)
}

/// Saves a new version unless someone saved one since `version`.
#[server(prefix = "/rpc", endpoint = "update_playbook")]
pub async fn update_playbook(
    id: i64,
    version: i32,
    #[server(default)] form: PlaybookForm,
) -> Result<String, AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let (spec, services) = service::check_form(&state.db, &form).await?;
        service::update_playbook(
            &state.db,
            &web::actor(&user),
            PlaybookId(id),
            &spec,
            &services,
            version,
        )
        .await
    }
    .await;
    with_status(result)?;
    let path = format!("/playbooks/{id}");
    redirect_form_post(&path);
    Ok(path)
}

/// Archives a playbook or brings it back. `archive` is "true" or "false".
#[server(prefix = "/rpc", endpoint = "archive_playbook")]
pub async fn archive_playbook(id: i64, archive: String) -> Result<String, AppError> {
    let (state, user) = web::require(Role::Responder)?;
    with_status(
        service::set_archived(
            &state.db,
            &web::actor(&user),
            PlaybookId(id),
            archive == "true",
        )
        .await,
    )?;
    let path = format!("/playbooks/{id}");
    redirect_form_post(&path);
    Ok(path)
}

/// An incident's checklists, and what else could be attached.
#[server(prefix = "/rpc", endpoint = "get_incident_playbooks")]
pub async fn get_incident_playbooks(reference: String) -> Result<IncidentPlaybooks, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        service::incident_playbooks(&state.db, reference).await
    }
    .await;
    with_status(result)
}

/// Attaches a playbook to an incident by hand. `playbook_id` comes from a select (empty:
/// none chosen).
#[server(prefix = "/rpc", endpoint = "attach_playbook")]
pub async fn attach_playbook(reference: String, playbook_id: String) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let id = playbook_id
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("playbook_id", "Choose a playbook."))?;
        service::attach_playbook(&state.db, &user, reference, PlaybookId(id)).await?;
        redirect_form_post(&format!("/incidents/{reference}#playbooks"));
        Ok(())
    }
    .await;
    with_status(result)
}

/// Takes a playbook off an incident.
#[server(prefix = "/rpc", endpoint = "detach_playbook")]
pub async fn detach_playbook(reference: String, playbook_id: i64) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        service::detach_playbook(&state.db, &user, reference, PlaybookId(playbook_id)).await?;
        redirect_form_post(&format!("/incidents/{reference}#playbooks"));
        Ok(())
    }
    .await;
    with_status(result)
}

/// Ticks a step of an incident's checklist (`done` "true") or undoes the tick ("false").
#[server(prefix = "/rpc", endpoint = "tick_playbook_step")]
pub async fn tick_playbook_step(
    reference: String,
    playbook_id: i64,
    step: usize,
    done: String,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        service::tick_step(
            &state.db,
            &user,
            reference,
            PlaybookId(playbook_id),
            step,
            done == "true",
        )
        .await?;
        redirect_form_post(&format!(
            "/incidents/{reference}#playbook-{playbook_id}-step-{step}"
        ));
        Ok(())
    }
    .await;
    with_status(result)
}

/// Restore times by playbook use over the last `days` (90 unless given: 30, 90 or 365),
/// of one service's incidents when `service` names one (by slug or name).
#[server(prefix = "/rpc", endpoint = "get_playbook_effect")]
pub async fn get_playbook_effect(
    days: Option<i64>,
    service: Option<String>,
) -> Result<(i64, super::effect::Effect), AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    let result = async {
        let days = days.filter(|d| [30, 365].contains(d)).unwrap_or(90);
        let since = chrono::Utc::now().timestamp() - days * 86_400;
        let service = match service.as_deref() {
            Some(text) => {
                crate::choices::service::resolve_service(&state.db, "service", text).await?
            }
            None => None,
        };
        Ok((days, service::effect(&state.db, since, service).await?))
    }
    .await;
    with_status(result)
}

/// A playbook's steps across the incidents that used it.
#[server(prefix = "/rpc", endpoint = "get_playbook_steps")]
pub async fn get_playbook_steps(id: i64) -> Result<Vec<super::effect::StepRecord>, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    with_status(service::step_report(&state.db, PlaybookId(id)).await)
}
