//! Microsoft Teams: an Adaptive Card for Workflows (Power Automate) webhooks, and the
//! older Office 365 connector's MessageCard where one is still configured.
//!
//! Nothing a person typed can become markup or a mention: the headline and title are
//! `TextRun`s of a `RichTextBlock` (which renders no Markdown), fact values are
//! Markdown-escaped, `{{` cannot start a date function, and Teams mentions need an
//! `<at>` entity list that Vigil never sends.

use serde_json::{Value, json};

use super::{Summary, markdown_escape, severity_rgb};

/// The Adaptive Card schema version: 1.4 is the newest every Teams client and the
/// Workflows "post card" action render.
const CARD_VERSION: &str = "1.4";

/// Text for a card: on one line, and `{{` broken so Teams' `{{DATE(..)}}` and
/// `{{TIME(..)}}` functions cannot be written into a title.
fn card_text(text: &str) -> String {
    crate::text::one_line(text).replace("{{", "{\u{2060}{")
}

/// The Adaptive Card container style for a severity: the colour band of the card.
fn container_style(rank: Option<usize>) -> &'static str {
    match rank {
        Some(0) => "attention",
        Some(1) | Some(2) => "warning",
        Some(_) => "accent",
        None => "emphasis",
    }
}

/// The message a Teams Workflows webhook receives ("Post card in a chat or channel").
pub fn teams_body(summary: &Summary) -> Value {
    let mut runs = vec![json!({
        "type": "TextRun",
        "text": card_text(&summary.headline),
        "weight": "bolder",
    })];
    if let Some(title) = &summary.title {
        runs.push(json!({ "type": "TextRun", "text": format!(": {}", card_text(title)) }));
    }
    let facts: Vec<Value> = summary
        .facts
        .iter()
        .map(|(name, value)| json!({ "title": name, "value": card_text(&markdown_escape(value)) }))
        .collect();
    let mut body = vec![json!({
        "type": "Container",
        "style": container_style(summary.severity_rank),
        "bleed": true,
        "items": [{ "type": "RichTextBlock", "inlines": runs }],
    })];
    if !facts.is_empty() {
        body.push(json!({ "type": "FactSet", "facts": facts }));
    }
    let actions: Vec<Value> = summary
        .url
        .iter()
        .map(|url| json!({ "type": "Action.OpenUrl", "title": "Open in Vigil", "url": url }))
        .collect();
    json!({
        "type": "message",
        "summary": card_text(&summary.one_line()),
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": CARD_VERSION,
                "msteams": { "width": "Full" },
                "body": body,
                "actions": actions,
            },
        }],
    })
}

/// HTML's three markup characters as entities: connector cards render some HTML.
fn html_text(text: &str) -> String {
    crate::text::one_line(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The message an Office 365 connector ("Incoming Webhook") receives: a MessageCard
/// with Markdown switched off in its section.
pub fn teams_connector_body(summary: &Summary) -> Value {
    let facts: Vec<Value> = summary
        .facts
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": html_text(value) }))
        .collect();
    let mut card = json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "themeColor": format!("{:06X}", severity_rgb(summary.severity_rank)),
        "summary": html_text(&summary.one_line()),
        "sections": [{
            "activityTitle": html_text(&summary.headline),
            "activitySubtitle": summary.title.as_deref().map(html_text).unwrap_or_default(),
            "facts": facts,
            "markdown": false,
        }],
    });
    if let Some(url) = &summary.url {
        card["potentialAction"] = json!([{
            "@type": "OpenUri",
            "name": "Open in Vigil",
            "targets": [{ "os": "default", "uri": url }],
        }]);
    }
    card
}
