//! Rules: admins list, write, enable, try and delete them.

use app::error::AppError;
use app::rules::service;
use app::rules::{DryRun, RuleInput, RuleView};
use app::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Admin, ApiJson};
use super::{Refused, WriteRefused};

fn rule_missing() -> AppError {
    AppError::NotFound("No such rule.".into())
}

/// A rule (`.../rules/{id}`); a path naming no number is a 404.
#[derive(IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub(super) struct RulePath(
    /// The rule's `id`.
    i64,
);

impl<S: Send + Sync> FromRequestParts<S> for RulePath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        super::extract::path_number(parts, state, rule_missing)
            .await
            .map(RulePath)
    }
}

/// Every rule, in the order they run.
#[derive(Serialize, ToSchema)]
pub(super) struct Rules {
    rules: Vec<RuleView>,
}

#[utoipa::path(get, path = "/api/v1/rules", tag = "rules",
    responses(
        (status = 200, description = "Every rule in the order they run, with its conditions and actions in words", body = Rules),
        Refused,
    ))]
pub(super) async fn rules(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Rules>, AppError> {
    Ok(Json(Rules {
        rules: service::list_rules(&state.db).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/rules/{id}", tag = "rules",
    params(RulePath),
    responses(
        (status = 200, description = "The rule", body = RuleView),
        (status = 404, description = "No such rule", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn rule(
    State(state): State<AppState>,
    _: Admin,
    RulePath(id): RulePath,
) -> Result<Json<RuleView>, AppError> {
    Ok(Json(service::get_rule(&state.db, id).await?))
}

#[utoipa::path(post, path = "/api/v1/rules", tag = "rules", request_body = RuleInput,
    responses(
        (status = 201, description = "Added (a draft unless `enabled`); `Location` is its API address", body = RuleView),
        Refused, WriteRefused,
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    Admin(user, actor): Admin,
    ApiJson(input): ApiJson<RuleInput>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<RuleView>,
    ),
    AppError,
> {
    let input = service::check_input(&state.db, &user, &input).await?;
    let id = service::create_rule(&state.db, &actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/rules/{id}"))],
        Json(service::get_rule(&state.db, id).await?),
    ))
}

/// The whole rule as it should be, at the `version` read.
#[derive(Deserialize, ToSchema)]
pub(super) struct RuleChange {
    version: i32,
    #[serde(flatten)]
    rule: RuleInput,
}

#[utoipa::path(put, path = "/api/v1/rules/{id}", tag = "rules",
    params(RulePath),
    request_body = RuleChange,
    responses(
        (status = 200, description = "Saved", body = RuleView),
        (status = 404, description = "No such rule", body = super::ApiError),
        Refused, WriteRefused,
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    Admin(user, actor): Admin,
    RulePath(id): RulePath,
    ApiJson(change): ApiJson<RuleChange>,
) -> Result<Json<RuleView>, AppError> {
    service::get_rule(&state.db, id).await?;
    let input = service::check_input(&state.db, &user, &change.rule).await?;
    service::update_rule(&state.db, &actor, id, &input, change.version).await?;
    Ok(Json(service::get_rule(&state.db, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/rules/{id}", tag = "rules",
    params(RulePath),
    responses(
        (status = 204, description = "Deleted (what it did stays on the timelines; the audit log keeps it)"),
        (status = 404, description = "No such rule", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn delete(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
    RulePath(id): RulePath,
) -> Result<StatusCode, AppError> {
    service::delete_rule(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The incident to try a rule on.
#[derive(Deserialize, ToSchema)]
pub(super) struct DryRunBody {
    /// `INC-42` or `42`.
    #[schema(example = "INC-42")]
    incident: String,
}

#[utoipa::path(post, path = "/api/v1/rules/{id}/dry-run", tag = "rules",
    params(RulePath),
    request_body = DryRunBody,
    responses(
        (status = 200, description = "What the rule would do on the incident now, or why it would not run; nothing is written", body = DryRun),
        (status = 404, description = "No such rule", body = super::ApiError),
        (status = 413, description = "Body over 64 KiB", body = super::ApiError),
        (status = 422, description = "No such incident, or a body that does not parse", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn dry_run(
    State(state): State<AppState>,
    _: Admin,
    RulePath(id): RulePath,
    ApiJson(body): ApiJson<DryRunBody>,
) -> Result<Json<DryRun>, AppError> {
    let reference = app::incidents::IncidentRef::parse(&body.incident)
        .ok_or_else(|| AppError::invalid("incident", "Name an incident like INC-42."))?;
    Ok(Json(service::dry_run(&state.db, id, reference).await?))
}
