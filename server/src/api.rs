//! `/api/v1`: the JSON API for scripts, over the same service functions as the UI.
//! Callers authenticate with a personal API token (`Authorization: Bearer vigil_api_…`)
//! or a browser session, and act with that person's role. Errors are
//! `{"error": {"code", "message", "field"}}` with the matching status.

use app::accounts::{CurrentUser, Role};
use app::catalog::service::list_catalog;
use app::error::AppError;
use app::incidents::service::declare::{Declaration, declare_incident};
use app::incidents::service::edit::{Details, update_details};
use app::incidents::service::lifecycle::{assign_role, change_severity, change_status};
use app::incidents::service::query::{PAGE_SIZE, get_incident, list_incidents};
use app::incidents::service::timeline::{NewNote, add_note, timeline};
use app::incidents::{
    IncidentFilter, IncidentRef, IncidentRole, ListCursor, PageStart, Status, Timestamps,
};
use app::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::json_error;

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
                json_error(AppError::NotFound(
                    "No such API endpoint; see /api/v1/docs.".into(),
                ))
            }),
        )
}

/// The documented routes.
pub fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(incidents, declare))
        .routes(routes!(incident, update))
        .routes(routes!(severity))
        .routes(routes!(role))
        .routes(routes!(status))
        .routes(routes!(events, note))
        .routes(routes!(postmortem))
        .routes(routes!(postmortem_markdown))
        .routes(routes!(action_items, add_action_item))
        .routes(routes!(action_item, update_action_item))
        .routes(routes!(services))
        .routes(routes!(service))
        .routes(routes!(service_reliability))
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
enum Refused {
    #[response(status = 401, description = "No, a wrong, revoked or expired token")]
    Unauthorized(ApiError),
    #[response(status = 403, description = "The token's owner lacks the role")]
    Forbidden(ApiError),
    #[response(status = 429, description = "Too many wrong tokens from this address")]
    TooManyRequests(ApiError),
}

/// What a write may answer besides.
#[derive(IntoResponses)]
#[allow(dead_code)]
enum WriteRefused {
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
struct ApiError {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// Stable: `unauthorized`, `forbidden`, `not_found`, `conflict`, `invalid`, `payload_too_large`, `too_many_requests`, `internal`.
    code: String,
    /// For people.
    message: String,
    /// The input at fault, for `invalid`.
    field: Option<String>,
}

type ApiResult = Result<Response, AppError>;

fn answer(result: ApiResult) -> Response {
    result.unwrap_or_else(json_error)
}

fn caller(user: Option<Extension<CurrentUser>>, role: Role) -> Result<CurrentUser, AppError> {
    let user = user.map(|Extension(u)| u).ok_or(AppError::Unauthorized)?;
    if user.role.includes(role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A caller who may write (a responder or an admin). A parts extractor, so it runs
/// before the body is read: without the role, the answer is 401 or 403 whatever the body.
struct Responder(CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for Responder {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let user = parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .map(Extension);
        caller(user, Role::Responder)
            .map(Responder)
            .map_err(json_error)
    }
}

/// A request body read by [`json_body`]: an oversized or malformed one is answered in
/// the API's error shape.
struct ApiJson<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, _: &S) -> Result<Self, Response> {
        json_body(request.into_body()).await.map(ApiJson)
    }
}

/// Reads a JSON body of at most [`MAX_BODY`] bytes.
async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, Response> {
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({ "error": {
                "code": "payload_too_large",
                "message": format!("Request bodies are limited to {} KiB.", MAX_BODY / 1024),
                "field": null,
            }})),
        )
            .into_response()
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        json_error(AppError::invalid(
            "body",
            format!("The body is not the JSON this endpoint takes: {e}"),
        ))
    })
}

fn reference(value: &str) -> Result<IncidentRef, AppError> {
    IncidentRef::parse_or_not_found(value)
}

#[derive(Deserialize)]
struct ListParams {
    status: Option<String>,
    severity_id: Option<i64>,
    service_id: Option<i64>,
    q: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

/// A list position from a previous answer's `next` or `previous`.
fn list_cursor(field: &str, value: Option<&str>) -> Result<Option<ListCursor>, AppError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            ListCursor::parse(v).ok_or_else(|| {
                AppError::invalid(
                    field,
                    "Not a position from this list: pass `next` or `previous` as given.",
                )
            })
        })
        .transpose()
}

