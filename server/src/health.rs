//! Liveness and readiness probes for load balancers and orchestrators.

use app::state::AppState;
use app::system::service::database_ready;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
}

/// The process is up and serving HTTP.
async fn livez() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can do useful work: its database answers.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if database_ready(&state.db).await {
        (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": "ok" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "unreachable" })),
        )
    }
}
