//! `/api/v1`: the JSON API for scripts, over the same service functions as the UI.
//! Callers authenticate with a personal API token (`Authorization: Bearer vigil_api_…`)
//! or a browser session, and act with that person's role. Errors are
//! `{"error": {"code", "message", "field"}}` with the matching status.

use app::error::AppError;
use app::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod action_items;
mod alerts;
mod changes;
mod extract;
mod fields;
mod incidents;
mod maintenance;
mod people;
mod playbooks;
mod postmortems;
mod rules;
mod service_reports;
mod services;
mod status_page;
mod subscribers;
mod timeline;

/// The largest request body the API reads.
pub const MAX_BODY: usize = 64 * 1024;

/// The API's routes, each registered together with its OpenAPI description (so the two
/// cannot drift), plus the document itself, its browsable form and a JSON 404.
pub fn routes() -> Router<AppState> {
    let (router, doc) = documented().split_for_parts();
    let json = Arc::new(doc.to_pretty_json().unwrap_or_default());
    let page = Arc::new(crate::api_docs::render(&doc));
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let json = json.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        (*json).clone(),
                    )
                }
            }),
        )
        .route(
            "/api/v1/docs",
            get(move || {
                let page = page.clone();
                async move { crate::api_docs::respond(&page) }
            }),
        )
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(|| async {
                (AppError::NotFound("No such API endpoint; see /api/v1/docs.".into()))
                    .into_response()
            }),
        )
}

/// The documented routes.
pub fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(incidents::incidents, incidents::declare))
        .routes(routes!(incidents::incident, incidents::update))
        .routes(routes!(incidents::severity))
        .routes(routes!(incidents::role))
        .routes(routes!(incidents::status))
        .routes(routes!(timeline::events, timeline::note))
        .routes(routes!(timeline::edit, timeline::delete))
        .routes(routes!(postmortems::postmortems))
        .routes(routes!(
            postmortems::postmortem,
            postmortems::start,
            postmortems::save
        ))
        .routes(routes!(postmortems::refresh_timeline))
        .routes(routes!(postmortems::reviewers))
        .routes(routes!(postmortems::review_step))
        .routes(routes!(postmortems::comment))
        .routes(routes!(postmortems::postmortem_markdown))
        .routes(routes!(postmortems::history))
        .routes(routes!(
            postmortems::template,
            postmortems::save_template,
            postmortems::reset_template
        ))
        .routes(routes!(
            action_items::action_items,
            action_items::add_action_item
        ))
        .routes(routes!(action_items::action_item, action_items::update))
        .routes(routes!(action_items::all_action_items))
        .routes(routes!(services::services, services::create))
        .routes(routes!(services::service, services::update))
        .routes(routes!(services::archive))
        .routes(routes!(service_reports::reliability))
        .routes(routes!(service_reports::delivery))
        .routes(routes!(people::severities))
        .routes(routes!(people::users))
        .routes(routes!(people::audit))
        .routes(routes!(alerts::alerts))
        .routes(routes!(changes::changes, changes::create))
        .routes(routes!(changes::change))
        .routes(routes!(changes::rollback))
        .routes(routes!(changes::before_incident))
        .routes(routes!(changes::link, changes::unlink))
        .routes(routes!(status_page::card, status_page::publish))
        .routes(routes!(maintenance::list, maintenance::schedule))
        .routes(routes!(maintenance::one, maintenance::update))
        .routes(routes!(maintenance::finish))
        .routes(routes!(subscribers::list))
        .routes(routes!(subscribers::remove))
        .routes(routes!(playbooks::playbooks, playbooks::create))
        .routes(routes!(playbooks::playbook, playbooks::update))
        .routes(routes!(playbooks::incident_checklists, playbooks::attach))
        .routes(routes!(playbooks::detach))
        .routes(routes!(playbooks::tick))
        .routes(routes!(fields::types, fields::create_type))
        .routes(routes!(fields::incident_type, fields::update_type))
        .routes(routes!(fields::fields, fields::create_field))
        .routes(routes!(fields::field, fields::update_field))
        .routes(routes!(
            fields::incident_fields,
            fields::update_incident_fields
        ))
        .routes(routes!(rules::rules, rules::create))
        .routes(routes!(rules::rule, rules::update, rules::delete))
        .routes(routes!(rules::dry_run))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigil API",
        version = "1",
        description = "Incidents, timelines, postmortems, action items and services. Authenticate with a personal API token from My account: `Authorization: Bearer vigil_api_…`; it acts with its owner's role. Writes name the `version` they read and get 409 if it changed. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`. Lists are paged, 25 a page."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ApiError, ErrorDetail)),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("vigil_api_…")
                    .build(),
            ),
        );
    }
}

/// What any endpoint may answer instead.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(super) enum Refused {
    #[response(status = 401, description = "No, a wrong, revoked or expired token")]
    Unauthorized(ApiError),
    #[response(status = 403, description = "The token's owner lacks the role")]
    Forbidden(ApiError),
    #[response(status = 429, description = "Too many wrong tokens from this address")]
    TooManyRequests(ApiError),
}

/// A path that names no incident.
#[derive(IntoResponses)]
#[allow(dead_code)]
#[response(status = 404, description = "No such incident")]
pub(super) struct IncidentMissing(ApiError);

/// A path that names no service.
#[derive(IntoResponses)]
#[allow(dead_code)]
#[response(status = 404, description = "No such service")]
pub(super) struct ServiceMissing(ApiError);

/// What a write may answer besides.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(super) enum WriteRefused {
    #[response(status = 409, description = "Changed since `version` was read")]
    Conflict(ApiError),
    #[response(status = 413, description = "Body over 64 KiB")]
    TooLarge(ApiError),
    #[response(status = 422, description = "Bad input; `field` names it")]
    Invalid(ApiError),
}

/// Every error the API answers.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(super) struct ApiError {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// Stable: `unauthorized`, `forbidden`, `not_found`, `conflict`, `invalid`, `payload_too_large`, `too_many_requests`, `busy`, `internal`.
    code: String,
    /// For people.
    message: String,
    /// The input at fault, for `invalid`.
    field: Option<String>,
}