/// Incidents, open first then newest, 25 a page, paged by position: pass an answer's
/// `next` as `after` for the page after it, `previous` as `before` for the one before.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents",
    params(
        ("status" = Option<String>, Query, description = "triage, investigating, identified, monitoring, resolved, closed or merged"),
        ("severity_id" = Option<i64>, Query, description = "Only this severity"),
        ("service_id" = Option<i64>, Query, description = "Only incidents affecting this service"),
        ("q" = Option<String>, Query, description = "Text in the title or summary"),
        ("after" = Option<String>, Query, description = "The page after this position (an answer's `next`)"),
        ("before" = Option<String>, Query, description = "The page before this position (an answer's `previous`)"),
    ),
    responses(
        (status = 200, description = "`incidents`, `per_page`, `total` (counted up to 1001), `next` and `previous` (positions, or null at either end)", body = serde_json::Value),
        (status = 422, description = "A bad filter; `field` names it", body = ApiError),
        Refused,
    ))]
async fn incidents(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    answer(
        async {
            caller(user, Role::Viewer)?;
            let Query(p) =
                params.map_err(|e| AppError::invalid("query", format!("Bad query string: {e}")))?;
            let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
                None => None,
                Some(s) => Some(
                    Status::parse(s)
                        .ok_or_else(|| AppError::invalid("status", "Unknown status."))?,
                ),
            };
            let filter = IncidentFilter {
                status,
                severity_id: p.severity_id,
                service_id: p.service_id,
                text: p.q.filter(|q| !q.trim().is_empty()),
                start: PageStart::from_positions(
                    list_cursor("after", p.after.as_deref())?,
                    list_cursor("before", p.before.as_deref())?,
                ),
                ..Default::default()
            };
            let page = list_incidents(&state.db, &filter).await?;
            Ok(Json(json!({
                "incidents": page.incidents.iter().map(|i| json!({
                    "reference": i.reference.to_string(),
                    "title": i.title,
                    "severity": i.severity,
                    "status": i.status.as_str(),
                    "declared_at": i.declared_at,
                    "impact_started_at": i.impact_started_at,
                    "resolved_at": i.resolved_at,
                })).collect::<Vec<_>>(),
                "per_page": PAGE_SIZE,
                "total": page.total,
                "next": page.older.map(|c| c.encode()),
                "previous": page.newer.map(|c| c.encode()),
            }))
            .into_response())
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}", tag = "incidents", params(("reference" = String, Path, description = "The incident, like INC-12")),
    responses(
        (status = 200, description = "The incident with its `version`", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused,
    ))]
async fn incident(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(value): Path<String>,
) -> Response {
    answer(
        async {
            caller(user, Role::Viewer)?;
            let view = get_incident(&state.db, reference(&value)?).await?;
            let mut body = serde_json::to_value(&view).map_err(AppError::internal)?;
            body["reference"] = json!(view.reference.to_string());
            Ok(Json(body).into_response())
        }
        .await,
    )
}

#[derive(Deserialize, ToSchema)]
struct NewIncident {
    title: String,
    severity_id: i64,
    service_ids: Vec<i64>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    customer_impact: bool,
    commander_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = NewIncident,
    responses(
        (status = 201, description = "Declared; `reference`, `status`, `version`", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused, WriteRefused,
    ))]
async fn declare(
    State(state): State<AppState>,
    Responder(user): Responder,
    ApiJson(new): ApiJson<NewIncident>,
) -> Response {
    answer(async {
        let created = declare_incident(
            &state.db,
            &user,
            Declaration {
                title: new.title,
                severity_id: new.severity_id,
                service_ids: new.service_ids,
                summary: new.summary,
                customer_impact: new.customer_impact,
                commander_id: new.commander_id,
            },
        )
        .await?;
        Ok((
            StatusCode::CREATED,
            [(
                axum::http::header::LOCATION,
                format!("/api/v1/incidents/{created}"),
            )],
            Json(json!({ "reference": created.to_string(), "url": format!("/incidents/{created}") })),
        )
            .into_response())
    }
    .await)
}

#[derive(Deserialize, ToSchema)]
struct StatusChange {
    status: String,
    /// The version the caller last read: a stale one is refused (409).
    version: i32,
    merged_into: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/status", tag = "incidents", params(("reference" = String, Path, description = "The incident, like INC-12")), request_body = StatusChange,
    responses(
        (status = 200, description = "Moved; the new `status` and `version`", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused, WriteRefused,
    ))]
