use leptos::prelude::*;

use crate::components::{Column, DataTable};
use crate::metrics::formulas::DurationStats;
use crate::metrics::pages::{duration, percent, url_params};
use crate::playbooks::effect::{Effect, FEW, StepRecord};
use crate::playbooks::server_fns::{get_playbook_effect, get_playbook_steps};

fn stat(value: Option<f64>) -> String {
    value.map(duration).unwrap_or_else(|| "—".into())
}

/// Time to restore with a playbook followed, with one left unfinished, and without any,
/// over the page's window (`?window=`); with the caution that small numbers prove little.
/// Of one service's incidents when `service` (a slug) is given. With `own_window` the card
/// carries its own window form (the playbooks page); otherwise the page's form sets it.
#[component]
pub fn EffectCard(
    #[prop(optional)] service: Option<String>,
    #[prop(optional)] own_window: bool,
) -> impl IntoView {
    let param = url_params();
    let with_form = own_window;
    let effect = Resource::new(
        move || param("window").and_then(|w| w.parse::<i64>().ok()),
        move |days| get_playbook_effect(days, service.clone()),
    );
    view! {
        <section class="card stack" aria-labelledby="effect-title" data-testid="playbook-effect">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    effect.await.ok().map(|(days, effect)| view! { <EffectTable days effect with_form /> })
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn EffectTable(days: i64, effect: Effect, with_form: bool) -> impl IntoView {
    let row = |label: &'static str, s: DurationStats| {
        view! {
            <tr>
                <th scope="row">{label}</th>
                <td class="num">{s.count}</td>
                <td class="num">{stat(s.median)}</td>
                <td class="num">{stat(s.p90)}</td>
            </tr>
        }
    };
    let summary = match effect.ratio() {
        Some(r) if r < 1.0 => format!(
            "With a playbook followed to the last step, the median incident was restored in {} of the time it took without one.",
            percent(r)
        ),
        Some(r) => format!(
            "With a playbook followed to the last step, the median incident took {} of the time it took without one.",
            percent(r)
        ),
        None => "No comparison yet: it needs mitigated incidents both with a playbook followed and without one.".to_owned(),
    };
    view! {
        <div class="card__header">
            <h2 id="effect-title">"Does following a playbook help?"</h2>
            {with_form.then(|| view! {
            <form class="filters filters--inline" method="get" action="/playbooks" aria-label="Window">
                <label class="visually-hidden" for="effect-window">"Incidents over"</label>
                <select class="field__input" id="effect-window" name="window">
                    {[30, 90, 365].into_iter().map(|d| view! {
                        <option value=d.to_string() selected=d == days>{format!("The last {d} days")}</option>
                    }).collect_view()}
                </select>
                <button class="button button--small" type="submit">"Show"</button>
            </form>
            })}
        </div>
        <p>{summary}</p>
        <DataTable
            caption=format!("Time to restore (impact start to mitigation), incidents of the last {days} days")
            columns=vec![Column::text("Incidents"), Column::num("Count"), Column::num("Median"), Column::num("90th percentile")]
            testid="effect"
        >
            {row("Playbook followed to the last step", effect.followed)}
            {row("Playbook attached, steps left undone", effect.partly)}
            {row("No playbook", effect.without)}
        </DataTable>
        {effect.is_thin().then(|| view! {
            <p class="muted">{format!("Fewer than {FEW} incidents on one side: numbers this small prove little. Incidents also differ in more than their playbooks.")}</p>
        })}
    }
}

/// How a playbook's steps went across the incidents that used it.
#[component]
pub fn StepsCard(id: i64) -> impl IntoView {
    let records = Resource::new(move || id, get_playbook_steps);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let records = records.await.ok()?;
                (!records.is_empty()).then(|| view! { <StepsTable records /> })
            })}
        </Suspense>
    }
}

#[component]
fn StepsTable(records: Vec<StepRecord>) -> impl IntoView {
    view! {
        <section class="card stack" aria-labelledby="step-record-title">
            <h2 id="step-record-title">"How its steps go"</h2>
            <p class="muted">"Across every incident that used it, most often skipped first. A step counts as skipped when the incident was mitigated without it; its time runs from the tick before it (or the playbook's arrival)."</p>
            <DataTable
                caption="Steps across incidents"
                columns=vec![Column::text("Step"), Column::num("Done"), Column::num("Skipped"), Column::num("Median time")]
                testid="step-records"
            >
                {records.into_iter().map(|r| view! {
                    <tr>
                        <th scope="row">{r.text}</th>
                        <td class="num">{r.done}</td>
                        <td class="num">{r.skipped}</td>
                        <td class="num">{stat(r.median_secs)}</td>
                    </tr>
                }).collect_view()}
            </DataTable>
        </section>
    }
}
