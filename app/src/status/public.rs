//! The public pages as whole HTML documents: no scripts, no Vigil navigation, nothing
//! about the viewer, so one rendering serves every visitor (and a CDN may keep it).
//! Built with `view!` so every text is escaped; update bodies are sanitised HTML.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::public_maintenance::MaintenanceList;
use super::{
    ComponentState, ComponentStatus, DayBar, MaintenancePhase, PublicIncident, PublicStatus,
    StatusLink, UPTIME_DAYS,
};

/// `5 Dec 2026, 14:03 UTC`: visitors are anywhere, so the zone is written out.
pub(super) fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

pub(super) fn state_class(state: ComponentState) -> &'static str {
    match state {
        ComponentState::Operational => "state state--operational",
        ComponentState::Maintenance => "state state--maintenance",
        ComponentState::Degraded => "state state--degraded",
        ComponentState::Partial => "state state--partial",
        ComponentState::Major => "state state--major",
    }
}

fn overall_text(state: ComponentState) -> &'static str {
    match state {
        ComponentState::Operational => "All systems operational",
        ComponentState::Maintenance => "Maintenance in progress",
        ComponentState::Degraded => "Some systems have degraded performance",
        ComponentState::Partial => "Partial outage",
        ComponentState::Major => "Major outage",
    }
}

/// The document around a page's body.
pub(super) fn document(title: &str, header: &Header, body: AnyView) -> String {
    let inner = view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="top">
            <div class="wrap top__row">
                <a class="brand" href="/status">
                    {header.logo_url.clone().map(|src| view! { <img class="brand__logo" src=src alt="" /> })}
                    <span>{header.name.clone()}</span>
                </a>
                {(!header.links.is_empty()).then(|| view! {
                    <nav aria-label="Links">
                        <ul class="links">
                            {header.links.iter().map(|l| view! {
                                <li><a href=l.url.clone() rel="noopener">{l.label.clone()}</a></li>
                            }).collect_view()}
                        </ul>
                    </nav>
                })}
                <a class="subscribe" href="/status/subscribe">"Subscribe to updates"</a>
            </div>
        </header>
        <main id="main" class="wrap">{body}</main>
        <footer class="wrap foot">
            <p>
                "Times are in UTC. "<a href="/status">"Current status"</a>
                " · Follow: "<a href="/status/feed.atom" type="application/atom+xml">"Atom feed"</a>
                " · "<a href="/status/feed.rss" type="application/rss+xml">"RSS feed"</a>
            </p>
        </footer>
    }
    .to_html();
    let title = view! { <title>{title.to_owned()}</title> }.to_html();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">{title}\
         <link rel=\"stylesheet\" href=\"/status/style.css\">\
         <link rel=\"alternate\" type=\"application/atom+xml\" title=\"{name} (Atom)\" href=\"/status/feed.atom\">\
         <link rel=\"alternate\" type=\"application/rss+xml\" title=\"{name} (RSS)\" href=\"/status/feed.rss\">\
         </head><body>{inner}</body></html>",
        name = super::feeds::escape(&header.name),
    )
}

/// What every public page shows at the top.
#[derive(Debug, Clone)]
pub struct Header {
    pub name: String,
    pub logo_url: Option<String>,
    pub links: Vec<StatusLink>,
}

