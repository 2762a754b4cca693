//! CSV downloads of the report tables, for every signed-in user (the same numbers the
//! dashboard and service pages show, for the same query string).

use std::collections::HashMap;

use app::accounts::CurrentUser;
use app::error::AppError;
use app::metrics::service::{dashboard, full_ranking, now, service_report};
use app::metrics::{ReportQuery, csv};
use app::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/services.csv", get(services))
        .route("/reports/incidents.csv", get(incident_counts))
        .route("/reports/restore.csv", get(restore))
        .route("/services/{slug}/budget.csv", get(budget))
        .route("/services/{slug}/restore.csv", get(service_restore))
}

type Params = Query<HashMap<String, String>>;

fn report_query(params: &HashMap<String, String>) -> Result<ReportQuery, AppError> {
    let get = |k: &str| params.get(k).map(String::as_str);
    ReportQuery::parse(
        get("window"),
        get("from"),
        get("to"),
        get("max_severity"),
        get("bucket"),
    )
    .map_err(AppError::Invalid)
}

fn download(name: &str, body: Result<String, AppError>) -> Response {
    match body {
        Ok(text) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            text,
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}

fn signed_in(user: Option<Extension<CurrentUser>>) -> Result<CurrentUser, AppError> {
    user.map(|Extension(u)| u).ok_or(AppError::Unauthorized)
}

async fn services(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Query(params): Params,
) -> Response {
    let body = async {
        signed_in(user)?;
        let rows = full_ranking(&state.db, report_query(&params)?, now()).await?;
        Ok(csv::services(&rows))
    };
    download("vigil-services.csv", body.await)
}

async fn incident_counts(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Query(params): Params,
) -> Response {
    let body = async {
        signed_in(user)?;
        let d = dashboard(&state.db, report_query(&params)?, now()).await?;
        Ok(csv::counts(&d.severities, &d.counts))
    };
    download("vigil-incidents-by-severity.csv", body.await)
}

async fn restore(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Query(params): Params,
) -> Response {
    let body = async {
        signed_in(user)?;
        let d = dashboard(&state.db, report_query(&params)?, now()).await?;
        Ok(csv::restore(&d.monthly_restore))
    };
    download("vigil-time-to-restore.csv", body.await)
}

async fn budget(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(slug): Path<String>,
    Query(params): Params,
) -> Response {
    let body = async {
        signed_in(user)?;
        let r = service_report(&state.db, &slug, report_query(&params)?, now()).await?;
        let spenders = r.budget.map(|b| b.spenders).unwrap_or_default();
        Ok(csv::spenders(&spenders))
    };
    download(&format!("{slug}-error-budget.csv"), body.await)
}

async fn service_restore(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(slug): Path<String>,
    Query(params): Params,
) -> Response {
    let body = async {
        signed_in(user)?;
        let r = service_report(&state.db, &slug, report_query(&params)?, now()).await?;
        Ok(csv::restore(&r.monthly_restore))
    };
    download(&format!("{slug}-time-to-restore.csv"), body.await)
}
