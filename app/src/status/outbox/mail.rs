//! Mail to subscribers over SMTP (lettre): the confirmation request, and each update
//! as plain text with an HTML alternative, carrying one-click unsubscribe headers
//! (RFC 8058) so mail clients offer "Unsubscribe" next to the sender.

use super::{Announcement, AnnouncementEvent, Links, Message};
use crate::notifications::outbox::{Mail, Mailer, Outcome, page};
use crate::status::feeds::escape;
use crate::status::public::when;
use crate::status::public_maintenance::window;

/// One line: control characters (a title is one line already) become spaces.
fn line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Sends `message` to one subscriber; see [`Mailer::send`].
pub(super) async fn send(
    mailer: &Mailer,
    to: &str,
    message: &Message,
    links: &Links,
) -> (Outcome, bool) {
    mailer.send(&[to], &compose(message, links)).await
}

pub(super) fn compose(message: &Message, links: &Links) -> Mail {
    match message {
        Message::Confirm => confirmation(links),
        Message::Announce(a) => announcement(a, links),
    }
}

fn confirmation(links: &Links) -> Mail {
    let text = format!(
        "Someone, most likely you, asked for status updates at this address.\n\n\
         Confirm the subscription here:\n{}\n\n\
         If it was not you, ignore this message: nothing more will be sent.\n",
        links.manage
    );
    let html = page(
        "Confirm your subscription",
        &format!(
            "<p>Someone, most likely you, asked for status updates at this address.</p>\
             <p><a href=\"{}\">Confirm the subscription</a></p>\
             <p style=\"color:#555\">If it was not you, ignore this message: nothing more will be sent.</p>",
            escape(&links.manage)
        ),
        None,
    );
    Mail {
        subject: "Confirm your status updates subscription".to_owned(),
        text,
        html,
        one_click: None,
    }
}

fn announcement(a: &Announcement, links: &Links) -> Mail {
    let (title, facts, body, body_html, path) = match (&a.incident, &a.maintenance) {
        (Some(i), _) => {
            let latest = i.updates.first();
            let state = latest.map(|u| u.state).unwrap_or(i.state);
            let at = latest.map(|u| u.at).unwrap_or(i.updated_at);
            let mut facts = vec![format!("{} · {}", state.label(), when(at))];
            if !i.components.is_empty() {
                facts.push(format!("Affects {}", names(&i.components)));
            }
            (
                i.title.clone(),
                facts,
                latest.map(|u| u.body.clone()).unwrap_or_default(),
                latest.map(|u| u.body_html.clone()).unwrap_or_default(),
                format!("/status/incidents/{}", i.id),
            )
        }
        (None, Some(m)) => {
            let mut facts = vec![format!(
                "{} · {}",
                m.phase.label(),
                window(m.starts_at, m.ends_at)
            )];
            if !m.components.is_empty() {
                facts.push(format!("Affects {}", names(&m.components)));
            }
            (
                m.title.clone(),
                facts,
                m.body.clone(),
                m.body_html.clone(),
                format!("/status/maintenance/{}", m.id),
            )
        }
        (None, None) => (
            String::new(),
            Vec::new(),
            String::new(),
            String::new(),
            "/status".into(),
        ),
    };
    let what = match a.event {
        AnnouncementEvent::IncidentCreated | AnnouncementEvent::IncidentUpdated => a
            .incident
            .as_ref()
            .and_then(|i| i.updates.first().map(|u| u.state.label()))
            .unwrap_or("Update"),
        AnnouncementEvent::MaintenanceScheduled => "Scheduled maintenance",
        AnnouncementEvent::MaintenanceUpdated => "Maintenance changed",
        AnnouncementEvent::MaintenanceCompleted => "Maintenance completed",
        AnnouncementEvent::MaintenanceCancelled => "Maintenance cancelled",
    };
    let url = format!("{}{path}", links.base);
    let subject = line(&format!("[{}] {what}: {title}", a.page));
    let text = format!(
        "{title}\n{}\n\n{}\n\nOn the status page: {url}\n\n-- \n\
         You get this because you subscribed to updates from {page}.\n\
         Unsubscribe: {manage}\n",
        facts.join("\n"),
        body.trim(),
        title = line(&title),
        page = line(&a.page),
        manage = links.manage,
    );
    let content = format!(
        "<h1 style=\"font-size:20px;margin:0 0 8px\">{}</h1>{}<div>{body_html}</div>\
         <p><a href=\"{}\">Read it on the status page</a></p>",
        escape(&title),
        facts
            .iter()
            .map(|f| format!("<p style=\"color:#555;margin:0\">{}</p>", escape(f)))
            .collect::<String>(),
        escape(&url),
    );
    let footer = format!(
        "You get this because you subscribed to updates from {}. <a href=\"{}\">Unsubscribe</a>",
        escape(&a.page),
        escape(&links.manage)
    );
    Mail {
        subject,
        text,
        html: page(&title, &content, Some(&footer)),
        one_click: Some(links.unsubscribe.clone()),
    }
}

