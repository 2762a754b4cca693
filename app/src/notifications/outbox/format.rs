//! What each kind of receiver gets: Slack's text and link escaping, the JSON webhook's
//! body and its signature.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{Change, Notice};
use crate::notifications::NotifyEvent;

/// Text for Slack and its look-alikes: `&`, `<` and `>` escaped (so nobody can write a
/// `<!channel>` or a `<@user>` into a title), and `@` followed by a word joiner (so
/// `@here` in plain text does not notify anyone either).
pub fn slack_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("@\u{2060}"),
            c => out.push(c),
        }
    }
    out
}

/// A link Slack renders, from a URL we made and a label we escape.
fn slack_link(url: &str, label: &str) -> String {
    let url = url
        .replace('|', "%7C")
        .replace('>', "%3E")
        .replace('<', "%3C");
    format!("<{url}|{}>", slack_escape(label))
}

/// The message a Slack-compatible webhook receives.
pub fn slack_body(notice: &Notice, base_url: &str) -> serde_json::Value {
    let by = notice
        .actor
        .as_deref()
        .map(|a| format!(" (by {})", slack_escape(a)))
        .unwrap_or_default();
    let text = match (&notice.incident, Some(notice.event)) {
        (Some(i), Some(event)) => {
            let link = slack_link(&format!("{base_url}{}", i.path), &i.reference);
            let title = slack_escape(&i.title);
            let change = notice.change.as_ref();
            let from_to = |c: Option<&Change>| {
                c.map(|c| format!(" from {} to {}", slack_escape(&c.from), slack_escape(&c.to)))
                    .unwrap_or_default()
            };
            match event {
                NotifyEvent::Declared => format!(
                    ":rotating_light: {link} declared at {}: *{title}*{by}",
                    slack_escape(&i.severity)
                ),
                NotifyEvent::SeverityChanged => {
                    format!("{link} severity changed{}: *{title}*{by}", from_to(change))
                }
                NotifyEvent::StatusChanged => {
                    format!("{link} status changed{}: *{title}*{by}", from_to(change))
                }
                NotifyEvent::PostmortemPublished => {
                    format!(":memo: Postmortem published for {link}: *{title}*{by}")
                }
                NotifyEvent::RuleMatched => format!(
                    ":bell: {link} *{title}*: the rule “{}” asked to tell this channel{by}",
                    slack_escape(notice.rule.as_deref().unwrap_or_default())
                ),
                NotifyEvent::Test => format!("Test notification from Vigil{by}"),
            }
        }
        _ => format!("Test notification from Vigil: this channel works{by}."),
    };
    serde_json::json!({ "text": text })
}

/// The body a JSON webhook receives: the notice, with absolute links and the delivery's
/// id (receivers deduplicate on it: a retry after a lost answer repeats the id).
pub fn webhook_body(notice: &Notice, base_url: &str, delivery_id: i64) -> serde_json::Value {
    let mut body = serde_json::to_value(notice).unwrap_or_default();
    if let Some(incident) = body.get_mut("incident").and_then(|i| i.as_object_mut()) {
        let path = incident
            .remove("path")
            .and_then(|p| p.as_str().map(str::to_owned))
            .unwrap_or_default();
        incident.insert("url".into(), format!("{base_url}{path}").into());
    }
    body["delivery_id"] = delivery_id.into();
    body
}

/// `sha256=` and the hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`. The
/// timestamp is signed too, so a receiver can refuse old replays.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
