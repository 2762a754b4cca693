use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::accounts::use_current_user;
use crate::components::{Column, DataTable};
use crate::layout::ErrorTemplate;
use crate::metrics::charts::ChangeStripChart;
use crate::metrics::pages::{
    BudgetNumbers, DeliveryNumbers, ReliabilityNumbers, ReportFilters, RestoreTrend, duration,
    url_params,
};
use crate::metrics::server_fns::get_service_report;
use crate::playbooks::pages::EffectCard;

/// One service: what it is, how to repair it, how reliable it has been, and its SLO.
#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let param = url_params();
    let report = Resource::new(
        move || {
            (
                slug(),
                param("window"),
                param("from"),
                param("to"),
                param("max_severity"),
            )
        },
        |(s, w, f, t, m)| get_service_report(s, w, f, t, m),
    );
    let user = use_current_user();
    view! {
        <Suspense fallback=|| view! { <section class="page"><p class="muted">"Loading…"</p></section> }>
            <ErrorBoundary fallback=|errors| view! { <section class="page"><ErrorTemplate errors /></section> }>
                {move || Suspend::new(async move {
                    let is_admin = user.await.ok().flatten().is_some_and(|u| u.role.is_admin());
                    report.await.map(|r| {
                        let s = r.service.clone();
                        let qs = r.query.query_string();
                        let rule = match r.max_severity.and_then(|p| r.severities.iter().find(|l| l.position == p)) {
                            Some(level) if level.position == 1 => format!("Only {} incidents count as failures.", level.name),
                            Some(level) => format!("Incidents of {} or worse count as failures.", level.name),
                            None => "Incidents of every severity count as failures.".to_owned(),
                        };
                        view! {
                            <Title text=s.name.clone() />
                            <section class="page">
                                <header class="page-header page-header--actions">
                                    <div>
                                        <p class="page-header__eyebrow"><A href="/services">"Services"</A></p>
                                        <h1>{s.name.clone()} {s.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}</h1>
                                        <p class="page-header__lede">
                                            {format!("Tier {}", s.tier)}
                                            {s.owner_team.clone().map(|t| format!(" · owned by {t}"))}
                                            {s.slo.map(|slo| format!(" · SLO {} over {} days", slo.target_label(), slo.window_days))}
                                        </p>
                                    </div>
                                    <div class="page-header__buttons">
                                        <a class="button" href=format!("/incidents?service={}", s.slug)>"Incidents"</a>
                                        {is_admin.then(|| view! { <A href=format!("/services/{}/edit", s.slug) attr:class="button">"Edit"</A> })}
                                    </div>
                                </header>
                                <div class="service-layout">
                                    <section class="card stack" aria-labelledby="runbooks-title">
                                        <h2 id="runbooks-title">"Runbooks"</h2>
                                        {if s.runbooks.is_empty() {
                                            view! { <p class="empty-note">"No runbooks yet. Good runbooks cut repair time: an admin can add links under Edit."</p> }.into_any()
                                        } else {
                                            view! {
                                                <ul class="runbook-list">
                                                    {s.runbooks.iter().map(|rb| view! {
                                                        <li><a href=rb.url.clone() rel="noopener noreferrer" target="_blank">{rb.title.clone()}</a></li>
                                                    }).collect_view()}
                                                </ul>
                                            }.into_any()
                                        }}
                                    </section>
                                    {(!s.description.is_empty()).then(|| view! {
                                        <section class="card stack" aria-labelledby="about-title">
                                            <h2 id="about-title">"About"</h2>
                                            <div class="prose" inner_html=s.description_html.clone()></div>
                                        </section>
                                    })}
                                </div>
                                <ReportFilters action=format!("/services/{}", s.slug) query=r.query severities=r.severities.clone() problems=r.problems.clone() />
                                <section class="card stack" aria-labelledby="numbers-title">
                                    <h2 id="numbers-title">{format!("Reliability, {}", r.query.label())}</h2>
                                    <p class="muted">{rule}</p>
                                    <ReliabilityNumbers reliability=r.reliability.clone() />
                                </section>
                                <section class="card stack" aria-labelledby="slo-title">
                                    <h2 id="slo-title">"SLO and error budget"</h2>
                                    {match r.budget.clone() {
                                        None => view! { <p class="empty-note">"This service has no SLO. An admin can set an availability target under Edit."</p> }.into_any(),
                                        Some(budget) => {
                                            let spenders = budget.spenders.clone();
                                            view! {
                                                <BudgetNumbers budget chart_id="chart-budget".to_owned() />
                                                <div class="card__header">
                                                    <h3>"What consumed the budget"</h3>
                                                    <a class="button button--small button--quiet" href=format!("/services/{}/budget.csv", s.slug) download>"CSV"</a>
                                                </div>
                                                {if spenders.is_empty() {
                                                    view! { <p class="empty-note">"No incident touched this window."</p> }.into_any()
                                                } else {
                                                    view! {
                                                        <DataTable
                                                            caption="Incidents that consumed the error budget"
                                                            columns=vec![Column::text("Incident"), Column::text("Severity"), Column::num("Impact in window")]
                                                            testid="spenders"
                                                        >
                                                            {spenders.into_iter().map(|sp| view! {
                                                                <tr>
                                                                    <th scope="row"><A href=format!("/incidents/{}", sp.reference)>{format!("{} {}", sp.reference, sp.title)}</A></th>
                                                                    <td>{sp.severity}</td>
                                                                    <td class="num">{duration(sp.impact as f64)}</td>
                                                                </tr>
                                                            }).collect_view()}
                                                        </DataTable>
                                                    }.into_any()
                                                }}
                                            }.into_any()
                                        }
                                    }}
                                </section>
                                <EffectCard service=s.slug.clone() />
                                <section class="card stack" aria-labelledby="trend-title">
                                    <div class="card__header">
                                        <h2 id="trend-title">"Time to restore"</h2>
                                        <a class="button button--small button--quiet" href=format!("/services/{}/restore.csv?{qs}", s.slug) download>"CSV"</a>
                                    </div>
                                    <RestoreTrend id="chart-service-restore" months=r.monthly_restore.clone() />
                                </section>
                                <section class="card stack" aria-labelledby="strip-title" data-testid="change-strip">
                                    <h2 id="strip-title">"Changes and incidents"</h2>
                                    <ChangeStripChart id="chart-service-strip" strip=r.strip.clone() />
                                </section>
                                <section class="card stack" aria-labelledby="delivery-title">
                                    <div class="card__header">
                                        <h2 id="delivery-title">{format!("Delivery, {}", r.query.label())}</h2>
                                        <a class="button button--small button--quiet" href=format!("/services/{}/delivery.csv?{qs}", s.slug) download>"CSV"</a>
                                    </div>
                                    <DeliveryNumbers report=r.delivery.clone() chart_id="chart-service-deploys" lead_id="chart-service-lead-time" failure_id="chart-service-failure-rate" />
                                    <p class="muted"><a href=format!("/changes?service={}", s.slug)>"Every change to this service"</a></p>
                                </section>
                            </section>
                        }
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}
