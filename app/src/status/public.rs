//! The public pages as whole HTML documents: no scripts, no Vigil navigation, nothing
//! about the viewer, so one rendering serves every visitor (and a CDN may keep it).
//! Built with `view!` so every text is escaped; update bodies are sanitised HTML.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::{
    ComponentState, ComponentStatus, DayBar, PublicIncident, PublicStatus, StatusLink, UPTIME_DAYS,
};

/// `5 Dec 2026, 14:03 UTC`: visitors are anywhere, so the zone is written out.
fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

fn state_class(state: ComponentState) -> &'static str {
    match state {
        ComponentState::Operational => "state state--operational",
        ComponentState::Degraded => "state state--degraded",
        ComponentState::Partial => "state state--partial",
        ComponentState::Major => "state state--major",
    }
}

fn overall_text(state: ComponentState) -> &'static str {
    match state {
        ComponentState::Operational => "All systems operational",
        ComponentState::Degraded => "Some systems have degraded performance",
        ComponentState::Partial => "Partial outage",
        ComponentState::Major => "Major outage",
    }
}

/// The document around a page's body.
fn document(title: &str, header: &Header, body: AnyView) -> String {
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
    let troubled = component.days.iter().filter(|d| d.worst.is_some()).count();
    let label = format!(
        "{}: {uptime} uptime over the last {UPTIME_DAYS} days, {} with incidents",
        component.name,
        match troubled {
            1 => "1 day".to_owned(),
            n => format!("{n} days"),
        }
    );
    view! {
        <div class="uptime">
            <div class="bars" role="img" aria-label=label inner_html=bars_svg(&component.days)></div>
            <p class="uptime__legend muted" aria-hidden="true">
                <span>{format!("{UPTIME_DAYS} days ago")}</span>
                <span>{format!("{uptime} uptime")}</span>
                <span>"Today"</span>
            </p>
        </div>
    }
}

/// The bars as one SVG, 5 units a day; each bar's `<title>` is its tooltip.
fn bars_svg(days: &[DayBar]) -> String {
    use std::fmt::Write;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {} 30\" preserveAspectRatio=\"none\" focusable=\"false\">",
        days.len() * 5
    );
    for (n, day) in days.iter().enumerate() {
        let (class, what) = match day.worst {
            None => ("bar bar--none", "No incidents".to_owned()),
            Some(state) => (
                match state {
                    ComponentState::Operational => "bar bar--none",
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

const BASE_CSS: &str = r#":root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#16181d;--muted:#555b66;--line:#d9dce2;--ok:#17663a;--degraded:#7a5200;--partial:#9a3b00;--major:#b0161d;--link:#1d4ed8}
@media (prefers-color-scheme:dark){:root{--bg:#111318;--card:#1a1d24;--text:#e8eaee;--muted:#a3a9b5;--line:#333844;--ok:#5fd08a;--degraded:#f0c04a;--partial:#ff9b57;--major:#ff7b80;--link:#8ab4ff}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
a{color:var(--link)}
.wrap{max-width:52rem;margin:0 auto;padding:0 1rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--card);padding:.5rem;z-index:1}
.top{background:var(--brand);color:var(--brand-ink);padding:1rem 0;margin-bottom:1.5rem}
.top__row{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
.brand{display:flex;gap:.6rem;align-items:center;color:inherit;text-decoration:none;font-weight:700;font-size:1.25rem}
.brand__logo{height:2rem;width:auto}
.links{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;margin:0;padding:0}.links a{color:inherit}
h1{font-size:1.5rem;margin:0 0 1.5rem}h2{font-size:1.15rem;margin:2rem 0 .75rem}h3{font-size:1rem;margin:.75rem 0 .25rem}
.overall{padding:1rem 1.25rem;border-radius:.5rem;background:var(--card);border:1px solid var(--line);border-left-width:.5rem}
.overall.state--operational{border-left-color:var(--ok)}.overall.state--degraded{border-left-color:var(--degraded)}.overall.state--partial{border-left-color:var(--partial)}.overall.state--major{border-left-color:var(--major)}
.components{list-style:none;margin:0;padding:0;background:var(--card);border:1px solid var(--line);border-radius:.5rem}
.component{padding:.75rem 1rem;border-top:1px solid var(--line)}.component:first-child{border-top:0}
.component__head{display:flex;justify-content:space-between;gap:1rem}
.uptime{margin-top:.5rem}.bars svg{display:block;width:100%;height:2rem}
.bar{fill:var(--ok)}.bar--degraded{fill:var(--degraded)}.bar--partial{fill:var(--partial)}.bar--major{fill:var(--major)}.bar:hover{opacity:.7}
.uptime__legend{display:flex;justify-content:space-between;gap:1rem;margin:.25rem 0 0;font-size:.8rem}
.component p{margin:.1rem 0 0;font-size:.9rem}.component__name{font-weight:600}
.state{font-weight:600;white-space:nowrap}.overall{white-space:normal}.state--operational{color:var(--ok)}.state--degraded{color:var(--degraded)}.state--partial{color:var(--partial)}.state--major{color:var(--major)}
.incident{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin-bottom:.75rem}
.facts{display:flex;flex-wrap:wrap;gap:.25rem 1rem;color:var(--muted);font-size:.9rem;margin:.25rem 0}
.updates{list-style:none;padding:0;margin:0}.update{border-top:1px solid var(--line);padding:.5rem 0}.update__head{margin:.25rem 0;color:var(--muted)}
.prose p{margin:.25rem 0}.muted{color:var(--muted)}
.foot{margin:2rem auto;color:var(--muted);font-size:.9rem}
.feeds{margin:2rem 0 1rem}.feeds summary{cursor:pointer;color:var(--link)}.feeds ul{margin:.5rem 0;padding-left:1.25rem}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{PublicState, PublicUpdate};

    fn incident(title: &str, body_html: &str) -> PublicIncident {
        let at = DateTime::from_timestamp(1_764_944_580, 0).unwrap();
        PublicIncident {
            id: 7,
            title: title.into(),
            state: PublicState::Identified,
            impact: ComponentState::Partial,
            components: vec![(1, "API".into())],
            published_at: at,
            updated_at: at,
            resolved_at: None,
            impact_start: at,
            impact_end: None,
            updates: vec![PublicUpdate {
                id: 1,
                state: PublicState::Identified,
                body: String::new(),
                body_html: body_html.into(),
                at,
            }],
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