fn names(components: &[(i64, String)]) -> String {
    components
        .iter()
        .map(|c| c.1.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{PublicIncident, PublicState, PublicUpdate};
    use chrono::{DateTime, Utc};

    fn incident(title: &str, body_html: &str) -> Announcement {
        let at = "2026-12-05T14:03:00Z".parse::<DateTime<Utc>>().unwrap();
        let mut i = PublicIncident::sample(7, title, at, body_html);
        i.components = vec![(1, "API".into()), (2, "Web <app>".into())];
        i.updates = vec![PublicUpdate {
            id: 1,
            state: PublicState::Identified,
            body: "We found it.".into(),
            body_html: body_html.into(),
            at,
        }];
        Announcement {
            event: AnnouncementEvent::IncidentUpdated,
            page: "Acme".into(),
            occurred_at: at,
            incident: Some(i),
            maintenance: None,
        }
    }

    #[test]
    fn an_update_names_its_state_and_carries_the_one_click_unsubscribe() {
        let links = Links::new("https://status.example.com", "tok");
        let mail = compose(
            &Message::Announce(Box::new(incident("Slow <b>API</b>", "<p>We found it.</p>"))),
            &links,
        );
        assert_eq!(mail.subject, "[Acme] Identified: Slow <b>API</b>");
        assert_eq!(
            mail.one_click.as_deref(),
            Some("https://status.example.com/status/subscriptions/tok/unsubscribe")
        );
        assert!(
            mail.text.contains("Identified · 5 Dec 2026, 14:03 UTC"),
            "{}",
            mail.text
        );
        assert!(
            mail.text.contains("Affects API, Web <app>"),
            "{}",
            mail.text
        );
        assert!(
            mail.text
                .contains("https://status.example.com/status/incidents/7")
        );
        assert!(
            mail.text
                .contains("Unsubscribe: https://status.example.com/status/subscriptions/tok\n")
        );
        // Titles and names are escaped in the HTML; the sanitised body is kept.
        assert!(
            mail.html.contains("Slow &lt;b&gt;API&lt;/b&gt;"),
            "{}",
            mail.html
        );
        assert!(mail.html.contains("Web &lt;app&gt;"), "{}", mail.html);
        assert!(mail.html.contains("<p>We found it.</p>"));
        assert!(!mail.html.contains("<b>API"));
    }

    #[test]
    fn a_confirmation_links_to_the_page_with_the_button_and_offers_no_unsubscribe() {
        let links = Links::new("http://localhost:3000", "abc");
        let mail = compose(&Message::Confirm, &links);
        assert!(
            mail.text
                .contains("http://localhost:3000/status/subscriptions/abc\n")
        );
        assert!(
            !mail.text.contains("/confirm"),
            "a GET must not confirm: {}",
            mail.text
        );
        assert_eq!(mail.one_click, None);
    }

    #[test]
    fn a_subject_is_one_line() {
        let mut a = incident("two\r\nBcc: x@example.com", "");
        a.page = "Acme\n".into();
        let mail = compose(&Message::Announce(Box::new(a)), &Links::new("", "t"));
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
    }
}
