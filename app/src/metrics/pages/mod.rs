//! The dashboard, plus the pieces the service page shares with it: the report filter
//! form and the metric cards with their definitions.

mod dashboard;

pub use dashboard::DashboardPage;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::formulas::{DurationStats, Reliability};
use super::report::{PRESETS, Period};
use super::{ReportQuery, SeverityLevel};
use crate::error::FieldError;

/// `1h 05m`; durations are whole seconds.
pub fn duration(secs: f64) -> String {
    let text =
        crate::incidents::durations::format(chrono::Duration::seconds(secs.abs().round() as i64));
    if secs <= -0.5 {
        format!("−{text}")
    } else {
        text
    }
}

/// `99.973%`.
pub fn percent(fraction: f64) -> String {
    let text = format!("{:.3}", fraction * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// The report parameters of the current URL, as the server functions take them.
pub fn url_params() -> impl Fn(&'static str) -> Option<String> + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move |key: &'static str| query.read().get(key).filter(|v| !v.is_empty())
}

/// The window, severity and (optionally) bucket choice, as a GET form: the URL holds
/// the state, so reports can be shared and work without JavaScript.
#[component]
pub fn ReportFilters(
    action: String,
    query: ReportQuery,
    severities: Vec<SeverityLevel>,
    /// Bad parameters that were replaced by their defaults, shown beside their fields.
    #[prop(optional)]
    problems: Vec<FieldError>,
    #[prop(optional)] with_bucket: bool,
) -> impl IntoView {
    let (from, to, custom) = match query.period {
        Period::Custom { from, to } => (from.to_string(), to.to_string(), true),
        Period::Last(_) => (String::new(), String::new(), false),
    };
    let window_is = move |d: i64| query.period == Period::Last(d);
    let reset = action.clone();
    let problem = move |field: &str| {
        problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.clone())
    };
    let error = |field: &'static str, message: Option<String>| {
        message
            .map(|m| view! { <p class="field__error" id=format!("report-{field}-error")>{m}</p> })
    };
    let invalid = |message: &Option<String>| message.is_some().then_some("true");
    let described = |field: &'static str, message: &Option<String>| {
        message.is_some().then(|| format!("report-{field}-error"))
    };
    let (window_err, from_err, to_err, severity_err, bucket_err) = (
        problem("window"),
        problem("from"),
        problem("to"),
        problem("max_severity"),
        problem("bucket"),
    );
    view! {
        <form class="filters card" method="get" action=action aria-label="Report window">
            <div class="field">
                <label class="field__label" for="report-window">"Window"</label>
                <select class="field__input" id="report-window" name="window"
                    aria-invalid=invalid(&window_err) aria-describedby=described("window", &window_err)>
                    {PRESETS.into_iter().map(|d| view! {
                        <option value=d.to_string() selected=window_is(d)>{format!("Last {d} days")}</option>
                    }).collect_view()}
                    <option value="custom" selected=custom>"Custom range"</option>
                </select>
                {error("window", window_err.clone())}
            </div>
            <div class="field">
                <label class="field__label" for="report-from">"From (custom)"</label>
                <input class="field__input" id="report-from" name="from" type="date" value=from
                    aria-invalid=invalid(&from_err) aria-describedby=described("from", &from_err) />
                {error("from", from_err.clone())}
            </div>
            <div class="field">
                <label class="field__label" for="report-to">"To (custom)"</label>
                <input class="field__input" id="report-to" name="to" type="date" value=to
                    aria-invalid=invalid(&to_err) aria-describedby=described("to", &to_err) />
                {error("to", to_err.clone())}
            </div>
            <div class="field">
                <label class="field__label" for="report-severity">"Failures are"</label>
                <select class="field__input" id="report-severity" name="max_severity"
                    aria-invalid=invalid(&severity_err) aria-describedby=described("max_severity", &severity_err)>
                    <option value="" selected=query.max_severity.is_none()>"Every severity (or the service's rule)"</option>
                    {severities.iter().map(|s| {
                        let label = if s.position == 1 { format!("{} only", s.name) } else { format!("{} or worse", s.name) };
                        view! { <option value=s.position.to_string() selected=query.max_severity == Some(s.position)>{label}</option> }
                    }).collect_view()}
                </select>
                {error("max_severity", severity_err.clone())}
            </div>
            {with_bucket.then(|| view! {
                <div class="field">
                    <label class="field__label" for="report-bucket">"Count per"</label>
                    <select class="field__input" id="report-bucket" name="bucket"
                        aria-invalid=invalid(&bucket_err) aria-describedby=described("bucket", &bucket_err)>
                        <option value="week" selected=query.bucket == super::report::Bucket::Week>"Week"</option>
                        <option value="month" selected=query.bucket == super::report::Bucket::Month>"Month"</option>
                    </select>
                    {error("bucket", bucket_err.clone())}
                </div>
            })}
            <div class="filters__actions">
                <button class="button" type="submit">"Show"</button>
                <a class="button button--quiet" href=reset>"Reset"</a>
            </div>
        </form>
    }
}

