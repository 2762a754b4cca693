//! What each kind of receiver gets: Slack's text and link escaping, the JSON webhook's
//! body and its signature here; cards for Microsoft Teams, Discord's embeds, Mattermost's
//! Markdown and e-mail in their own files, all from one [`Summary`] of the notice.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{Change, Notice};
use crate::notifications::NotifyEvent;
use crate::notifications::digest::Digest;

mod chat;
mod email;
mod teams;

pub use chat::{discord_body, mattermost_body};
pub use email::email;
pub use teams::{teams_body, teams_connector_body};

/// What a message says, in plain text that each tool escapes its own way: a headline
/// ("INC-7 declared at SEV1"), the incident's title and link, and facts; or, for the
/// daily digest, a headline and a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub headline: String,
    pub title: Option<String>,
    pub url: Option<String>,
    /// (name, value): severity, status, commander, services, who made the change; or a
    /// digest's items (incident, what is overdue).
    pub facts: Vec<(String, String)>,
    /// The facts are a list (one a line), not a few short facts side by side.
    pub list: bool,
    /// 0 for the most severe level, 1 for the next, and so on: the card's colour.
    pub severity_rank: Option<usize>,
}

impl Summary {
    pub fn of(notice: &Notice, base_url: &str) -> Self {
        let actor = notice.actor.clone();
        if let Some(digest) = &notice.digest {
            return Self::of_digest(digest, base_url);
        }
        let Some(i) = &notice.incident else {
            return Self {
                headline: "Test notification from Vigil: this channel works.".to_owned(),
                title: None,
                url: None,
                facts: actor
                    .map(|a| ("Sent by".to_owned(), a))
                    .into_iter()
                    .collect(),
                list: false,
                severity_rank: None,
            };
        };
        let reference = &i.reference;
        let from_to = |c: Option<&Change>| {
            c.map(|c| format!(" from {} to {}", c.from, c.to))
                .unwrap_or_default()
        };
        let headline = match notice.event {
            NotifyEvent::Declared => format!("{reference} declared at {}", i.severity),
            NotifyEvent::SeverityChanged => {
                format!(
                    "{reference} severity changed{}",
                    from_to(notice.change.as_ref())
                )
            }
            NotifyEvent::StatusChanged => {
                format!(
                    "{reference} status changed{}",
                    from_to(notice.change.as_ref())
                )
            }
            NotifyEvent::CommanderChanged => match &notice.change {
                Some(c) if !c.from.is_empty() => {
                    format!(
                        "{reference} commander handed over from {} to {}",
                        c.from, c.to
                    )
                }
                Some(c) => format!("{reference} has a commander: {}", c.to),
                None => format!("{reference} has a new commander"),
            },
            NotifyEvent::PostmortemPublished => format!("Postmortem published for {reference}"),
            NotifyEvent::RuleMatched => format!(
                "{reference}: the rule “{}” asked to tell this channel",
                notice.rule.as_deref().unwrap_or_default()
            ),
            NotifyEvent::Test | NotifyEvent::ActionItemsOverdue => {
                format!("Test notification from Vigil about {reference}")
            }
        };
        let mut facts = vec![
            ("Severity".to_owned(), i.severity.clone()),
            ("Status".to_owned(), i.status.clone()),
        ];
        if let Some(commander) = &i.commander {
            facts.push(("Commander".to_owned(), commander.clone()));
        }
        if !i.services.is_empty() {
            facts.push(("Services".to_owned(), i.services.join(", ")));
        }
        if let Some(actor) = actor {
            facts.push(("By".to_owned(), actor));
        }
        Self {
            headline,
            title: Some(i.title.clone()),
            url: Some(format!("{base_url}{}", i.path)),
            facts,
            list: false,
            severity_rank: i.severity_rank,
        }
    }

    /// "3 action items are overdue", and one line an item, most overdue first.
    fn of_digest(digest: &Digest, base_url: &str) -> Self {
        let headline = match digest.total {
            1 => "1 action item is overdue".to_owned(),
            n => format!("{n} action items are overdue"),
        };
        let mut facts: Vec<(String, String)> = digest
            .items
            .iter()
            .map(|item| (item.incident.clone(), item.line()))
            .collect();
        let more = digest.total.saturating_sub(digest.items.len() as u64);
        if more > 0 {
            facts.push(("More".to_owned(), format!("and {more} more in Vigil")));
        }
        Self {
            headline,
            title: None,
            url: Some(format!("{base_url}{}", digest.path)),
            facts,
            list: true,
            severity_rank: None,
        }
    }

    /// "INC-7 declared at SEV1: Checkout down", on one line.
    pub fn one_line(&self) -> String {
        let text = match &self.title {
            Some(title) => format!("{}: {title}", self.headline),
            None => self.headline.clone(),
        };
        crate::text::one_line(&text)
    }
}

/// A colour per severity rank, as RGB: red for the most severe level, orange for the
/// next, amber for the third, blue after that; grey for messages about no incident.
pub fn severity_rgb(rank: Option<usize>) -> u32 {
    match rank {
        Some(0) => 0xD9_2D_20,
        Some(1) => 0xE6_6A_0A,
        Some(2) => 0xCA_8A_04,
        Some(_) => 0x25_63_EB,
        None => 0x6B_72_80,
    }
}

/// `text` for CommonMark renderers (Mattermost, Discord, Teams facts): every ASCII
/// punctuation character backslash-escaped, so nothing becomes a link, emphasis, a
/// heading or a quote; `@` followed by a word joiner, so `@here`, `@channel` or `@name`
/// mention nobody; on one line.
pub fn markdown_escape(text: &str) -> String {
    let text = crate::text::one_line(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
        if c == '@' {
            out.push('\u{2060}');
        }
    }
    out
}

/// At most `max` characters of `text`, ending with an ellipsis when it was cut (chat
/// tools refuse a whole message whose field is over its limit).
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    // Never leave a lone escaping backslash at the end.
    while out.ends_with('\\') {
        out.pop();
    }
    out.push('…');
    out
}

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
    if notice.digest.is_some() {
        let summary = Summary::of(notice, base_url);
        let mut text = format!(":hourglass: *{}*", slack_escape(&summary.headline));
        for (name, value) in &summary.facts {
            text.push_str(&format!(
                "\n• *{}*: {}",
                slack_escape(name),
                slack_escape(value)
            ));
        }
        if let Some(url) = &summary.url {
            text.push_str(&format!(
                "\n{}",
                slack_link(url, "Open the overdue action items")
            ));
        }
        return serde_json::json!({ "text": text });
    }
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
                NotifyEvent::CommanderChanged => match change {
                    Some(c) if !c.from.is_empty() => format!(
                        "{link} commander handed over from {} to {}: *{title}*{by}",
                        slack_escape(&c.from),
                        slack_escape(&c.to)
                    ),
                    Some(c) => format!(
                        "{link} has a commander, {}: *{title}*{by}",
                        slack_escape(&c.to)
                    ),
                    None => format!("{link} has a new commander: *{title}*{by}"),
                },
                NotifyEvent::PostmortemPublished => {
                    format!(":memo: Postmortem published for {link}: *{title}*{by}")
                }
                NotifyEvent::RuleMatched => format!(
                    ":bell: {link} *{title}*: the rule “{}” asked to tell this channel{by}",
                    slack_escape(notice.rule.as_deref().unwrap_or_default())
                ),
                NotifyEvent::Test | NotifyEvent::ActionItemsOverdue => {
                    format!("Test notification from Vigil{by}")
                }
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
