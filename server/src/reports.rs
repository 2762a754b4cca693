//! CSV downloads of the report tables, for every signed-in user (the same numbers the
//! dashboard and service pages show, for the same query string).

use std::collections::HashMap;

use app::accounts::CurrentUser;
use app::error::AppError;
use app::incidents::ListQuery;
use app::incidents::server_fns::read_filter;
use app::metrics::deploys::delivery_report;
use app::metrics::service::{dashboard, full_ranking, now, service_report};
use app::metrics::{ReportQuery, csv};
use app::state::AppState;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/services.csv", get(services))
        .route("/reports/incidents.csv", get(incident_counts))
        .route("/reports/restore.csv", get(restore))
        .route("/services/{slug}/budget.csv", get(budget))
        .route("/services/{slug}/restore.csv", get(service_restore))
        .route("/reports/delivery.csv", get(delivery))
        .route("/services/{slug}/delivery.csv", get(service_delivery))
        .route("/incidents.csv", get(incidents))
}

/// The incident list under the list page's filters (the same query string), newest
/// first, with a column per custom field; a refused filter is a 422.
async fn incidents(State(state): State<AppState>, parts: Parts) -> Result<Csv, AppError> {
    let Some(user) = parts.extensions.get::<CurrentUser>().cloned() else {
        return Err(AppError::Unauthorized);
    };
    let query: ListQuery = serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
        .map_err(|e| AppError::invalid("query", format!("Bad query string: {e}")))?;
    let (filter, invalid) = read_filter(&state.db, &user, query).await?;
    if !invalid.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let text = app::fields::service::incidents_csv(&state.db, &filter).await?;
    Ok(Csv::new("vigil-incidents.csv", text))
}

/// A report's query string, read for a signed-in user (401 otherwise, 422 on a bad
/// window or bucket).
struct Report(ReportQuery);

impl<S: Send + Sync> FromRequestParts<S> for Report {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if parts.extensions.get::<CurrentUser>().is_none() {
            return Err(AppError::Unauthorized);
        }
        let Query(params) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::invalid("query", format!("Bad query string: {e}")))?;
        let get = |k: &str| params.get(k).map(String::as_str);
        ReportQuery::parse(
            get("window"),
            get("from"),
            get("to"),
            get("max_severity"),
            get("bucket"),
        )
        .map(Report)
        .map_err(AppError::Invalid)
    }
}

/// A CSV file to download, named.
struct Csv {
    name: String,
    text: String,
}

impl Csv {
    fn new(name: impl Into<String>, text: String) -> Self {
        Self {
            name: name.into(),
            text,
        }
    }
}

impl IntoResponse for Csv {
    fn into_response(self) -> Response {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", self.name),
                ),
            ],
            self.text,
        )
            .into_response()
    }
}

async fn services(State(state): State<AppState>, Report(q): Report) -> Result<Csv, AppError> {
    let rows = full_ranking(&state.db, q, now()).await?;
    Ok(Csv::new("vigil-services.csv", csv::services(&rows)))
}

async fn incident_counts(
    State(state): State<AppState>,
    Report(q): Report,
) -> Result<Csv, AppError> {
    let d = dashboard(&state.db, q, now()).await?;
    Ok(Csv::new(
        "vigil-incidents-by-severity.csv",
        csv::counts(&d.severities, &d.counts),
    ))
}

async fn restore(State(state): State<AppState>, Report(q): Report) -> Result<Csv, AppError> {
    let d = dashboard(&state.db, q, now()).await?;
    Ok(Csv::new(
        "vigil-time-to-restore.csv",
        csv::restore(&d.monthly_restore),
    ))
}

async fn budget(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Report(q): Report,
) -> Result<Csv, AppError> {
    let r = service_report(&state.db, &slug, q, now()).await?;
    let spenders = r.budget.map(|b| b.spenders).unwrap_or_default();
    Ok(Csv::new(
        format!("{slug}-error-budget.csv"),
        csv::spenders(&spenders),
    ))
}

async fn service_restore(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Report(q): Report,
) -> Result<Csv, AppError> {
    let r = service_report(&state.db, &slug, q, now()).await?;
    Ok(Csv::new(
        format!("{slug}-time-to-restore.csv"),
        csv::restore(&r.monthly_restore),
    ))
}

async fn delivery(State(state): State<AppState>, Report(q): Report) -> Result<Csv, AppError> {
    let d = delivery_report(&state.db, None, q.span(now()), q.bucket).await?;
    Ok(Csv::new("vigil-deploys.csv", csv::deploys(&d.buckets)))
}

async fn service_delivery(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Report(q): Report,
) -> Result<Csv, AppError> {
    let service = app::catalog::service::get_service(&state.db, &slug).await?;
    let d = delivery_report(&state.db, Some(service.id), q.span(now()), q.bucket).await?;
    Ok(Csv::new(
        format!("{slug}-deploys.csv"),
        csv::deploys(&d.buckets),
    ))
}
