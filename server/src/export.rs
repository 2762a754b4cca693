//! Downloads: a postmortem as one Markdown file with front matter.

use app::accounts::CurrentUser;
use app::error::AppError;
use app::incidents::IncidentRef;
use app::postmortems::service::query::export_markdown;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/incidents/{reference}/postmortem.md",
        get(postmortem_markdown),
    )
}

async fn postmortem_markdown(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    user: Option<Extension<CurrentUser>>,
) -> Response {
    let Some(Extension(user)) = user else {
        return AppError::Unauthorized.into_response();
    };
    let reference = match IncidentRef::parse_or_not_found(&reference) {
        Ok(reference) => reference,
        Err(err) => return err.into_response(),
    };
    match export_markdown(&state.db, reference, user.role).await {
        Ok((file_name, text)) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "text/markdown; charset=utf-8".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file_name}\""),
                ),
            ],
            text,
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}