async fn status(
    State(state): State<AppState>,
    Responder(user): Responder,
    Path(value): Path<String>,
    ApiJson(change): ApiJson<StatusChange>,
) -> Response {
    answer(
        async {
            let reference = reference(&value)?;
            let to = Status::parse(&change.status)
                .ok_or_else(|| AppError::invalid("status", "Unknown status."))?;
            let merged_into = change
                .merged_into
                .as_deref()
                .map(IncidentRef::parse_or_not_found)
                .transpose()?;
            change_status(&state.db, &user, reference, to, merged_into, change.version).await?;
            let view = get_incident(&state.db, reference).await?;
            Ok(Json(json!({
                "reference": reference.to_string(),
                "status": view.status.as_str(),
                "version": view.version,
            }))
            .into_response())
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/timeline", tag = "timeline", params(("reference" = String, Path, description = "The incident, like INC-12")),
    responses(
        (status = 200, description = "`events`, oldest first", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused,
    ))]
async fn events(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(value): Path<String>,
) -> Response {
    answer(
        async {
            let user = caller(user, Role::Viewer)?;
            let events = timeline(&state.db, reference(&value)?, user.role).await?;
            Ok(Json(json!({ "events": events })).into_response())
        }
        .await,
    )
}

#[derive(Deserialize, ToSchema)]
struct NewNoteBody {
    body: String,
    occurred_at: Option<DateTime<Utc>>,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/timeline", tag = "timeline", params(("reference" = String, Path, description = "The incident, like INC-12")), request_body = NewNoteBody,
    responses(
        (status = 201, description = "The note as stored", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused, WriteRefused,
    ))]
async fn note(
    State(state): State<AppState>,
    Responder(user): Responder,
    Path(value): Path<String>,
    ApiJson(new): ApiJson<NewNoteBody>,
) -> Response {
    answer(
        async {
            let event = add_note(
                &state.db,
                &user,
                reference(&value)?,
                NewNote {
                    body: new.body,
                    occurred_at: new.occurred_at,
                    marker: None,
                    highlighted: false,
                },
            )
            .await?;
            Ok((StatusCode::CREATED, Json(event)).into_response())
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    responses(
        (status = 200, description = "`services`: the catalogue", body = serde_json::Value),
        Refused,
    ))]
async fn services(State(state): State<AppState>, user: Option<Extension<CurrentUser>>) -> Response {
    answer(
        async {
            caller(user, Role::Viewer)?;
            let services = list_catalog(&state.db).await?;
            Ok(Json(json!({ "services": services })).into_response())
        }
        .await,
    )
}

/// The current version and status of `reference`, as every write answers.
async fn written(state: &AppState, reference: IncidentRef) -> ApiResult {
    let view = get_incident(&state.db, reference).await?;
    Ok(Json(json!({
        "reference": reference.to_string(),
        "status": view.status.as_str(),
        "severity": view.severity.name,
        "version": view.version,
    }))
    .into_response())
}

/// Only the fields given change; the rest keep their current values.
#[derive(Deserialize, ToSchema)]
struct DetailsChange {
    version: i32,
    title: Option<String>,
    summary: Option<String>,
    customer_impact: Option<bool>,
    service_ids: Option<Vec<i64>>,
    /// Any of the seven timestamps, RFC 3339.
    #[schema(value_type = Option<Object>)]
    times: Option<Timestamps>,
}

#[utoipa::path(patch, path = "/api/v1/incidents/{reference}", tag = "incidents", params(("reference" = String, Path, description = "The incident, like INC-12")), request_body = DetailsChange,
    responses(
        (status = 200, description = "Saved; the new `version`", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused, WriteRefused,
    ))]
async fn update(
    State(state): State<AppState>,
    Responder(user): Responder,
    Path(value): Path<String>,
    ApiJson(change): ApiJson<DetailsChange>,
) -> Response {
    answer(
        async {
            let reference = reference(&value)?;
            let current = get_incident(&state.db, reference).await?;
            let details = Details {
                title: change.title.unwrap_or(current.title),
                summary: change.summary.unwrap_or(current.summary),
                customer_impact: change.customer_impact.unwrap_or(current.customer_impact),
                service_ids: change
                    .service_ids
                    .unwrap_or_else(|| current.services.iter().map(|s| s.id).collect()),
                times: change.times.unwrap_or(current.times),
            };
            update_details(&state.db, &user, reference, details, change.version).await?;
            written(&state, reference).await
        }
        .await,
    )
}

#[derive(Deserialize, ToSchema)]
struct SeverityChange {
    severity_id: i64,
    version: i32,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/severity", tag = "incidents", params(("reference" = String, Path, description = "The incident, like INC-12")), request_body = SeverityChange,
    responses(
        (status = 200, description = "Saved; the new `version`", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused, WriteRefused,
    ))]
async fn severity(
    State(state): State<AppState>,
    Responder(user): Responder,
    Path(value): Path<String>,
    ApiJson(change): ApiJson<SeverityChange>,
) -> Response {
    answer(
        async {
            let reference = reference(&value)?;
            change_severity(
                &state.db,
                &user,
                reference,
                change.severity_id,
                change.version,
            )
            .await?;
            written(&state, reference).await
        }
        .await,
    )
}

#[derive(Deserialize, ToSchema)]
struct RoleChange {
    /// `commander`, `communications`, `operations` or `scribe`.
    role: String,
    user_id: i64,
    version: i32,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/roles", tag = "incidents", params(("reference" = String, Path, description = "The incident, like INC-12")), request_body = RoleChange,
    responses(
        (status = 200, description = "Saved; the new `version`", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused, WriteRefused,
    ))]
async fn role(
    State(state): State<AppState>,
    Responder(user): Responder,
    Path(value): Path<String>,
    ApiJson(change): ApiJson<RoleChange>,
) -> Response {
    answer(
        async {
            let reference = reference(&value)?;
            let role = IncidentRole::parse(&change.role).ok_or_else(|| {
                AppError::invalid(
                    "role",
                    "Choose commander, communications, operations or scribe.",
                )
            })?;
            assign_role(
                &state.db,
                &user,
                reference,
                role,
                change.user_id,
                change.version,
            )
            .await?;
            written(&state, reference).await
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/postmortem", tag = "postmortems", params(("reference" = String, Path, description = "The incident, like INC-12")),
    responses(
        (status = 200, description = "The postmortem, as its reader may see it", body = serde_json::Value),
        (status = 404, description = "No such incident or no postmortem (yet)", body = ApiError),
        Refused,
    ))]
async fn postmortem(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(value): Path<String>,
) -> Response {
    answer(
        async {
            let user = caller(user, Role::Viewer)?;
            let pm = app::postmortems::service::query::get_postmortem(
                &state.db,
                reference(&value)?,
                user.role,
            )
            .await?;
            Ok(Json(pm).into_response())
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/postmortem.md", tag = "postmortems", params(("reference" = String, Path, description = "The incident, like INC-12")),
    responses(
        (status = 200, description = "The postmortem as Markdown", body = String, content_type = "text/markdown"),
        (status = 404, description = "No such incident or no postmortem (yet)", body = ApiError),
        Refused,
    ))]
async fn postmortem_markdown(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(value): Path<String>,
) -> Response {
    answer(
        async {
            let user = caller(user, Role::Viewer)?;
            let (_, text) = app::postmortems::service::query::export_markdown(
                &state.db,
                reference(&value)?,
                user.role,
            )
            .await?;
            Ok((
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/markdown; charset=utf-8",
                )],
                text,
            )
                .into_response())
        }
        .await,
    )
}

#[derive(Deserialize)]
struct PageParam {
    page: Option<u64>,
}

/// An incident's action items, pending first, 25 a page (`page` from 1).
#[utoipa::path(get, path = "/api/v1/incidents/{reference}/action-items", tag = "action items",
    params(("reference" = String, Path, description = "The incident, like INC-12"), ("page" = Option<u64>, Query, description = "From 1; 25 items a page")),
    responses(
        (status = 200, description = "`items`, `page`, `pages`, `total`", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused,
    ))]
async fn action_items(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(value): Path<String>,
    params: Result<Query<PageParam>, axum::extract::rejection::QueryRejection>,
) -> Response {
    answer(
        async {
            caller(user, Role::Viewer)?;
            let Query(params) =
                params.map_err(|e| AppError::invalid("query", format!("Bad query string: {e}")))?;
            let filter = app::action_items::ActionItemFilter {
                incident: Some(reference(&value)?),
                page: params.page.unwrap_or(1).max(1),
                ..Default::default()
            };
            let page = app::action_items::service::list_action_items(
                &state.db,
                &filter,
                Utc::now().date_naive(),
            )
            .await?;
            Ok(Json(page).into_response())
        }
        .await,
    )
}

#[derive(Deserialize, ToSchema)]
struct NewActionItem {
    title: String,
    #[serde(default)]
    description: String,
    kind: Option<String>,
    priority: Option<String>,
    owner_id: Option<i64>,
    due_on: Option<chrono::NaiveDate>,
    #[serde(default)]
    tracker_url: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/action-items", tag = "action items", params(("reference" = String, Path, description = "The incident, like INC-12")), request_body = NewActionItem,
    responses(
        (status = 201, description = "Added; its `id`", body = serde_json::Value),
        (status = 404, description = "No such incident", body = ApiError),
        Refused, WriteRefused,
    ))]
