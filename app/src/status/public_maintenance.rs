//! Maintenance on the public pages: the windows in progress and announced on `/status`,
//! and a page per window. Nothing here says whether a window counts against the SLOs:
//! that is an internal matter.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::public::{Header, document, state_class, when};
use super::{ComponentState, Maintenance, MaintenancePhase};

/// `5 Dec 2026, 14:00 – 16:00 UTC`, or with both dates when it spans days.
pub fn window(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    if start.date_naive() == end.date_naive() {
        format!(
            "{} – {}",
            start.format("%-d %b %Y, %H:%M"),
            end.format("%H:%M UTC")
        )
    } else {
        format!("{} – {}", start.format("%-d %b %Y, %H:%M"), when(end))
    }
}

/// When a window ran or will run, as the facts line says it.
fn timing(m: &Maintenance) -> String {
    match m.phase {
        MaintenancePhase::Scheduled => format!("Scheduled for {}", window(m.starts_at, m.ends_at)),
        MaintenancePhase::InProgress => {
            format!("Since {}, until {}", when(m.starts_at), when(m.ends_at))
        }
        MaintenancePhase::Completed => format!("Completed · {}", window(m.starts_at, m.end())),
        MaintenancePhase::Cancelled => format!(
            "Called off · it was planned for {}",
            window(m.starts_at, m.ends_at)
        ),
    }
}

#[component]
fn MaintenanceFacts(maintenance: Maintenance) -> impl IntoView {
    view! {
        <p class="facts">
            <span class=state_class(ComponentState::Maintenance)>{maintenance.phase.label()}</span>
            {(!maintenance.components.is_empty()).then(|| view! {
                <span>{format!("Affects {}", maintenance.components.iter().map(|c| c.1.as_str()).collect::<Vec<_>>().join(", "))}</span>
            })}
            <span>{timing(&maintenance)}</span>
        </p>
    }
}

/// A section of maintenance cards under `heading`; nothing when `list` is empty.
#[component]
pub fn MaintenanceList(
    list: Vec<Maintenance>,
    id: &'static str,
    heading: &'static str,
) -> impl IntoView {
    (!list.is_empty()).then(|| {
        view! {
            <section aria-labelledby=id>
                <h2 id=id>{heading}</h2>
                {list.into_iter().map(|m| view! {
                    <article class="incident incident--maintenance" data-phase=m.phase.as_str()>
                        <h3><a href=format!("/status/maintenance/{}", m.id)>{m.title.clone()}</a></h3>
                        <MaintenanceFacts maintenance=m.clone() />
                        <div class="prose" inner_html=m.body_html.clone()></div>
                    </article>
                }).collect_view()}
            </section>
        }
    })
}

/// One maintenance window's page.
pub fn maintenance_page(header: &Header, maintenance: &Maintenance) -> String {
    let body = view! {
        <p><a href="/status">"← Current status"</a></p>
        <h1>{maintenance.title.clone()}</h1>
        <MaintenanceFacts maintenance=maintenance.clone() />
        <div class="prose" inner_html=maintenance.body_html.clone()></div>
        <p class="muted">"Updated "<time datetime=maintenance.updated_at.to_rfc3339()>{when(maintenance.updated_at)}</time></p>
    }
    .into_any();
    document(
        &format!("{} · {}", maintenance.title, header.name),
        header,
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_name_the_second_date_only_when_they_span_days() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            window(at("2026-12-05T14:00:00Z"), at("2026-12-05T16:30:00Z")),
            "5 Dec 2026, 14:00 – 16:30 UTC"
        );
        assert_eq!(
            window(at("2026-12-05T22:00:00Z"), at("2026-12-06T02:00:00Z")),
            "5 Dec 2026, 22:00 – 6 Dec 2026, 02:00 UTC"
        );
    }

    #[test]
    fn the_page_escapes_the_title_and_shows_the_phase() {
        let at = "2026-12-05T14:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let m = Maintenance {
            id: 3,
            title: "<script>alert(1)</script> upgrade".into(),
            body: String::new(),
            body_html: "<p>Short pauses.</p>".into(),
            phase: MaintenancePhase::Scheduled,
            starts_at: at,
            ends_at: at + chrono::Duration::hours(2),
            completed_at: None,
            cancelled_at: None,
            counts_against_slo: true,
            components: vec![(1, "API".into())],
            created_at: at,
            updated_at: at,
            version: 1,
        };
        let header = Header {
            name: "Acme".into(),
            logo_url: None,
            links: Vec::new(),
        };
        let html = maintenance_page(&header, &m);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("Scheduled for 5 Dec 2026, 14:00 – 16:00 UTC"),
            "{html}"
        );
        assert!(html.contains("Affects API"), "{html}");
        assert!(!html.to_lowercase().contains("slo"), "{html}");
    }
}
