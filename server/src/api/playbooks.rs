//! Playbooks and incidents' checklists: list, read (any version), write a playbook or a
//! new version of it; attach one to an incident, take it off, tick or untick a step.

use app::error::AppError;
use app::playbooks::form::step_line;
use app::playbooks::service;
use app::playbooks::{
    Checklist, PlaybookDetail, PlaybookForm, PlaybookId, PlaybookStep, PlaybookSummary,
};
use app::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiQuery, AuditedResponder, IncidentPath, Responder, Viewer};
use super::{IncidentMissing, Refused, WriteRefused};

fn missing() -> AppError {
    AppError::NotFound("There is no such playbook.".into())
}

/// A playbook (`.../playbooks/{id}`); a path naming no number is a 404.
#[derive(IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub(super) struct PlaybookPath(
    /// The playbook's `id`.
    i64,
);

impl<S: Send + Sync> FromRequestParts<S> for PlaybookPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        super::extract::path_number(parts, state, missing)
            .await
            .map(PlaybookPath)
    }
}

/// A playbook on an incident (`.../incidents/{reference}/playbooks/{id}`).
#[derive(IntoParams)]
#[into_params(names("reference", "id"), parameter_in = Path)]
pub(super) struct ChecklistPath(
    /// The incident, like INC-12.
    #[param(value_type = String, example = "INC-12")]
    app::incidents::IncidentRef,
    /// The playbook's `id`.
    i64,
);

impl<S: Send + Sync> FromRequestParts<S> for ChecklistPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path((reference, id)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| missing())?;
        let reference = app::incidents::IncidentRef::parse_or_not_found(&reference)?;
        Ok(ChecklistPath(reference, id.parse().map_err(|_| missing())?))
    }
}

/// A step of a playbook on an incident (`.../playbooks/{id}/steps/{step}`).
#[derive(IntoParams)]
#[into_params(names("reference", "id", "step"), parameter_in = Path)]
pub(super) struct StepPath(
    /// The incident, like INC-12.
    #[param(value_type = String, example = "INC-12")]
    app::incidents::IncidentRef,
    /// The playbook's `id`.
    i64,
    /// The step's `index` (from 0), as the checklist lists it; one past its last step is
    /// a 404.
    #[param(minimum = 0)]
    usize,
);

impl<S: Send + Sync> FromRequestParts<S> for StepPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let step_missing = || AppError::NotFound("This checklist has no such step.".into());
        let Path((reference, id, step)) =
            Path::<(String, String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| step_missing())?;
        let reference = app::incidents::IncidentRef::parse_or_not_found(&reference)?;
        Ok(StepPath(
            reference,
            id.parse().map_err(|_| missing())?,
            step.parse().map_err(|_| step_missing())?,
        ))
    }
}

