//! Server-rendered SVG charts: readable without JavaScript, scaled by CSS, coloured by
//! class (so light and dark themes both work), each with a title, a description for
//! screen readers and its numbers in a table underneath.

use leptos::prelude::*;

use crate::components::{Column, DataTable};

const W: f64 = 720.0;
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
const MAX_X_LABELS: usize = 12;

/// One named series of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series<T> {
    pub name: String,
    pub values: Vec<T>,
}

fn plot_w() -> f64 {
    W - LEFT - RIGHT
}

fn plot_h() -> f64 {
    H - TOP - BOTTOM
}

/// A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `max`.
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|v| *v >= max)
        .unwrap_or(max)
}

fn label_step(n: usize) -> usize {
    n.div_ceil(MAX_X_LABELS).max(1)
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

/// The y axis: three grid lines with labels.
fn y_axis(min: f64, max: f64, label: impl Fn(f64) -> String) -> impl IntoView {
    let ticks = [min, (min + max) / 2.0, max];
    ticks
        .into_iter()
        .map(|t| {
            let y = TOP + plot_h() * (1.0 - (t - min) / (max - min));
            view! {
                <line class="chart__grid" x1=fmt(LEFT) x2=fmt(W - RIGHT) y1=fmt(y) y2=fmt(y) />
                <text class="chart__tick" x=fmt(LEFT - 6.0) y=fmt(y + 4.0) text-anchor="end">{label(t)}</text>
            }
        })
        .collect_view()
}

fn x_labels(labels: &[String], x_of: impl Fn(usize) -> f64) -> AnyView {
    let step = label_step(labels.len());
    labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, l)| {
            view! {
                <text class="chart__tick" x=fmt(x_of(i)) y=fmt(H - 8.0) text-anchor="middle">{l.clone()}</text>
            }
        })
        .collect_view()
        .into_any()
}

fn legend(names: Vec<String>) -> impl IntoView {
    view! {
        <ul class="chart__legend">
            {names.into_iter().enumerate().map(|(i, n)| view! {
                <li><span class=format!("chart__swatch chart__swatch--{}", i % 6) aria-hidden="true"></span>{n}</li>
            }).collect_view()}
        </ul>
    }
}