/// The status page: the overall state, the components, open and recent incidents.
pub fn status_page(status: &PublicStatus) -> String {
    let header = Header {
        name: status.name.clone(),
        logo_url: status.logo_url.clone(),
        links: status.links.clone(),
    };
    let mut groups: Vec<(String, Vec<ComponentStatus>)> = Vec::new();
    for c in &status.components {
        match groups.iter_mut().find(|(g, _)| *g == c.group) {
            Some((_, list)) => list.push(c.clone()),
            None => groups.push((c.group.clone(), vec![c.clone()])),
        }
    }
    let body = view! {
        <h1 class=format!("overall {}", state_class(status.overall)) data-state=status.overall.as_str()>
            {overall_text(status.overall)}
        </h1>
        <MaintenanceList
            list=status.maintenance.iter().filter(|m| m.phase == MaintenancePhase::InProgress).cloned().collect()
            id="maintenance-now-title"
            heading="Maintenance in progress"
        />
        {(!status.open.is_empty()).then(|| view! {
            <section aria-labelledby="open-title">
                <h2 id="open-title">"Ongoing incidents"</h2>
                {status.open.iter().map(|i| view! { <IncidentCard incident=i.clone() latest_only=true /> }).collect_view()}
            </section>
        })}
        <section aria-labelledby="components-title">
            <h2 id="components-title">"Components"</h2>
            {if status.components.is_empty() {
                view! { <p class="muted">"No components are shown yet."</p> }.into_any()
            } else {
                groups.into_iter().map(|(group, list)| view! {
                    <div class="group">
                        {(!group.is_empty()).then(|| view! { <h3>{group.clone()}</h3> })}
                        <ul class="components">
                            {list.into_iter().map(|c| view! {
                                <li class="component" data-state=c.state.as_str()>
                                    <div class="component__head">
                                        <div>
                                            <span class="component__name">{c.name.clone()}</span>
                                            {(!c.description.is_empty()).then(|| view! { <p class="muted">{c.description.clone()}</p> })}
                                        </div>
                                        <span class=state_class(c.state)>{c.state.label()}</span>
                                    </div>
                                    <UptimeBars component=c.clone() />
                                </li>
                            }).collect_view()}
                        </ul>
                    </div>
                }).collect_view().into_any()
            }}
        </section>
        <MaintenanceList
            list=status.maintenance.iter().filter(|m| m.phase == MaintenancePhase::Scheduled).cloned().collect()
            id="maintenance-ahead-title"
            heading="Scheduled maintenance"
        />
        <section aria-labelledby="recent-title">
            <h2 id="recent-title">"Past incidents"</h2>
            {if status.recent.is_empty() {
                view! { <p class="muted">{format!("No incidents in the last {} days.", super::RECENT_DAYS)}</p> }.into_any()
            } else {
                status.recent.iter().map(|i| view! { <IncidentCard incident=i.clone() latest_only=true /> }).collect_view().into_any()
            }}
            <p><a href="/status/history">"Incident history"</a></p>
        </section>
        {(!status.components.is_empty()).then(|| view! {
            <details class="feeds">
                <summary>"Follow one component"</summary>
                <ul>
                    {status.components.iter().map(|c| view! {
                        <li>
                            {c.name.clone()}": "
                            <a href=format!("/status/components/{}/feed.atom", c.id) type="application/atom+xml">"Atom"</a>
                            " · "
                            <a href=format!("/status/components/{}/feed.rss", c.id) type="application/rss+xml">"RSS"</a>
                        </li>
                    }).collect_view()}
                </ul>
            </details>
        })}
        // To the minute, as shown: renderings within a minute are byte for byte the same
        // unless something changed, so their ETag is too.
        <p class="muted">"Updated "<time datetime=status.generated_at.format("%Y-%m-%dT%H:%MZ").to_string()>{when(status.generated_at)}</time></p>
    }
    .into_any();
    document(&status.name, &header, body)
}

/// A component's last [`UPTIME_DAYS`] days: a bar a day coloured by its worst state (a
/// tooltip each with the date, state and time down) and the uptime. Screen readers get
/// the summary; the bars carry no text of the visitor's choosing, only dates and words.
#[component]
fn UptimeBars(component: ComponentStatus) -> impl IntoView {
    let uptime = crate::metrics::pages::percent(component.uptime);
    let count = |f: &dyn Fn(ComponentState) -> bool| match component
        .days
        .iter()
        .filter(|d| d.worst.is_some_and(f))
        .count()
    {
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    };
    let mut label = format!(
        "{}: {uptime} uptime over the last {UPTIME_DAYS} days, {} with incidents",
        component.name,
        count(&ComponentState::is_impact),
    );
    if component
        .days
        .iter()
        .any(|d| d.worst == Some(ComponentState::Maintenance))
    {
        label.push_str(&format!(
            ", {} with maintenance only",
            count(&|s| s == ComponentState::Maintenance)
        ));
    }
    view! {
        <div class="uptime">
            // The last 30 days on narrow screens, where 90 bars would be slivers.
            <div class="bars" role="img" aria-label=label inner_html=format!(
                "{}{}",
                bars_svg(&component.days, "bars__all"),
                bars_svg(&component.days[component.days.len().saturating_sub(NARROW_DAYS)..], "bars__recent"),
            )></div>
            <p class="uptime__legend muted" aria-hidden="true">
                <span class="legend__wide">{format!("{UPTIME_DAYS} days ago")}</span>
                <span class="legend__narrow">{format!("{NARROW_DAYS} days ago")}</span>
                <span>{format!("{uptime} uptime")}</span>
                <span>"Today"</span>
            </p>
        </div>
    }
}

