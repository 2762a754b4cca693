//! An incident's postmortem, as its reader may see it.

use app::error::AppError;
use app::postmortems::PostmortemView;
use app::postmortems::service::query::{export_markdown, get_postmortem};
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;

use super::extract::{IncidentPath, Viewer};
use super::{ApiError, Refused};

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/postmortem", tag = "postmortems",
    params(IncidentPath),
    responses(
        (status = 200, description = "The postmortem, as its reader may see it", body = PostmortemView),
        (status = 404, description = "No such incident or no postmortem (yet)", body = ApiError),
        Refused,
    ))]
pub(super) async fn postmortem(
    State(state): State<AppState>,
    Viewer(user): Viewer,
    IncidentPath(reference): IncidentPath,
) -> Result<Json<PostmortemView>, AppError> {
    Ok(Json(get_postmortem(&state.db, reference, user.role).await?))
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/postmortem.md", tag = "postmortems",
    params(IncidentPath),
    responses(
        (status = 200, description = "The postmortem as Markdown", body = String, content_type = "text/markdown"),
        (status = 404, description = "No such incident or no postmortem (yet)", body = ApiError),
        Refused,
    ))]
pub(super) async fn postmortem_markdown(
    State(state): State<AppState>,
    Viewer(user): Viewer,
    IncidentPath(reference): IncidentPath,
) -> Result<([(header::HeaderName, &'static str); 1], String), AppError> {
    let (_, text) = export_markdown(&state.db, reference, user.role).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        text,
    ))
}