/// One number with its definition; undefined numbers say why instead of showing 0.
#[component]
pub fn Metric(
    label: &'static str,
    value: Option<String>,
    #[prop(optional, into)] detail: Option<String>,
    /// Said when the value is undefined.
    undefined: &'static str,
    definition: &'static str,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let defined = value.is_some();
    view! {
        <div class="metric" data-testid=testid>
            <dt class="metric__label">{label}</dt>
            <dd class="metric__value" class:metric__value--undefined=!defined>{value.unwrap_or_else(|| undefined.to_owned())}</dd>
            {detail.filter(|_| defined).map(|d| view! { <dd class="metric__detail">{d}</dd> })}
            <dd class="metric__definition">{definition}</dd>
        </div>
    }
}

fn spread(s: &DurationStats) -> Option<String> {
    Some(format!(
        "median {} · p90 {} · {} incident{}",
        duration(s.median?),
        duration(s.p90?),
        s.count,
        if s.count == 1 { "" } else { "s" }
    ))
}

/// The full set of reliability numbers for one service or the whole estate.
#[component]
pub fn ReliabilityNumbers(reliability: Reliability) -> impl IntoView {
    let r = reliability;
    view! {
        <dl class="metrics" data-testid="reliability">
            <Metric label="Availability" testid="availability" value=r.availability().map(percent)
                detail=format!("{} down of {}", duration(r.downtime as f64), duration(r.window.len() as f64))
                undefined="No window"
                definition="Uptime / window length. Downtime is the union of incident impact windows (impact start to mitigation, or to now while open), so overlapping incidents count once." />
            <Metric label="Failures" testid="failures" value=Some(r.failures.to_string())
                detail=format!("{} not yet mitigated", r.unmitigated)
                undefined=""
                definition="Incidents whose impact started in the window and that pass the severity rule." />
            <Metric label="MTTR (restore)" testid="mttr" value=r.restore.mean.map(duration) detail=spread(&r.restore).unwrap_or_default()
                undefined="No mitigated incidents"
                definition="Mean time to restore: impact start to mitigation." />
            <Metric label="MTTA (acknowledge)" testid="mtta" value=r.acknowledge.mean.map(duration) detail=spread(&r.acknowledge).unwrap_or_default()
                undefined="No acknowledged incidents"
                definition="Mean time to acknowledge: detection to acknowledgement." />
            <Metric label="MTTD (detect)" testid="mttd" value=r.detect.mean.map(duration) detail=spread(&r.detect).unwrap_or_default()
                undefined="No incidents"
                definition="Mean time to detect: impact start to detection." />
            <Metric label="MTT-resolve" testid="mtt-resolve" value=r.resolve.mean.map(duration) detail=spread(&r.resolve).unwrap_or_default()
                undefined="No resolved incidents"
                definition="Mean time to resolve: detection to resolution." />
            <Metric label="MTTF" testid="mttf" value=r.mttf().map(duration)
                undefined="No failures in the window"
                definition="Mean time to failure: uptime in the window / number of failures." />
            <Metric label="MTBF" testid="mtbf" value=r.mtbf().map(duration)
                undefined="Needs a failure that was mitigated"
                definition="Mean time between failures: MTTF + MTTR." />
        </dl>
    }
}