/// How many days of bars narrow screens show.
const NARROW_DAYS: usize = 30;

/// The bars as one SVG of class `class`, 5 units a day; each bar's `<title>` is its
/// tooltip.
fn bars_svg(days: &[DayBar], class: &str) -> String {
    use std::fmt::Write;
    let mut svg = format!(
        "<svg class=\"{class}\" viewBox=\"0 0 {} 30\" preserveAspectRatio=\"none\" focusable=\"false\">",
        days.len() * 5
    );
    for (n, day) in days.iter().enumerate() {
        let (class, what) = match day.worst {
            None => ("bar bar--none", "No incidents".to_owned()),
            Some(ComponentState::Maintenance) if day.down == 0 => {
                ("bar bar--maintenance", "Maintenance".to_owned())
            }
            Some(state) => (
                match state {
                    ComponentState::Operational => "bar bar--none",
                    ComponentState::Maintenance => "bar bar--maintenance",
                    ComponentState::Degraded => "bar bar--degraded",
                    ComponentState::Partial => "bar bar--partial",
                    ComponentState::Major => "bar bar--major",
                },
                if day.down > 0 {
                    format!(
                        "{}, {} down",
                        state.label(),
                        crate::incidents::durations::format(chrono::Duration::seconds(day.down))
                    )
                } else {
                    state.label().to_owned()
                },
            ),
        };
        let _ = write!(
            svg,
            "<rect class=\"{class}\" x=\"{}\" width=\"4\" height=\"30\"><title>{}: {what}</title></rect>",
            n * 5,
            day.date.format("%-d %b %Y"),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The latest published incidents by month, newest first, each with its latest update.
pub fn history_page(header: &Header, history: &[PublicIncident]) -> String {
    let mut months: Vec<(String, Vec<PublicIncident>)> = Vec::new();
    for i in history {
        let month = i.published_at.format("%B %Y").to_string();
        match months.last_mut() {
            Some((m, list)) if *m == month => list.push(i.clone()),
            _ => months.push((month, vec![i.clone()])),
        }
    }
    let body = view! {
        <p><a href="/status">"← Current status"</a></p>
        <h1>"Incident history"</h1>
        {if months.is_empty() {
            view! { <p class="muted">"No incidents have been published."</p> }.into_any()
        } else {
            months.into_iter().map(|(month, list)| view! {
                <section class="month">
                    <h2>{month}</h2>
                    {list.into_iter().map(|i| view! { <IncidentCard incident=i latest_only=true /> }).collect_view()}
                </section>
            }).collect_view().into_any()
        }}
        {(history.len() >= super::service::HISTORY).then(|| view! {
            <p class="muted">{format!("The latest {} incidents.", super::service::HISTORY)}</p>
        })}
    }
    .into_any();
    document(&format!("Incident history · {}", header.name), header, body)
}

/// One published incident with all its updates.
pub fn incident_page(header: &Header, incident: &PublicIncident) -> String {
    let body = view! {
        <p><a href="/status">"← Current status"</a></p>
        <h1>{incident.title.clone()}</h1>
        <IncidentFacts incident=incident.clone() />
        <ol class="updates">
            {incident.updates.iter().map(|u| view! {
                <li class="update">
                    <p class="update__head"><strong>{u.state.label()}</strong>" · "<time datetime=u.at.to_rfc3339()>{when(u.at)}</time></p>
                    <div class="prose" inner_html=u.body_html.clone()></div>
                </li>
            }).collect_view()}
        </ol>
        {incident.postmortem.clone().map(|p| view! {
            <section class="postmortem" aria-labelledby="postmortem-title">
                <h2 id="postmortem-title">"Postmortem"</h2>
                <p class="muted">"Published "<time datetime=p.published_at.to_rfc3339()>{when(p.published_at)}</time></p>
                {p.sections.into_iter().map(|s| view! {
                    <h3>{s.title}</h3>
                    <div class="prose" inner_html=s.body_html></div>
                }).collect_view()}
            </section>
        })}
    }
    .into_any();
    document(
        &format!("{} · {}", incident.title, header.name),
        header,
        body,
    )
}

#[component]
fn IncidentFacts(incident: PublicIncident) -> impl IntoView {
    view! {
        <p class="facts">
            <span class=state_class(incident.impact)>{incident.impact.label()}</span>
            {(!incident.components.is_empty()).then(|| view! {
                <span>"Affects "{incident.components.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join(", ")}</span>
            })}
            <span>
                {match incident.resolved_at {
                    Some(at) => format!("Resolved {}", when(at)),
                    None => format!("Since {}", when(incident.published_at)),
                }}
            </span>
        </p>
    }
}

#[component]
fn IncidentCard(incident: PublicIncident, latest_only: bool) -> impl IntoView {
    let shown: Vec<_> = if latest_only {
        incident.updates.iter().take(1).cloned().collect()
    } else {
        incident.updates.clone()
    };
    view! {
        <article class="incident" data-state=incident.state.as_str()>
            <h3><a href=format!("/status/incidents/{}", incident.id)>{incident.title.clone()}</a></h3>
            <IncidentFacts incident=incident.clone() />
            {shown.into_iter().map(|u| view! {
                <div class="update">
                    <p class="update__head"><strong>{u.state.label()}</strong>" · "<time datetime=u.at.to_rfc3339()>{when(u.at)}</time></p>
                    <div class="prose" inner_html=u.body_html></div>
                </div>
            }).collect_view()}
        </article>
    }
}

/// A page for an address that names nothing public (or while the page is off).
pub fn not_found_page() -> String {
    let header = Header {
        name: "Status".into(),
        logo_url: None,
        links: Vec::new(),
    };
    document(
        "Not found",
        &header,
        view! {
            <h1>"Not found"</h1>
            <p>"There is no such page."</p>
        }
        .into_any(),
    )
}

/// Black or white, whichever reads better on `brand` (`#rrggbb`), by WCAG luminance.
pub fn ink_for(brand: &str) -> &'static str {
    let channel = |i: usize| {
        let v =
            u8::from_str_radix(brand.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64 / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    // Contrast with white (1.05 / (l + 0.05)) against black ((l + 0.05) / 0.05).
    if 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 {
        "#ffffff"
    } else {
        "#111111"
    }
}

/// The page's style sheet, with the brand colour the admin chose.
pub fn style_sheet(brand: &str) -> String {
    format!(
        ":root{{--brand:{brand};--brand-ink:{ink}}}\n{BASE_CSS}",
        ink = ink_for(brand)
    )
}

/// The page's own small style sheet (no build step: it is served as written).
const BASE_CSS: &str = include_str!("public.css");

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(title: &str, body_html: &str) -> PublicIncident {
        let at = DateTime::from_timestamp(1_764_944_580, 0).unwrap();
        PublicIncident {
            impact: ComponentState::Partial,
            ..PublicIncident::sample(7, title, at, body_html)
        }
    }

    #[test]
    fn titles_are_escaped_and_bodies_come_as_sanitised() {
        let header = Header {
            name: "Acme <b>status</b>".into(),
            logo_url: None,
            links: vec![StatusLink {
                label: "Help\"><script>x</script>".into(),
                url: "https://example.com/?a=1&b=2".into(),
            }],
        };
        let html = incident_page(
            &header,
            &incident("</title><script>alert(1)</script>", "<p>We found it.</p>"),
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;/title&gt;&lt;script&gt;"), "{html}");
        assert!(html.contains("Acme &lt;b&gt;status&lt;/b&gt;"), "{html}");
        assert!(html.contains("<p>We found it.</p>"), "{html}");
        assert!(html.contains("5 Dec 2025, 14:23 UTC"), "{html}");
        assert!(html.starts_with("<!DOCTYPE html>"));
    }

    #[test]
    fn the_header_ink_is_readable_on_the_brand_colour() {
        assert_eq!(ink_for("#1f4f8f"), "#ffffff");
        assert_eq!(ink_for("#ffd700"), "#111111");
        assert!(style_sheet("#1f4f8f").starts_with(":root{--brand:#1f4f8f;--brand-ink:#ffffff}"));
    }
}