async fn add_action_item(
    State(state): State<AppState>,
    Responder(user): Responder,
    Path(value): Path<String>,
    ApiJson(new): ApiJson<NewActionItem>,
) -> Response {
    answer(
        async {
            use app::action_items::{ItemKind, Priority};
            let kind = match new.kind.as_deref() {
                None => None,
                Some(k) => Some(
                    ItemKind::parse(k).ok_or_else(|| AppError::invalid("kind", "Unknown kind."))?,
                ),
            };
            let priority = match new.priority.as_deref() {
                None => None,
                Some(p) => Some(
                    Priority::parse(p)
                        .ok_or_else(|| AppError::invalid("priority", "Unknown priority."))?,
                ),
            };
            let id = app::action_items::service::create_action_item(
                &state.db,
                &user,
                reference(&value)?,
                app::action_items::service::ItemFields {
                    title: new.title,
                    description: new.description,
                    kind,
                    priority,
                    owner_id: new.owner_id,
                    due_on: new.due_on,
                    tracker_url: new.tracker_url,
                    ..Default::default()
                },
            )
            .await?;
            Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
        }
        .await,
    )
}

/// Lets a PATCH tell "set to null" (`Some(None)`) from "leave alone" (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A PATCH of an action item: only the given fields change; `version` is the one read.
#[derive(Deserialize, ToSchema)]
struct ActionItemPatch {
    version: i32,
    title: Option<String>,
    description: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    /// `null` clears the owner.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    owner_id: Option<Option<i64>>,
    /// `null` clears the due date.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<chrono::NaiveDate>)]
    due_on: Option<Option<chrono::NaiveDate>>,
    status: Option<String>,
    wont_do_reason: Option<String>,
    tracker_url: Option<String>,
}

