//! Discord and Mattermost: both render Markdown from a webhook, so every text a person
//! typed is Markdown-escaped ([`markdown_escape`]) and mentions are switched off.

use serde_json::{Value, json};

use super::{Summary, clip, markdown_escape, severity_rgb};

/// Discord's limits (its embed documentation): a message is refused whole when one is
/// passed, so each text is clipped to its own.
const DISCORD_CONTENT: usize = 2000;
const DISCORD_TITLE: usize = 256;
const DISCORD_FIELD_VALUE: usize = 1024;

/// The message a Discord webhook receives: the headline as content, an embed in the
/// severity's colour with the title linking back and the facts as inline fields, and
/// `allowed_mentions` empty so neither `@everyone` nor a user or role id pings anyone.
pub fn discord_body(summary: &Summary) -> Value {
    let mut embed = json!({
        "color": severity_rgb(summary.severity_rank),
        "fields": summary.facts.iter().map(|(name, value)| json!({
            "name": name,
            "value": clip(&markdown_escape(value), DISCORD_FIELD_VALUE),
            "inline": !summary.list,
        })).collect::<Vec<_>>(),
        "footer": { "text": "Vigil" },
    });
    match (&summary.title, &summary.url) {
        (Some(title), _) => embed["title"] = clip(&markdown_escape(title), DISCORD_TITLE).into(),
        // Discord shows an embed's link only on its title.
        (None, Some(_)) => embed["title"] = "Open in Vigil".into(),
        (None, None) => {}
    }
    if let Some(url) = &summary.url {
        embed["url"] = url.clone().into();
    }
    json!({
        "username": "Vigil",
        "content": clip(&markdown_escape(&summary.headline), DISCORD_CONTENT),
        "embeds": [embed],
        "allowed_mentions": { "parse": [] },
    })
}

/// The message a Mattermost incoming webhook receives: Markdown text with the incident
/// linked, and the facts as a short line under it (a digest's items one a line).
pub fn mattermost_body(summary: &Summary) -> Value {
    let headline = markdown_escape(&summary.headline);
    let mut text = match (&summary.title, &summary.url) {
        (Some(title), Some(url)) => format!(
            "{headline}: [{}]({})",
            markdown_escape(title),
            link_target(url)
        ),
        (Some(title), None) => format!("{headline}: {}", markdown_escape(title)),
        (None, Some(url)) => format!("{headline}: [Open in Vigil]({})", link_target(url)),
        (None, None) => headline,
    };
    if !summary.facts.is_empty() {
        let facts: Vec<String> = summary
            .facts
            .iter()
            .map(|(name, value)| {
                let fact = format!("**{}:** {}", markdown_escape(name), markdown_escape(value));
                if summary.list {
                    format!("- {fact}")
                } else {
                    fact
                }
            })
            .collect();
        text.push('\n');
        text.push_str(&facts.join(if summary.list { "\n" } else { " · " }));
    }
    json!({ "username": "Vigil", "text": text })
}

/// A URL Vigil made, safe inside a Markdown link's parentheses.
fn link_target(url: &str) -> String {
    url.replace(')', "%29").replace(' ', "%20")
}