/// Median and p90 time to restore per month, as a line chart.
#[component]
pub fn RestoreTrend(id: &'static str, months: Vec<(String, DurationStats)>) -> impl IntoView {
    let labels: Vec<String> = months
        .iter()
        .map(|(m, _)| m.get(..7).unwrap_or(m).to_owned())
        .collect();
    let description = if months.iter().all(|(_, s)| s.count == 0) {
        "No mitigated incidents in this window.".to_owned()
    } else {
        months
            .iter()
            .filter_map(|(m, s)| {
                Some(format!(
                    "{}: median {}, p90 {}",
                    m.get(..7).unwrap_or(m),
                    duration(s.median?),
                    duration(s.p90?)
                ))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let series = vec![
        super::charts::Series {
            name: "Median".to_owned(),
            values: months.iter().map(|(_, s)| s.median).collect(),
        },
        super::charts::Series {
            name: "p90".to_owned(),
            values: months.iter().map(|(_, s)| s.p90).collect(),
        },
    ];
    view! {
        <super::charts::LineChart id title="Time to restore per month (median and p90)".to_owned() description labels series format=duration />
    }
}

/// An SLO's budget numbers and burn-down.
#[component]
pub fn BudgetNumbers(budget: super::BudgetReport, chart_id: String) -> impl IntoView {
    let b = &budget.budget;
    let state = if b.is_exhausted() {
        view! { <p class="budget-state budget-state--exhausted" data-testid="budget-state">"Exhausted: the SLO is not being met."</p> }.into_any()
    } else {
        view! { <p class="budget-state budget-state--ok" data-testid="budget-state">{format!("{} of the budget left", percent(b.remaining_fraction.max(0.0)))}</p> }.into_any()
    };
    let remaining = if b.remaining < 0.0 {
        format!("over by {}", duration(-b.remaining))
    } else {
        duration(b.remaining)
    };
    let points: Vec<(String, f64)> = b
        .burn_down
        .iter()
        .map(|(t, v)| {
            (
                super::report::date_label(*t)
                    .get(5..)
                    .unwrap_or_default()
                    .to_owned(),
                *v,
            )
        })
        .collect();
    let description = format!(
        "{} of {} budget used over {} days; {}.",
        duration(b.consumed as f64),
        duration(b.budget),
        budget.slo.window_days,
        if b.is_exhausted() {
            "exhausted".to_owned()
        } else {
            format!("{remaining} left")
        }
    );
    view! {
        {state}
        <dl class="metrics metrics--compact" data-testid="budget">
            <Metric label="Target" value=Some(format!("{} over {} days", budget.slo.target_label(), budget.slo.window_days)) undefined="" definition="The availability the service promises, over a rolling window ending now." />
            <Metric label="Budget" testid="budget-total" value=Some(duration(b.budget)) undefined="" definition="Window × (1 − target): the downtime the SLO allows." />
            <Metric label="Consumed" testid="budget-consumed" value=Some(duration(b.consumed as f64)) undefined="" definition="Downtime inside the window (failures by the service's own severity rule)." />
            <Metric label="Remaining" testid="budget-remaining" value=Some(remaining) undefined="" definition="Budget minus consumed." />
            <Metric label="Burn rate (24 h)" testid="burn-rate" value=Some(format!("{:.2}×", b.burn_rate)) undefined="" definition="Share of the last 24 hours down, divided by the allowed share (1 − target). 1× spends the budget exactly over the window." />
            <Metric label="Runs out" testid="exhaustion" value=b.exhausted_at.map(super::report::date_label)
                undefined=if b.is_exhausted() { "Already exhausted" } else { "Not at the current pace" }
                definition="When the remaining budget is gone at the pace of the last 7 days." />
        </dl>
        <BurnDown id=chart_id title=format!("Error budget burn-down ({} over {} days)", budget.slo.target_label(), budget.slo.window_days) description points budget=b.budget format=duration />
    }
}

use super::charts::BurnDown;

/// A band of the State of DevOps report, as a badge after a number.
fn band_text(band: Option<super::delivery::Band>) -> String {
    band.map(|b| format!("{} (State of DevOps 2023)", b.label()))
        .unwrap_or_default()
}

/// The four keys of software delivery, and deploys per period with those that caused an
/// incident.
#[component]
pub fn DeliveryNumbers(
    report: super::DeliveryReport,
    chart_id: &'static str,
    lead_id: &'static str,
    failure_id: &'static str,
) -> impl IntoView {
    let d = report.delivery;
    let lead_description = if d.lead_time.count == 0 && d.restore.count == 0 {
        "No deploy with a commit time and no mitigated incident caused by a deploy in this window."
            .to_owned()
    } else {
        report
            .buckets
            .iter()
            .filter(|b| b.lead_time_median.is_some() || b.restore_median.is_some())
            .map(|b| {
                let part = |name: &str, v: Option<f64>| {
                    v.map(|v| format!("{name} {}", duration(v)))
                        .unwrap_or_else(|| format!("no {name}"))
                };
                format!(
                    "{}: {}, {}",
                    b.bucket,
                    part("lead time", b.lead_time_median),
                    part("time to restore", b.restore_median)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let failure_description = if d.deploys == 0 {
        "No deploys in this window.".to_owned()
    } else {
        report
            .buckets
            .iter()
            .filter_map(|b| Some(format!("{}: {}", b.bucket, percent(b.change_failure_rate?))))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let rate = |per: f64, unit: &str| format!("{per:.1} a {unit}");
    let frequency_detail = format!(
        "{} deploy{} · {}",
        d.deploys,
        if d.deploys == 1 { "" } else { "s" },
        band_text(d.frequency_band)
    );
    let lead_detail = d
        .lead_time
        .median
        .zip(d.lead_time.p90)
        .map(|(m, p)| {
            format!(
                "median {} · p90 {} · {} with a commit time · {}",
                duration(m),
                duration(p),
                d.lead_time.count,
                band_text(d.lead_time_band)
            )
        })
        .unwrap_or_default();
    let failure_detail = format!(
        "{} of {} deploys · {}",
        d.failed,
        d.deploys,
        band_text(d.failure_band)
    );
    let restore_detail = d
        .restore
        .median
        .map(|m| {
            format!(
                "median {} · {} incident{} · {}",
                duration(m),
                d.restore.count,
                if d.restore.count == 1 { "" } else { "s" },
                band_text(d.restore_band)
            )
        })
        .unwrap_or_default();
    let labels: Vec<String> = report.buckets.iter().map(|b| b.bucket.clone()).collect();
    let description = if d.deploys == 0 {
        "No deploys in this window.".to_owned()
    } else {
        report
            .buckets
            .iter()
            .filter(|b| b.fine + b.failed > 0)
            .map(|b| {
                format!(
                    "{}: {} deploys, {} caused an incident",
                    b.bucket,
                    b.fine + b.failed,
                    b.failed
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let series = vec![
        super::charts::Series {
            name: "Deploys".to_owned(),
            values: report.buckets.iter().map(|b| b.fine).collect(),
        },
        super::charts::Series {
            name: "Caused an incident".to_owned(),
            values: report.buckets.iter().map(|b| b.failed).collect(),
        },
    ];
    view! {
        <dl class="metrics" data-testid="delivery">
            <Metric label="Deployment frequency" testid="deploy-frequency"
                value=d.per_week.map(|w| if w >= 7.0 { rate(w / 7.0, "day") } else { rate(w, "week") })
                detail=frequency_detail
                undefined="No deploys recorded"
                definition="Deploys that reached production (succeeded or rolled back, or that caused an incident) per day or week of the window." />
            <Metric label="Lead time for changes" testid="lead-time" value=d.lead_time.mean.map(duration)
                detail=lead_detail
                undefined="No deploy with a commit time"
                definition="Mean time from the commit to its deploy finishing, over the deploys whose sender reported a commit time." />
            <Metric label="Change failure rate" testid="change-failure-rate" value=d.change_failure_rate.map(percent)
                detail=failure_detail
                undefined="No deploys recorded"
                definition="Deploys linked to an incident as its suspected or confirmed cause / deploys." />
            <Metric label="Time to restore (changes)" testid="change-restore" value=d.restore.mean.map(duration)
                detail=restore_detail
                undefined="No mitigated incident caused by a deploy"
                definition="Mean time from impact start to mitigation of the incidents a deploy caused." />
        </dl>
        <super::charts::StackedBars id=chart_id title="Deploys per period".to_owned() description labels=labels.clone() series />
        <super::charts::LineChart
            id=failure_id
            title="Change failure rate per period".to_owned()
            description=failure_description
            labels=labels.clone()
            series=vec![super::charts::Series { name: "Change failure rate".to_owned(), values: report.buckets.iter().map(|b| b.change_failure_rate).collect() }]
            format=percent
        />
        <super::charts::LineChart
            id=lead_id
            title="Median lead time and time to restore per period".to_owned()
            description=lead_description
            labels
            series=vec![
                super::charts::Series { name: "Median lead time".to_owned(), values: report.buckets.iter().map(|b| b.lead_time_median).collect() },
                super::charts::Series { name: "Median time to restore".to_owned(), values: report.buckets.iter().map(|b| b.restore_median).collect() },
            ]
            format=duration
        />
    }
}
