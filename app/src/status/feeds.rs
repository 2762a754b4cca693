//! The page's incidents as Atom and RSS 2.0 feeds, for feed readers and chat tools that
//! follow a feed: one entry per incident (updated with each public update, newest
//! update first), the whole page's or one component's. Built from the public incidents
//! only, like the page.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use super::PublicIncident;

/// Which feed: the page's or one component's.
pub struct Feed<'a> {
    /// The feed's title: the page's name, or `Page: Component`.
    pub title: String,
    /// The public page the feed follows (`…/status`), absolute.
    pub page_url: String,
    /// Where the feed itself is, absolute, without the `.atom` / `.rss` ending.
    pub feed_url: String,
    pub incidents: Vec<&'a PublicIncident>,
    /// When nothing was ever published: the feed's own date.
    pub fallback: DateTime<Utc>,
}

/// Text for XML (and the HTML inside it): the five special characters escaped and the
/// characters XML 1.0 forbids dropped, so a feed always parses.
pub fn escape(text: &str) -> String {
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

/// An incident as HTML: what it affects, then each update, newest first. Titles and
/// names are escaped; update bodies are the sanitised HTML the page shows.
fn content(i: &PublicIncident) -> String {
    let mut html = String::new();
    let names: Vec<&str> = i.components.iter().map(|c| c.1.as_str()).collect();
    let _ = write!(
        html,
        "<p>{}{}</p>",
        escape(i.impact.label()),
        if names.is_empty() {
            String::new()
        } else {
            format!(" · Affects {}", escape(&names.join(", ")))
        }
    );
    for u in &i.updates {
        let _ = write!(
            html,
            "<p><strong>{}</strong> · {}</p>{}",
            escape(u.state.label()),
            u.at.format("%-d %b %Y, %H:%M UTC"),
            u.body_html
        );
    }
    html
}

fn updated(feed: &Feed) -> DateTime<Utc> {
    feed.incidents
        .iter()
        .map(|i| i.updated_at)
        .max()
        .unwrap_or(feed.fallback)
}

fn atom_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The feed as Atom (RFC 4287).
pub fn atom(feed: &Feed) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">",
    );
    let _ = write!(
        xml,
        "<id>{id}</id><title>{title}</title><updated>{updated}</updated>\
         <link rel=\"alternate\" type=\"text/html\" href=\"{page}\"/>\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{id}.atom\"/>\
         <author><name>{title}</name></author>",
        id = escape(&feed.feed_url),
        title = escape(&feed.title),
        updated = atom_time(updated(feed)),
        page = escape(&feed.page_url),
    );
    for i in &feed.incidents {
        let link = format!("{}/incidents/{}", feed.page_url, i.id);
        let _ = write!(
            xml,
            "<entry><id>{link}</id><title>{title}</title><updated>{updated}</updated>\
             <published>{published}</published>\
             <link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\
             <content type=\"html\">{content}</content></entry>",
            link = escape(&link),
            title = escape(&format!("{}: {}", i.state.label(), i.title)),
            updated = atom_time(i.updated_at),
            published = atom_time(i.published_at),
            content = escape(&content(i)),
        );
    }
    xml.push_str("</feed>\n");
    xml
}

/// The feed as RSS 2.0.
pub fn rss(feed: &Feed) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>",
    );
    let _ = write!(
        xml,
        "<title>{title}</title><link>{page}</link>\
         <description>Incidents and updates: {title}</description><language>en</language>\
         <lastBuildDate>{updated}</lastBuildDate>\
         <atom:link href=\"{feed}.rss\" rel=\"self\" type=\"application/rss+xml\"/>",
        title = escape(&feed.title),
        page = escape(&feed.page_url),
        updated = updated(feed).to_rfc2822(),
        feed = escape(&feed.feed_url),
    );
    for i in &feed.incidents {
        let link = escape(&format!("{}/incidents/{}", feed.page_url, i.id));
        let _ = write!(
            xml,
            "<item><title>{title}</title><link>{link}</link>\
             <guid isPermaLink=\"true\">{link}</guid><pubDate>{published}</pubDate>\
             <description>{content}</description></item>",
            title = escape(&format!("{}: {}", i.state.label(), i.title)),
            published = i.published_at.to_rfc2822(),
            content = escape(&content(i)),
        );
    }
    xml.push_str("</channel></rss>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{ComponentState, PublicState};

    #[test]
    fn hostile_text_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\u{FFFF}\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;\n"
        );
        let at = DateTime::from_timestamp(1_764_944_580, 0).unwrap();
        let incident = PublicIncident {
            state: PublicState::Monitoring,
            impact: ComponentState::Major,
            components: vec![(1, "API & <Web>".into())],
            ..PublicIncident::sample(
                3,
                "]]></title><script>x</script>",
                at,
                "<p>Fix &amp; watch</p>",
            )
        };
        let feed = Feed {
            title: "Acme".into(),
            page_url: "https://x.test/status".into(),
            feed_url: "https://x.test/status/feed".into(),
            incidents: vec![&incident],
            fallback: at,
        };
        let atom = atom(&feed);
        assert!(!atom.contains("<script>"), "{atom}");
        assert!(
            atom.contains("<title>Monitoring: ]]&gt;&lt;/title&gt;&lt;script&gt;"),
            "{atom}"
        );
        // The HTML is escaped once more as XML text.
        assert!(
            atom.contains("&lt;p&gt;Fix &amp;amp; watch&lt;/p&gt;"),
            "{atom}"
        );
        assert!(
            atom.contains("Affects API &amp;amp; &amp;lt;Web&amp;gt;"),
            "{atom}"
        );
        assert!(
            atom.contains("<updated>2025-12-05T14:23:00Z</updated>"),
            "{atom}"
        );
        let rss = rss(&feed);
        assert!(
            rss.contains("<pubDate>Fri, 5 Dec 2025 14:23:00 +0000</pubDate>"),
            "{rss}"
        );
        assert!(!rss.contains("<script>"), "{rss}");
    }
}
