use leptos::prelude::*;

use super::{Dashboard, ServiceReport, ServiceRow};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::ReportQuery,
    crate::accounts::Role,
    crate::web::{self, with_status},
};

/// Bad report parameters do not fail the page: the report falls back to the defaults
/// and the page shows each error beside its field.
#[cfg(feature = "ssr")]
fn read_query(
    window: Option<String>,
    from: Option<String>,
    to: Option<String>,
    max_severity: Option<String>,
    bucket: Option<String>,
) -> (ReportQuery, Vec<crate::error::FieldError>) {
    ReportQuery::read(
        window.as_deref(),
        from.as_deref(),
        to.as_deref(),
        max_severity.as_deref(),
        bucket.as_deref(),
    )
}

/// The managers' dashboard; every signed-in user may read it.
#[server(prefix = "/rpc", endpoint = "get_dashboard")]
pub async fn get_dashboard(
    window: Option<String>,
    from: Option<String>,
    to: Option<String>,
    max_severity: Option<String>,
    bucket: Option<String>,
) -> Result<Dashboard, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    let (query, problems) = read_query(window, from, to, max_severity, bucket);
    let mut dashboard =
        with_status(super::service::dashboard(&state.db, query, super::service::now()).await)?;
    dashboard.problems = problems;
    Ok(dashboard)
}

/// A service's page: catalogue entry, reliability numbers and SLO.
#[server(prefix = "/rpc", endpoint = "get_service_report")]
pub async fn get_service_report(
    slug: String,
    window: Option<String>,
    from: Option<String>,
    to: Option<String>,
    max_severity: Option<String>,
) -> Result<ServiceReport, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    let (query, problems) = read_query(window, from, to, max_severity, None);
    let mut report = with_status(
        super::service::service_report(&state.db, &slug, query, super::service::now()).await,
    )?;
    report.problems = problems;
    Ok(report)
}

/// Every service with its headline numbers over the window.
#[server(prefix = "/rpc", endpoint = "get_services_table")]
pub async fn get_services_table(window: Option<String>) -> Result<Vec<ServiceRow>, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    // The list offers only the presets; anything else shows the default window.
    let (query, _) = read_query(window, None, None, None, None);
    with_status(super::service::services_table(&state.db, query, super::service::now()).await)
}