/// Counts per period, stacked by series (e.g. incidents per week by severity).
#[component]
pub fn StackedBars(
    id: &'static str,
    title: String,
    description: String,
    labels: Vec<String>,
    series: Vec<Series<i64>>,
) -> impl IntoView {
    let n = labels.len().max(1);
    let totals: Vec<i64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = nice_max(totals.iter().copied().max().unwrap_or(0) as f64);
    let band = plot_w() / n as f64;
    let bar = (band * 0.72).max(1.0);
    let x_of = move |i: usize| LEFT + band * (i as f64 + 0.5);
    let y_of = move |v: f64| TOP + plot_h() * (1.0 - v / max);
    let mut bars = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let mut base = 0.0;
        let tip = format!(
            "{}: {}",
            label,
            series
                .iter()
                .map(|s| format!("{} {}", s.name, s.values.get(i).copied().unwrap_or(0)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0) as f64;
            if v > 0.0 {
                let (top, bottom) = (y_of(base + v), y_of(base));
                bars.push(view! {
                    <rect class=format!("chart__fill chart__fill--{}", k % 6) x=fmt(x_of(i) - bar / 2.0) y=fmt(top)
                        width=fmt(bar) height=fmt(bottom - top)>
                        <title>{tip.clone()}</title>
                    </rect>
                });
            }
            base += v;
        }
    }
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled = format!("{title_id} {desc_id}");
    let numbers_label = format!("{title}: the numbers");
    view! {
        <figure class="chart" id=id>
            <svg class="chart__svg" viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby=labelled preserveAspectRatio="xMidYMid meet">
                <title id=title_id>{title.clone()}</title>
                <desc id=desc_id>{description}</desc>
                {y_axis(0.0, max, |t| format!("{t:.0}"))}
                {bars}
                {x_labels(&labels, x_of)}
            </svg>
            <figcaption>{legend(names.clone())}</figcaption>
            <details class="chart__data">
                <summary>"Show the numbers"</summary>
                <div class="table-wrap" tabindex="0" role="region" aria-label=numbers_label.clone()>
                    <table class="table table--compact">
                        <caption class="visually-hidden">{title}</caption>
                        <thead><tr>
                            <th scope="col">"Period"</th>
                            {names.into_iter().map(|n| view! { <th scope="col" class="num">{n}</th> }).collect_view()}
                            <th scope="col" class="num">"Total"</th>
                        </tr></thead>
                        <tbody>
                            {labels.iter().enumerate().map(|(i, l)| view! {
                                <tr>
                                    <th scope="row">{l.clone()}</th>
                                    {series.iter().map(|s| view! { <td class="num">{s.values.get(i).copied().unwrap_or(0)}</td> }).collect_view()}
                                    <td class="num">{totals[i]}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

/// Lines over periods with gaps where a value is undefined (e.g. median and p90 time
/// to restore per month). `format` renders values on the axis, tooltips and table.
#[component]
pub fn LineChart(
    id: &'static str,
    title: String,
    description: String,
    labels: Vec<String>,
    series: Vec<Series<Option<f64>>>,
    format: fn(f64) -> String,
) -> impl IntoView {
    let n = labels.len().max(1);
    let max = nice_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied())
            .fold(0.0, f64::max),
    );
    let band = plot_w() / n as f64;
    let x_of = move |i: usize| LEFT + band * (i as f64 + 0.5);
    let y_of = move |v: f64| TOP + plot_h() * (1.0 - v / max);
    let lines = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            // Separate segments where values are missing: no line across a gap.
            let mut d = String::new();
            let mut pen_down = false;
            for (i, v) in s.values.iter().enumerate() {
                match v {
                    Some(v) => {
                        d.push_str(&format!(
                            "{}{} {} ",
                            if pen_down { "L" } else { "M" },
                            fmt(x_of(i)),
                            fmt(y_of(*v))
                        ));
                        pen_down = true;
                    }
                    None => pen_down = false,
                }
            }
            let dots = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i, v)))
                .map(|(i, v)| {
                    let tip = format!("{} {}: {}", labels[i], s.name, format(v));
                    view! {
                        <circle class=format!("chart__dot chart__dot--{}", k % 6) cx=fmt(x_of(i)) cy=fmt(y_of(v)) r="3.5">
                            <title>{tip}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <path class=format!("chart__line chart__line--{}", k % 6) d=d />
                {dots}
            }
        })
        .collect_view();
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled = format!("{title_id} {desc_id}");
    let numbers_label = format!("{title}: the numbers");
    view! {
        <figure class="chart" id=id>
            <svg class="chart__svg" viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby=labelled preserveAspectRatio="xMidYMid meet">
                <title id=title_id>{title.clone()}</title>
                <desc id=desc_id>{description}</desc>
                {y_axis(0.0, max, format)}
                {lines}
                {x_labels(&labels, x_of)}
            </svg>
            <figcaption>{legend(names.clone())}</figcaption>
            <details class="chart__data">
                <summary>"Show the numbers"</summary>
                <div class="table-wrap" tabindex="0" role="region" aria-label=numbers_label.clone()>
                    <table class="table table--compact">
                        <caption class="visually-hidden">{title}</caption>
                        <thead><tr>
                            <th scope="col">"Period"</th>
                            {names.into_iter().map(|n| view! { <th scope="col" class="num">{n}</th> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {labels.iter().enumerate().map(|(i, l)| view! {
                                <tr>
                                    <th scope="row">{l.clone()}</th>
                                    {series.iter().map(|s| view! {
                                        <td class="num">{s.values.get(i).copied().flatten().map(format).unwrap_or_else(|| "no data".to_owned())}</td>
                                    }).collect_view()}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

/// An error budget's remaining time at the end of each day, against zero.
#[component]
pub fn BurnDown(
    id: String,
    title: String,
    description: String,
    /// (day label, remaining seconds).
    points: Vec<(String, f64)>,
    budget: f64,
    format: fn(f64) -> String,
) -> impl IntoView {
    let n = points.len().max(1);
    let lowest = points.iter().map(|p| p.1).fold(0.0, f64::min);
    let (min, max) = (
        if lowest < 0.0 {
            -nice_max(-lowest)
        } else {
            0.0
        },
        nice_max(budget.max(1.0)),
    );
    let step = plot_w() / (n.max(2) - 1) as f64;
    let x_of = move |i: usize| LEFT + step * i as f64;
    let y_of = move |v: f64| TOP + plot_h() * (1.0 - (v - min) / (max - min));
    let line: String = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            format!(
                "{}{} {} ",
                if i == 0 { "M" } else { "L" },
                fmt(x_of(i)),
                fmt(y_of(*v))
            )
        })
        .collect();
    let area = if points.is_empty() {
        String::new()
    } else {
        format!(
            "{line}L{} {} L{} {} Z",
            fmt(x_of(points.len() - 1)),
            fmt(y_of(0.0)),
            fmt(x_of(0)),
            fmt(y_of(0.0))
        )
    };
    let exhausted = points.last().is_some_and(|p| p.1 < 0.0);
    let labels: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled = format!("{title_id} {desc_id}");
    view! {
        <figure class="chart chart--small" id=id.clone()>
            <svg class="chart__svg" viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby=labelled preserveAspectRatio="xMidYMid meet">
                <title id=title_id>{title.clone()}</title>
                <desc id=desc_id>{description}</desc>
                {y_axis(min, max, format)}
                <line class="chart__zero" x1=fmt(LEFT) x2=fmt(W - RIGHT) y1=fmt(y_of(0.0)) y2=fmt(y_of(0.0)) />
                <path class="chart__area" class:chart__area--exhausted=exhausted d=area />
                <path class="chart__line chart__line--budget" class:chart__line--exhausted=exhausted d=line />
                {x_labels(&labels, x_of)}
            </svg>
            <details class="chart__data">
                <summary>"Show the numbers"</summary>
                <DataTable
                    caption={title}
                    columns=vec![Column::text("End of day (UTC)"), Column::num("Budget left")]
                    class="table--compact"
                >
                    {points.into_iter().map(|(d, v)| view! {
                        <tr><th scope="row">{d}</th><td class="num">{format(v)}</td></tr>
                    }).collect_view()}
                </DataTable>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::nice_max;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(13.0), 20.0);
        assert_eq!(nice_max(41.0), 50.0);
        assert_eq!(nice_max(100.0), 100.0);
    }
}

/// A service's changes (a tick per day, taller for more, in another colour when one
/// caused an incident) and its incidents (their impact, to mitigation) on one time axis.
#[component]
pub fn ChangeStripChart(id: &'static str, strip: super::ChangeStrip) -> impl IntoView {
    const STRIP_H: f64 = 128.0;
    const INCIDENTS: (f64, f64) = (14.0, 40.0);
    const CHANGES: (f64, f64) = (56.0, 96.0);
    let window = strip.window;
    let span = window.len().max(1) as f64;
    let x_of =
        move |secs: i64| LEFT + plot_w() * ((secs - window.start) as f64 / span).clamp(0.0, 1.0);
    let day_w = (plot_w() * 86_400.0 / span).max(1.5);
    let most = strip
        .days
        .iter()
        .map(|d| d.changes)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let date = super::report::date_label;
    let ticks = strip
        .days
        .iter()
        .map(|d| {
            let h = 4.0 + (CHANGES.1 - CHANGES.0 - 4.0) * d.changes as f64 / most;
            let class = if d.caused > 0 { "chart__fill chart__fill--1" } else { "chart__fill chart__fill--2" };
            let tip = format!(
                "{}: {} change{}{}",
                date(d.day),
                d.changes,
                if d.changes == 1 { "" } else { "s" },
                if d.caused > 0 { format!(", {} linked to an incident", d.caused) } else { String::new() }
            );
            view! {
                <rect class=class x=fmt(x_of(d.day)) y=fmt(CHANGES.1 - h) width=fmt(day_w) height=fmt(h)><title>{tip}</title></rect>
            }
        })
        .collect_view();
    let bars = strip
        .incidents
        .iter()
        .map(|i| {
            let (x1, x2) = (x_of(i.start), x_of(i.end.unwrap_or(window.end)));
            let tip = format!(
                "{} {}: {} to {}",
                i.reference,
                i.title,
                date(i.start),
                i.end.map_or_else(|| "now".to_owned(), date)
            );
            view! {
                <rect class="chart__fill chart__fill--0" x=fmt(x1) y=fmt(INCIDENTS.0) width=fmt((x2 - x1).max(2.0)) height=fmt(INCIDENTS.1 - INCIDENTS.0)><title>{tip}</title></rect>
            }
        })
        .collect_view();
    let labels = (0..=4)
        .map(|k| {
            let secs = window.start + (window.len() * k) / 4;
            let anchor = match k {
                0 => "start",
                4 => "end",
                _ => "middle",
            };
            view! { <text class="chart__tick" x=fmt(x_of(secs)) y=fmt(STRIP_H - 10.0) text-anchor=anchor>{date(secs)}</text> }
        })
        .collect_view();
    let changes: i64 = strip.days.iter().map(|d| d.changes).sum();
    let caused: i64 = strip.days.iter().map(|d| d.caused).sum();
    let description = format!(
        "{changes} change{} on {} day{}, {caused} linked to an incident; {} incident{}.",
        if changes == 1 { "" } else { "s" },
        strip.days.len(),
        if strip.days.len() == 1 { "" } else { "s" },
        strip.incidents.len(),
        if strip.incidents.len() == 1 { "" } else { "s" },
    );
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled = format!("{title_id} {desc_id}");
    let incidents = strip.incidents.clone();
    let days = strip.days.clone();
    view! {
        <figure class="chart chart--strip" id=id>
            <svg class="chart__svg" viewBox=format!("0 0 {W} {STRIP_H}") role="img" aria-labelledby=labelled preserveAspectRatio="xMidYMid meet">
                <title id=title_id>"Changes and incidents over time"</title>
                <desc id=desc_id>{description}</desc>
                <text class="chart__tick" x=fmt(LEFT - 6.0) y=fmt((INCIDENTS.0 + INCIDENTS.1) / 2.0 + 4.0) text-anchor="end">"Incidents"</text>
                <text class="chart__tick" x=fmt(LEFT - 6.0) y=fmt((CHANGES.0 + CHANGES.1) / 2.0 + 4.0) text-anchor="end">"Changes"</text>
                <line class="chart__grid" x1=fmt(LEFT) x2=fmt(W - RIGHT) y1=fmt(CHANGES.1) y2=fmt(CHANGES.1) />
                {bars}
                {ticks}
                {labels}
            </svg>
            <figcaption>{legend(vec!["Incident impact".to_owned(), "A change that caused an incident".to_owned(), "Changes on a day".to_owned()]).into_any()}</figcaption>
            <details class="chart__data">
                <summary>"Show the numbers"</summary>
                <DataTable caption="Incidents on the strip" columns=vec![Column::text("Incident"), Column::text("Impact from"), Column::text("Mitigated")]>
                    {incidents.into_iter().map(|i| view! {
                        <tr>
                            <th scope="row"><a href=format!("/incidents/{}", i.reference)>{format!("{} {}", i.reference, i.title)}</a></th>
                            <td>{date(i.start)}</td>
                            <td>{i.end.map_or_else(|| "not yet".to_owned(), date)}</td>
                        </tr>
                    }).collect_view()}
                </DataTable>
                <DataTable caption="Days with changes" columns=vec![Column::text("Day"), Column::num("Changes"), Column::num("Linked to an incident")]>
                    {days.into_iter().map(|d| view! {
                        <tr><th scope="row">{date(d.day)}</th><td class="num">{d.changes}</td><td class="num">{d.caused}</td></tr>
                    }).collect_view()}
                </DataTable>
            </details>
        </figure>
    }
}