async fn find_action_item(
    state: &AppState,
    id: &str,
) -> Result<app::action_items::entities::action_item::Model, AppError> {
    use sea_orm::EntityTrait;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound("There is no such action item.".into()))?;
    app::action_items::entities::action_item::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such action item.".into()))
}

fn action_item_json(m: &app::action_items::entities::action_item::Model) -> serde_json::Value {
    json!({
        "id": m.id,
        "incident": IncidentRef(m.incident_id).to_string(),
        "title": m.title,
        "description": m.description,
        "kind": m.kind,
        "priority": m.priority,
        "owner_id": m.owner_id,
        "due_on": m.due_on,
        "status": m.status,
        "wont_do_reason": m.wont_do_reason,
        "tracker_url": m.tracker_url,
        "version": m.version,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
        "completed_at": m.completed_at,
    })
}

#[utoipa::path(get, path = "/api/v1/action-items/{id}", tag = "action items", params(("id" = i64, Path, description = "The action item")),
    responses(
        (status = 200, description = "The item with its `version`", body = serde_json::Value),
        (status = 404, description = "No such action item", body = ApiError),
        Refused,
    ))]
async fn action_item(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<String>,
) -> Response {
    answer(
        async {
            caller(user, Role::Viewer)?;
            let item = find_action_item(&state, &id).await?;
            Ok(Json(action_item_json(&item)).into_response())
        }
        .await,
    )
}

#[utoipa::path(patch, path = "/api/v1/action-items/{id}", tag = "action items", params(("id" = i64, Path, description = "The action item")), request_body = ActionItemPatch,
    responses(
        (status = 200, description = "The item as saved", body = serde_json::Value),
        (status = 404, description = "No such action item", body = ApiError),
        Refused, WriteRefused,
    ))]
