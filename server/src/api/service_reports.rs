//! A service's reliability and delivery reports, with the window parameters the pages
//! take.

use app::catalog::ServiceRef;
use app::catalog::service::get_service;
use app::error::AppError;
use app::incidents::IncidentRef;
use app::metrics::ReportQuery;
use app::metrics::formulas::{DurationStats, Secs, Span};
use app::metrics::service::{now, service_report};
use app::metrics::{BudgetReport, ServiceReport};
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiQuery, ServicePath, Viewer};
use super::{ApiError, Refused, ServiceMissing};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ReliabilityParams {
    /// 30 (default), 90, 365 or custom.
    window: Option<String>,
    /// With window=custom: the first day, YYYY-MM-DD.
    #[param(format = Date)]
    from: Option<String>,
    /// With window=custom: the last day, YYYY-MM-DD.
    #[param(format = Date)]
    to: Option<String>,
    /// Count only incidents at this severity level or worse (1 = the top).
    max_severity: Option<String>,
}

/// A service's reliability numbers and SLO budget, as its page shows them. A bad window
/// is a 422 naming the parameter (the page instead falls back to the default).
#[utoipa::path(get, path = "/api/v1/services/{slug}/reliability", tag = "services",
    params(ServicePath, ReliabilityParams),
    responses(
        (status = 200, description = "Downtime, availability, MTTF, MTBF, MTTR, MTT-resolve, MTTA, MTTD and the SLO budget", body = ServiceReliability),
        ServiceMissing,
        (status = 422, description = "A bad window; `field` names it", body = ApiError),
        Refused,
    ))]
pub(super) async fn reliability(
    State(state): State<AppState>,
    _: Viewer,
    ServicePath(slug): ServicePath,
    ApiQuery(params): ApiQuery<ReliabilityParams>,
) -> Result<Json<ServiceReliability>, AppError> {
    let query = report_query(
        params.window.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
        params.max_severity.as_deref(),
        None,
    )?;
    let report = service_report(&state.db, &slug, query, now()).await?;
    Ok(Json(ServiceReliability::from(report)))
}

/// A report's window and filters, refused with 422 naming the parameter. The page
/// ignores a custom range's days unless the window is `custom`; the API refuses a
/// malformed one whatever the window, as its document says.
fn report_query(
    window: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    max_severity: Option<&str>,
    bucket: Option<&str>,
) -> Result<ReportQuery, AppError> {
    for (field, value) in [("from", from), ("to", to)] {
        if let Some(value) = value
            && chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err()
        {
            return Err(AppError::invalid(field, "Write a day as YYYY-MM-DD."));
        }
    }
    ReportQuery::parse(window, from, to, max_severity, bucket).map_err(AppError::Invalid)
}

fn at(secs: Secs) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// A span of time, `[start, end)`.
#[derive(Serialize, ToSchema)]
pub(super) struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl From<Span> for Window {
    fn from(span: Span) -> Self {
        Self {
            start: at(span.start),
            end: at(span.end),
        }
    }
}

/// A service's reliability over a window, by the definitions of docs/metrics.md (the
/// service page's numbers). Durations are in seconds; `null` where there is no data
/// (no failures, nothing mitigated), never a zero that means "unknown".
#[derive(Serialize, ToSchema)]
pub(super) struct ServiceReliability {
    service: ServiceRef,
    window: Window,
    /// Only incidents at this severity position or more severe counted (1 = the top).
    max_severity: Option<i32>,
    /// Incidents whose impact started in the window.
    failures: i64,
    /// Of those, not yet mitigated.
    unmitigated: i64,
    downtime_seconds: i64,
    uptime_seconds: i64,
    /// Uptime over the window, 0 to 1.
    availability: Option<f64>,
    /// Mean time to failure: uptime per failure.
    mttf_seconds: Option<f64>,
    /// Mean time between failures: MTTF plus the mean time to restore.
    mtbf_seconds: Option<f64>,
    /// Impact start to mitigation (MTTR).
    restore: DurationStats,
    /// Detection to resolution.
    resolve: DurationStats,
    /// Detection to acknowledgement (MTTA).
    acknowledge: DurationStats,
    /// Impact start to detection (MTTD).
    detect: DurationStats,
    /// The SLO's error budget over its own rolling window; null without an SLO.
    budget: Option<Budget>,
}

