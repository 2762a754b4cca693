use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::{
    BudgetNumbers, DeliveryNumbers, ReliabilityNumbers, ReportFilters, RestoreTrend, duration,
    percent, url_params,
};
use crate::components::{Column, DataTable};
use crate::layout::ErrorTemplate;
use crate::metrics::charts::{Series, StackedBars};
use crate::metrics::report::Bucket;
use crate::metrics::server_fns::get_dashboard;

/// Managers' view: how often things fail, how fast they recover, which services hurt
/// most and which SLOs are at risk.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let param = url_params();
    let dashboard = Resource::new(
        move || {
            (
                param("window"),
                param("from"),
                param("to"),
                param("max_severity"),
                param("bucket"),
            )
        },
        |(w, f, t, m, b)| get_dashboard(w, f, t, m, b),
    );
    view! {
        <Title text="Reliability dashboard" />
        <section class="page">
            <header class="page-header">
                <h1>"Reliability"</h1>
                <p class="page-header__lede">"Which services fail most, how fast we recover, and whether we are within our targets."</p>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        dashboard.await.map(|d| {
                            let qs = d.query.query_string();
                            let labels: Vec<String> = d.counts.iter().map(|c| match d.query.bucket {
                                Bucket::Week => c.bucket.get(5..).unwrap_or(&c.bucket).to_owned(),
                                Bucket::Month => c.bucket.get(..7).unwrap_or(&c.bucket).to_owned(),
                            }).collect();
                            let series: Vec<Series<i64>> = d.severities.iter().enumerate().map(|(k, s)| Series {
                                name: s.name.clone(),
                                values: d.counts.iter().map(|c| c.counts.get(k).copied().unwrap_or(0)).collect(),
                            }).collect();
                            let total: i64 = d.counts.iter().flat_map(|c| c.counts.iter()).sum();
                            let per = if d.query.bucket == Bucket::Week { "week" } else { "month" };
                            let count_desc = format!("{total} incidents declared in {}, per {per}, stacked by severity.", d.query.label());
                            view! {
                                <ReportFilters action="/dashboard".to_owned() query=d.query severities=d.severities.clone() problems=d.problems.clone() with_bucket=true />
                                <section class="card stack" aria-labelledby="overall-title">
                                    <h2 id="overall-title">{format!("All services, {}", d.query.label())}</h2>
                                    <ReliabilityNumbers reliability=d.overall.clone() />
                                </section>
                                <section class="card stack" aria-labelledby="counts-title">
                                    <div class="card__header">
                                        <h2 id="counts-title">{format!("Incidents per {per}")}</h2>
                                        <a class="button button--small button--quiet" href=format!("/reports/incidents.csv?{qs}") download>"CSV"</a>
                                    </div>
                                    <StackedBars id="chart-counts" title=format!("Incidents per {per} by severity") description=count_desc labels series />
                                </section>
                                <section class="card stack" aria-labelledby="restore-title">
                                    <div class="card__header">
                                        <h2 id="restore-title">"Time to restore"</h2>
                                        <a class="button button--small button--quiet" href=format!("/reports/restore.csv?{qs}") download>"CSV"</a>
                                    </div>
                                    <RestoreTrend id="chart-restore" months=d.monthly_restore.clone() />
                                </section>
                                <crate::playbooks::pages::EffectCard />
                                <section class="card stack" aria-labelledby="delivery-title">
                                    <div class="card__header">
                                        <h2 id="delivery-title">"Delivery, every service"</h2>
                                        <a class="button button--small button--quiet" href=format!("/reports/delivery.csv?{qs}") download>"CSV"</a>
                                    </div>
                                    <DeliveryNumbers report=d.delivery.clone() chart_id="chart-deploys" lead_id="chart-lead-time" failure_id="chart-failure-rate" />
                                </section>
                                <section class="card stack" aria-labelledby="budgets-title">
                                    <h2 id="budgets-title">"Error budgets most spent"</h2>
                                    {if d.burn_downs.is_empty() {
                                        view! { <p class="empty-note">"No service with an SLO had downtime in this window."</p> }.into_any()
                                    } else {
                                        view! {
                                            <div class="budget-grid">
                                                {d.burn_downs.into_iter().enumerate().map(|(i, (service, budget))| view! {
                                                    <article class="budget-card stack">
                                                        <h3><A href=format!("/services/{}", service.slug)>{service.name.clone()}</A></h3>
                                                        <BudgetNumbers budget chart_id=format!("chart-budget-{i}") />
                                                    </article>
                                                }).collect_view()}
                                            </div>
                                        }.into_any()
                                    }}
                                </section>
                                <section class="card stack" aria-labelledby="ranking-title">
                                    <div class="card__header">
                                        <h2 id="ranking-title">"Services by downtime"</h2>
                                        <a class="button button--small button--quiet" href=format!("/reports/services.csv?{qs}") download>"CSV (all services)"</a>
                                    </div>
                                    {if d.ranking.is_empty() {
                                        view! { <p class="empty-note">{format!("None of the {} services had an incident in this window.", d.service_count)}</p> }.into_any()
                                    } else {
                                        view! {
                                            <DataTable
                                                caption="Services ranked by downtime"
                                                columns=vec![Column::text("Service"), Column::num("Downtime"), Column::num("Availability"), Column::num("Failures"), Column::num("MTTR (median)"), Column::num("Budget left")]
                                                testid="ranking"
                                            >
                                                {d.ranking.into_iter().map(|r| {
                                                    let rel = r.reliability;
                                                    view! {
                                                        <tr>
                                                            <th scope="row"><A href=format!("/services/{}", r.service.slug)>{r.service.name}</A></th>
                                                            <td class="num">{duration(rel.downtime as f64)}</td>
                                                            <td class="num">{rel.availability().map(percent).unwrap_or_default()}</td>
                                                            <td class="num">{rel.failures}</td>
                                                            <td class="num">{rel.restore.median.map(duration).unwrap_or_else(|| "none mitigated".into())}</td>
                                                            <td class="num">{r.budget_remaining.map(|f| if f < 0.0 { "exhausted".to_owned() } else { percent(f) }).unwrap_or_else(|| "no SLO".into())}</td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </DataTable>
                                        }.into_any()
                                    }}
                                </section>
                            }
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}