/// The playbooks, by title.
#[derive(Serialize, ToSchema)]
pub(super) struct Playbooks {
    playbooks: Vec<PlaybookSummary>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Archived playbooks too.
    archived: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/playbooks", tag = "playbooks",
    params(ListQuery),
    responses(
        (status = 200, description = "Every playbook, by title", body = Playbooks),
        (status = 422, description = "A query that does not parse", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn playbooks(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Playbooks>, AppError> {
    let playbooks = service::list_playbooks(&state.db, query.archived.unwrap_or(false)).await?;
    Ok(Json(Playbooks { playbooks }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct VersionQuery {
    /// A version to read instead of the current one.
    #[param(minimum = 1)]
    version: Option<i32>,
}

#[utoipa::path(get, path = "/api/v1/playbooks/{id}", tag = "playbooks",
    params(PlaybookPath, VersionQuery),
    responses(
        (status = 200, description = "The playbook at the version asked for, with every version's author and date", body = PlaybookDetail),
        (status = 404, description = "No such playbook or version", body = super::ApiError),
        (status = 422, description = "A query that does not parse", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn playbook(
    State(state): State<AppState>,
    _: Viewer,
    PlaybookPath(id): PlaybookPath,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> Result<Json<PlaybookDetail>, AppError> {
    Ok(Json(
        service::get_playbook(&state.db, PlaybookId(id), query.version).await?,
    ))
}

/// A new playbook. The same rules as the form: a title of 1 to 200 characters, at most 50
/// steps of one line each (links `http(s)`), a guide under 50,000 characters.
#[derive(Deserialize, ToSchema)]
pub(super) struct NewPlaybook {
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// Markdown.
    #[serde(default)]
    #[schema(max_length = 50000)]
    body: String,
    #[serde(default)]
    #[schema(max_items = 50)]
    steps: Vec<PlaybookStep>,
    /// Slugs (or names) of the services whose new incidents get it.
    #[serde(default)]
    services: Vec<String>,
}

/// What the form would have posted: steps and services as lines and a list, so the API
/// and the form share every rule and message.
fn form(
    title: String,
    body: String,
    steps: &[PlaybookStep],
    services: &[String],
) -> Result<PlaybookForm, AppError> {
    if steps.iter().any(|s| {
        s.text.contains(['\n', '\r', '|'])
            || s.link
                .as_deref()
                .is_some_and(|l| l.contains(['\n', '\r', '|']))
    }) {
        return Err(AppError::invalid(
            "steps",
            "A step's text and link are one line each, without `|`.",
        ));
    }
    if services.iter().any(|s| s.contains(',')) {
        return Err(AppError::invalid(
            "services",
            "A service's slug has no comma.",
        ));
    }
    Ok(PlaybookForm {
        title,
        body,
        steps: steps.iter().map(step_line).collect::<Vec<_>>().join("\n"),
        services: services.join(", "),
    })
}

#[utoipa::path(post, path = "/api/v1/playbooks", tag = "playbooks", request_body = NewPlaybook,
    responses(
        (status = 201, description = "Added as version 1; `Location` is its API address", body = PlaybookDetail),
        Refused, WriteRefused,
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    AuditedResponder(_, actor): AuditedResponder,
    ApiJson(new): ApiJson<NewPlaybook>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<PlaybookDetail>,
    ),
    AppError,
> {
    let form = form(new.title, new.body, &new.steps, &new.services)?;
    let (spec, services) = service::check_form(&state.db, &form).await?;
    let id = service::create_playbook(&state.db, &actor, &spec, &services).await?;
    let created = service::get_playbook(&state.db, id, None).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/playbooks/{id}"))],
        Json(created),
    ))
}

/// A new version: only the fields given change; `version` is the one read.
#[derive(Deserialize, ToSchema)]
pub(super) struct PlaybookChange {
    version: i32,
    #[schema(min_length = 1, max_length = 200)]
    title: Option<String>,
    #[schema(max_length = 50000)]
    body: Option<String>,
    #[schema(max_items = 50)]
    steps: Option<Vec<PlaybookStep>>,
    services: Option<Vec<String>>,
}

#[utoipa::path(patch, path = "/api/v1/playbooks/{id}", tag = "playbooks",
    params(PlaybookPath),
    request_body = PlaybookChange,
    responses(
        (status = 200, description = "The new version", body = PlaybookDetail),
        (status = 404, description = "No such playbook", body = super::ApiError),
        Refused, WriteRefused,
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    AuditedResponder(_, actor): AuditedResponder,
    PlaybookPath(id): PlaybookPath,
    ApiJson(change): ApiJson<PlaybookChange>,
) -> Result<Json<PlaybookDetail>, AppError> {
    let id = PlaybookId(id);
    let current = service::get_playbook(&state.db, id, None).await?;
    let services = change
        .services
        .unwrap_or_else(|| current.services.iter().map(|s| s.slug.clone()).collect());
    let form = form(
        change.title.unwrap_or(current.title),
        change.body.unwrap_or(current.body),
        &change.steps.unwrap_or(current.steps),
        &services,
    )?;
    let (spec, services) = service::check_form(&state.db, &form).await?;
    service::update_playbook(&state.db, &actor, id, &spec, &services, change.version).await?;
    Ok(Json(service::get_playbook(&state.db, id, None).await?))
}

/// An incident's checklists.
#[derive(Serialize, ToSchema)]
pub(super) struct Checklists {
    checklists: Vec<Checklist>,
}

async fn checklists(
    state: &AppState,
    reference: app::incidents::IncidentRef,
) -> Result<Checklists, AppError> {
    let found = service::incident_checklists(&state.db, reference).await?;
    Ok(Checklists {
        checklists: found.checklists,
    })
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/playbooks", tag = "playbooks",
    params(IncidentPath),
    responses(
        (status = 200, description = "The incident's checklists: each playbook at the version attached, who ticked which step and when", body = Checklists),
        IncidentMissing,
        Refused,
    ))]
pub(super) async fn incident_checklists(
    State(state): State<AppState>,
    _: Viewer,
    IncidentPath(reference): IncidentPath,
) -> Result<Json<Checklists>, AppError> {
    Ok(Json(checklists(&state, reference).await?))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct Attaching {
    playbook_id: PlaybookId,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/playbooks", tag = "playbooks",
    params(IncidentPath),
    request_body = Attaching,
    responses(
        (status = 201, description = "Attached at its current version; the incident's checklists", body = Checklists),
        IncidentMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn attach(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(attaching): ApiJson<Attaching>,
) -> Result<(StatusCode, Json<Checklists>), AppError> {
    service::attach_playbook(&state.db, &user, reference, attaching.playbook_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(checklists(&state, reference).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/incidents/{reference}/playbooks/{id}", tag = "playbooks",
    params(ChecklistPath),
    responses(
        (status = 204, description = "Taken off the incident, its ticks with it (the timeline keeps what was done)"),
        (status = 404, description = "No such incident, or the playbook is not on it", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn detach(
    State(state): State<AppState>,
    Responder(user): Responder,
    ChecklistPath(reference, id): ChecklistPath,
) -> Result<StatusCode, AppError> {
    service::detach_playbook(&state.db, &user, reference, PlaybookId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub(super) struct Ticking {
    /// True marks the step done, false undoes that; asking for what is already so
    /// changes nothing.
    done: bool,
}

#[utoipa::path(put, path = "/api/v1/incidents/{reference}/playbooks/{id}/steps/{step}", tag = "playbooks",
    params(StepPath),
    request_body = Ticking,
    responses(
        (status = 200, description = "The incident's checklists", body = Checklists),
        (status = 404, description = "No such incident or step, or the playbook is not on it", body = super::ApiError),
        Refused, WriteRefused,
    ))]
pub(super) async fn tick(
    State(state): State<AppState>,
    Responder(user): Responder,
    StepPath(reference, id, step): StepPath,
    ApiJson(ticking): ApiJson<Ticking>,
) -> Result<Json<Checklists>, AppError> {
    service::tick_step(
        &state.db,
        &user,
        reference,
        PlaybookId(id),
        step,
        ticking.done,
    )
    .await
    .map_err(|err| match err {
        AppError::Invalid(_) => AppError::NotFound("This checklist has no such step.".into()),
        other => other,
    })?;
    Ok(Json(checklists(&state, reference).await?))
}