/// An availability SLO's error budget over its rolling window ending now.
#[derive(Serialize, ToSchema)]
pub(super) struct Budget {
    /// The target in parts per million: 99.9% is 999000.
    target_ppm: i64,
    window: Window,
    /// window x (1 - target).
    budget_seconds: f64,
    /// Downtime inside the window.
    consumed_seconds: i64,
    /// Negative once exhausted.
    remaining_seconds: f64,
    /// Remaining as a fraction of the budget; negative once exhausted.
    remaining_fraction: f64,
    /// The last 24 hours' downtime share over the allowed share: 1 spends the budget
    /// exactly over the window.
    burn_rate: f64,
    /// When the budget runs out at the last 7 days' pace; null when exhausted or
    /// nothing was spent in those days.
    exhausted_at: Option<DateTime<Utc>>,
    /// The incidents that spent it, as the service page lists them.
    spenders: Vec<Spender>,
}

/// An incident that spent error budget.
#[derive(Serialize, ToSchema)]
pub(super) struct Spender {
    reference: IncidentRef,
    title: String,
    severity: String,
    /// Impact inside the SLO window.
    impact_seconds: i64,
    impact_started_at: DateTime<Utc>,
}

impl From<ServiceReport> for ServiceReliability {
    fn from(report: ServiceReport) -> Self {
        let r = report.reliability;
        Self {
            service: report.service.as_ref(),
            window: report.window.into(),
            max_severity: report.max_severity,
            failures: r.failures,
            unmitigated: r.unmitigated,
            downtime_seconds: r.downtime,
            uptime_seconds: r.uptime(),
            availability: r.availability(),
            mttf_seconds: r.mttf(),
            mtbf_seconds: r.mtbf(),
            restore: r.restore,
            resolve: r.resolve,
            acknowledge: r.acknowledge,
            detect: r.detect,
            budget: report.budget.map(Budget::from),
        }
    }
}

impl From<BudgetReport> for Budget {
    fn from(report: BudgetReport) -> Self {
        let b = report.budget;
        Self {
            target_ppm: b.target_ppm,
            window: b.window.into(),
            budget_seconds: b.budget,
            consumed_seconds: b.consumed,
            remaining_seconds: b.remaining,
            remaining_fraction: b.remaining_fraction,
            burn_rate: b.burn_rate,
            exhausted_at: b.exhausted_at.map(at),
            spenders: report
                .spenders
                .into_iter()
                .filter_map(|s| {
                    Some(Spender {
                        reference: IncidentRef::parse(&s.reference)?,
                        title: s.title,
                        severity: s.severity,
                        impact_seconds: s.impact,
                        impact_started_at: at(s.impact_started_at),
                    })
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeliveryParams {
    /// 30 (default), 90, 365 or custom.
    window: Option<String>,
    /// With window=custom: the first day, YYYY-MM-DD.
    #[param(format = Date)]
    from: Option<String>,
    /// With window=custom: the last day, YYYY-MM-DD.
    #[param(format = Date)]
    to: Option<String>,
    /// The periods deploys are counted in: week (default) or month.
    bucket: Option<String>,
}

/// A service's delivery metrics, the DORA four keys, over a window: deployment
/// frequency, lead time for changes, change failure rate and time to restore from the
/// incidents deploys caused, each with its band of the State of DevOps Report 2023;
/// `null` where there is no data.
#[derive(Serialize, ToSchema)]
pub(super) struct ServiceDelivery {
    service: ServiceRef,
    window: Window,
    #[serde(flatten)]
    delivery: app::metrics::delivery::Delivery,
    /// Deploys per week or month of the window.
    periods: Vec<app::metrics::delivery::DeployBucket>,
}

#[utoipa::path(get, path = "/api/v1/services/{slug}/delivery", tag = "services",
    params(ServicePath, DeliveryParams),
    responses(
        (status = 200, description = "Deployment frequency, lead time, change failure rate and time to restore", body = ServiceDelivery),
        ServiceMissing,
        (status = 422, description = "A bad window or bucket; `field` names it", body = ApiError),
        Refused,
    ))]
pub(super) async fn delivery(
    State(state): State<AppState>,
    _: Viewer,
    ServicePath(slug): ServicePath,
    ApiQuery(params): ApiQuery<DeliveryParams>,
) -> Result<Json<ServiceDelivery>, AppError> {
    let query = report_query(
        params.window.as_deref(),
        params.from.as_deref(),
        params.to.as_deref(),
        None,
        params.bucket.as_deref(),
    )?;
    let service = get_service(&state.db, &slug).await?;
    let report = app::metrics::deploys::delivery_report(
        &state.db,
        Some(service.id),
        query.span(now()),
        query.bucket,
    )
    .await?;
    Ok(Json(ServiceDelivery {
        service: service.as_ref(),
        window: report.window.into(),
        delivery: report.delivery,
        periods: report.buckets,
    }))
}
