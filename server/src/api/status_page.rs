//! An incident on the public status page: what is published and how to publish or post
//! an update, as the incident page's status card does.

use app::error::AppError;
use app::incidents::service::query::get_incident;
use app::state::AppState;
use app::status::{ComponentState, IncidentStatusCard, PublicState, Publication, service};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{ApiJson, IncidentPath, Responder, Viewer};
use super::{IncidentMissing, Refused, WriteRefused};

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/status-page", tag = "status page",
    params(IncidentPath),
    responses(
        (status = 200, description = "Whether the page is on, its components, the state the incident's severity gives, and the incident as published (null until it is)", body = IncidentStatusCard),
        IncidentMissing,
        Refused,
    ))]
pub(super) async fn card(
    State(state): State<AppState>,
    Viewer(_): Viewer,
    IncidentPath(reference): IncidentPath,
) -> Result<Json<IncidentStatusCard>, AppError> {
    let incident = get_incident(&state.db, reference).await?;
    Ok(Json(service::incident_card(&state.db, &incident).await?))
}

/// A publication (the first post) or a later update.
#[derive(Deserialize, ToSchema)]
pub(super) struct PublishBody {
    /// The customer-facing title, without internal names: required to publish,
    /// omitted to keep it.
    #[schema(max_length = 200)]
    title: Option<String>,
    state: PublicState,
    /// The components affected (ids from `components`): required to publish, omitted
    /// to keep them.
    components: Option<Vec<i64>>,
    /// How it shows on its components, over the severity's mapping; omitted or null
    /// follows the severity. Not `operational`.
    impact: Option<ComponentState>,
    /// What customers should know, in Markdown.
    #[schema(min_length = 1, max_length = 5000)]
    body: String,
    /// The published incident's `version` read: omitted for the first publication,
    /// required after (409 if someone posted since).
    version: Option<i32>,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/status-page", tag = "status page",
    params(IncidentPath),
    request_body = PublishBody,
    responses(
        (status = 200, description = "Published or updated; the card as it now stands", body = IncidentStatusCard),
        IncidentMissing,
        Refused, WriteRefused,
    ))]
pub(super) async fn publish(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(post): ApiJson<PublishBody>,
) -> Result<Json<IncidentStatusCard>, AppError> {
    let form = Publication {
        title: post.title,
        state: post.state.as_str().to_owned(),
        components: post.components,
        // Empty follows the severity, as the form's first choice does.
        impact: Some(
            post.impact
                .map(|i| i.as_str().to_owned())
                .unwrap_or_default(),
        ),
        body: post.body,
        version: post.version,
    };
    service::publish(&state.db, &user, reference, &form).await?;
    let incident = get_incident(&state.db, reference).await?;
    Ok(Json(service::incident_card(&state.db, &incident).await?))
}