async fn update_action_item(
    State(state): State<AppState>,
    Responder(user): Responder,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ActionItemPatch>,
) -> Response {
    answer(
        async {
            use app::action_items::{ItemKind, ItemStatus, Priority};
            let current = find_action_item(&state, &id).await?;
            let kind = patch.kind.as_deref().unwrap_or(&current.kind);
            let kind =
                ItemKind::parse(kind).ok_or_else(|| AppError::invalid("kind", "Unknown kind."))?;
            let priority = patch.priority.as_deref().unwrap_or(&current.priority);
            let priority = Priority::parse(priority)
                .ok_or_else(|| AppError::invalid("priority", "Unknown priority."))?;
            let status = patch.status.as_deref().unwrap_or(&current.status);
            let status = ItemStatus::parse(status)
                .ok_or_else(|| AppError::invalid("status", "Unknown status."))?;
            let fields = app::action_items::service::ItemFields {
                title: patch.title.unwrap_or(current.title.clone()),
                description: patch.description.unwrap_or(current.description.clone()),
                kind: Some(kind),
                priority: Some(priority),
                owner_id: patch.owner_id.unwrap_or(current.owner_id),
                due_on: patch.due_on.unwrap_or(current.due_on),
                status,
                wont_do_reason: patch
                    .wont_do_reason
                    .unwrap_or(current.wont_do_reason.clone().unwrap_or_default()),
                tracker_url: patch
                    .tracker_url
                    .unwrap_or(current.tracker_url.clone().unwrap_or_default()),
            };
            app::action_items::service::update_action_item(
                &state.db,
                &user,
                current.id,
                fields,
                patch.version,
            )
            .await?;
            let item = find_action_item(&state, &id).await?;
            Ok(Json(action_item_json(&item)).into_response())
        }
        .await,
    )
}

#[utoipa::path(get, path = "/api/v1/services/{slug}", tag = "services", params(("slug" = String, Path, description = "The service, like checkout")),
    responses(
        (status = 200, description = "The service: owner, tier, SLO, runbooks", body = serde_json::Value),
        (status = 404, description = "No such service", body = ApiError),
        Refused,
    ))]
async fn service(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(slug): Path<String>,
) -> Response {
    answer(
        async {
            caller(user, Role::Viewer)?;
            let service = app::catalog::service::get_service(&state.db, &slug).await?;
            Ok(Json(service).into_response())
        }
        .await,
    )
}

#[derive(Deserialize)]
struct ReliabilityParams {
    window: Option<String>,
    from: Option<String>,
    to: Option<String>,
    max_severity: Option<String>,
}

/// A service's reliability numbers and SLO budget, as its page shows them. A bad window
/// is a 422 naming the parameter (the page instead falls back to the default).
#[utoipa::path(get, path = "/api/v1/services/{slug}/reliability", tag = "services",
    params(("slug" = String, Path, description = "The service, like checkout"),
        ("window" = Option<String>, Query, description = "30 (default), 90, 365 or custom"),
        ("from" = Option<String>, Query, description = "With window=custom: first day, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "With window=custom: last day, YYYY-MM-DD"),
        ("max_severity" = Option<String>, Query, description = "Count only incidents at this severity level or worse (1 = the top)"),
    ),
    responses(
        (status = 200, description = "Downtime, MTTR, MTT-resolve, MTTA, MTTD (mean, median, p90), MTTF, MTBF, availability and the SLO budget", body = serde_json::Value),
        (status = 404, description = "No such service", body = ApiError),
        (status = 422, description = "A bad window; `field` names it", body = ApiError),
        Refused,
    ))]
async fn service_reliability(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(slug): Path<String>,
    params: Result<Query<ReliabilityParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    answer(
        async {
            caller(user, Role::Viewer)?;
            let Query(params) =
                params.map_err(|e| AppError::invalid("query", format!("Bad query string: {e}")))?;
            let query = app::metrics::ReportQuery::parse(
                params.window.as_deref(),
                params.from.as_deref(),
                params.to.as_deref(),
                params.max_severity.as_deref(),
                None,
            )
            .map_err(AppError::Invalid)?;
            let report = app::metrics::service::service_report(
                &state.db,
                &slug,
                query,
                app::metrics::service::now(),
            )
            .await?;
            Ok(Json(report).into_response())
        }
        .await,
    )
}
