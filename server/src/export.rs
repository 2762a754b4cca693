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
use axum::{Extension, Json, Router};
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/incidents/{reference}/postmortem.md",
        get(postmortem_markdown),
    )
}

fn error(err: AppError) -> Response {
    (
        err.status(),
        Json(json!({ "error": { "code": err.code(), "message": err.to_string() } })),
    )
        .into_response()
}

async fn postmortem_markdown(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    user: Option<Extension<CurrentUser>>,
) -> Response {
    let Some(Extension(user)) = user else {
        return error(AppError::Unauthorized);
    };
    let Some(reference) = IncidentRef::parse(&reference) else {
        return error(AppError::NotFound(format!(
            "There is no incident {reference}."
        )));
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
        Err(err) => error(err),
    }
}
