//! E-mail: a one-line subject, the facts as plain text, and the same as a small HTML
//! page in which everything a person typed is escaped.

use super::Summary;
use crate::notifications::outbox::{Mail, page};
use crate::text::escape_markup as escape;

/// The message an e-mail channel sends: "[Vigil] INC-7 declared at SEV1: Checkout down".
pub fn email(summary: &Summary) -> Mail {
    let subject = format!("[Vigil] {}", summary.one_line());
    let one = crate::text::one_line;
    let mut text = one(&summary.headline);
    if let Some(title) = &summary.title {
        text.push_str(&format!("\n{}", one(title)));
    }
    text.push_str("\n\n");
    for (name, value) in &summary.facts {
        text.push_str(&format!("{name}: {}\n", one(value)));
    }
    if let Some(url) = &summary.url {
        text.push_str(&format!("\nOpen in Vigil: {url}\n"));
    }
    text.push_str("\n-- \nSent by Vigil to this notification channel's addresses.\n");
    let facts: String = summary
        .facts
        .iter()
        .map(|(name, value)| {
            format!(
                "<tr><th style=\"text-align:left;vertical-align:top;padding:2px 12px 2px 0;color:#555;font-weight:normal\">{}</th><td>{}</td></tr>",
                escape(&one(name)),
                escape(&one(value))
            )
        })
        .collect();
    let link = summary
        .url
        .as_deref()
        .map(|url| format!("<p><a href=\"{}\">Open in Vigil</a></p>", escape(url)))
        .unwrap_or_default();
    let content = format!(
        "<h1 style=\"font-size:20px;margin:0 0 4px\">{}</h1>{}<table style=\"border-collapse:collapse;margin:12px 0\">{facts}</table>{link}",
        escape(&one(&summary.headline)),
        summary
            .title
            .as_deref()
            .map(|t| format!(
                "<p style=\"font-size:16px;margin:0\">{}</p>",
                escape(&one(t))
            ))
            .unwrap_or_default(),
    );
    Mail {
        html: page(
            &subject,
            &content,
            Some("Sent by Vigil to this notification channel's addresses."),
        ),
        subject,
        text,
        one_click: None,
    }
}
