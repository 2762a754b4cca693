//! Rules for one-line texts people give names and titles in.

/// Why a one-line text (title, name) is refused when it holds control characters: a
/// newline or a tab in a title fakes extra lines in chat messages, logs and exports.
pub const ONE_LINE: &str = "Use one line of text, without line breaks or control characters.";

/// True when `text` has a control character (newlines, tabs, escapes, bidi overrides too).
pub fn has_control_characters(text: &str) -> bool {
    text.chars().any(|c| {
        c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

/// `value` trimmed, with its problem as a one-line field of at most `max` characters
/// (control characters, or too long) added to `errors` under `field`.
pub fn checked_line(
    errors: &mut Vec<crate::error::FieldError>,
    field: &str,
    value: &str,
    max: usize,
) -> String {
    use crate::error::FieldError;
    let value = value.trim();
    if has_control_characters(value) {
        errors.push(FieldError::new(field, ONE_LINE));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("Use at most {max} characters."),
        ));
    }
    value.to_owned()
}

/// `text` on one line: every run of control characters becomes one space. For text from
/// other systems (alert summaries), which is kept rather than refused.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if has_control_characters(c.encode_utf8(&mut [0; 4])) {
            gap = true;
        } else {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c);
        }
    }
    out
}

/// An absolute http(s) URL (never `javascript:`): what a link a person typed (a tracker
/// issue, a runbook) must be before a page renders it as `href`.
pub fn is_web_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && url.trim().len() > "https://".len()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
}

/// Text for XML and HTML: the five special characters escaped and the characters XML 1.0
/// forbids dropped, so a feed always parses and a mail or page shows the text as typed.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_links_are_http_only() {
        assert!(is_web_link("https://tracker.example/ISSUE-1"));
        assert!(is_web_link("http://jira.local/browse/OPS-2"));
        for bad in [
            "javascript:alert(1)",
            "https://",
            "ftp://x",
            "https://a b",
            "tracker/1",
            "https://x\"onclick=1",
        ] {
            assert!(!is_web_link(bad), "{bad}");
        }
    }

    #[test]
    fn control_characters_are_found_and_folded() {
        assert!(has_control_characters("Checkout down\n<!channel>"));
        assert!(has_control_characters("tab\there"));
        assert!(has_control_characters("bidi \u{202E}txt.exe"));
        assert!(!has_control_characters("Checkout down – 5xx in eu-west ✓"));
        assert_eq!(one_line("Disk full\r\n\ton db-1\n"), "Disk full on db-1");
        assert_eq!(one_line("\nstart"), "start");
    }
}
