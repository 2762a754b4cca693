//! The page's incidents and maintenance as Atom and RSS 2.0 feeds, for feed readers and
//! chat tools that follow a feed: one entry per incident (updated with each public
//! update, newest update first) and per maintenance window (updated as it is changed,
//! starts and ends), the whole page's or one component's. Built from the public side
//! only, like the page.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use super::{Maintenance, MaintenancePhase, PublicIncident};

/// Which feed: the page's or one component's.
pub struct Feed {
    /// The feed's title: the page's name, or `Page: Component`.
    pub title: String,
    /// The public page the feed follows (`…/status`), absolute.
    pub page_url: String,
    /// Where the feed itself is, absolute, without the `.atom` / `.rss` ending.
    pub feed_url: String,
    /// Newest first.
    pub entries: Vec<Entry>,
    /// When nothing was ever published: the feed's own date.
    pub fallback: DateTime<Utc>,
}

/// One incident or maintenance window as a feed entry.
pub struct Entry {
    /// Under the page's address: `incidents/3`, `maintenance/4`.
    pub path: String,
    /// Its state and title, like `Monitoring: Slow checkout`.
    pub title: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// HTML: escaped words and sanitised bodies.
    pub content: String,
}

impl Entry {
    pub fn incident(i: &PublicIncident) -> Self {
        Self {
            path: format!("incidents/{}", i.id),
            title: format!("{}: {}", i.state.label(), i.title),
            published: i.published_at,
            updated: i.updated_at,
            content: content(i),
        }
    }

    /// A window as of `now`: its entry changes when it starts and when it ends, so a
    /// reader shows those moments too.
    pub fn maintenance(m: &Maintenance, now: DateTime<Utc>) -> Self {
        let (what, moved) = match m.phase {
            MaintenancePhase::Scheduled => ("Scheduled maintenance", m.updated_at),
            MaintenancePhase::InProgress => ("Maintenance in progress", m.starts_at),
            MaintenancePhase::Completed => ("Maintenance completed", m.end()),
            MaintenancePhase::Cancelled => (
                "Maintenance called off",
                m.cancelled_at.unwrap_or(m.updated_at),
            ),
        };
        let names: Vec<&str> = m.components.iter().map(|c| c.1.as_str()).collect();
        Self {
            path: format!("maintenance/{}", m.id),
            title: format!("{what}: {}", m.title),
            published: m.created_at,
            updated: m.updated_at.max(moved).min(now.max(m.updated_at)),
            content: format!(
                "<p>{} · {}{}</p>{}",
                escape(what),
                escape(&super::public_maintenance::window(m.starts_at, m.ends_at)),
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" · Affects {}", escape(&names.join(", ")))
                },
                m.body_html
            ),
        }
    }
}

/// The entries of `incidents` and `maintenance`, newest first.
pub fn entries<'a>(
    incidents: impl Iterator<Item = &'a PublicIncident>,
    maintenance: impl Iterator<Item = &'a Maintenance>,
    now: DateTime<Utc>,
) -> Vec<Entry> {
    let mut entries: Vec<Entry> = incidents
        .map(Entry::incident)
        .chain(maintenance.map(|m| Entry::maintenance(m, now)))
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.published));
    entries
}

pub use crate::text::escape_markup as escape;

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
    feed.entries
        .iter()
        .map(|e| e.updated)
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
    for e in &feed.entries {
        let link = format!("{}/{}", feed.page_url, e.path);
        let _ = write!(
            xml,
            "<entry><id>{link}</id><title>{title}</title><updated>{updated}</updated>\
             <published>{published}</published>\
             <link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\
             <content type=\"html\">{content}</content></entry>",
            link = escape(&link),
            title = escape(&e.title),
            updated = atom_time(e.updated),
            published = atom_time(e.published),
            content = escape(&e.content),
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
    for e in &feed.entries {
        let link = escape(&format!("{}/{}", feed.page_url, e.path));
        let _ = write!(
            xml,
            "<item><title>{title}</title><link>{link}</link>\
             <guid isPermaLink=\"true\">{link}</guid><pubDate>{published}</pubDate>\
             <description>{content}</description></item>",
            title = escape(&e.title),
            published = e.published.to_rfc2822(),
            content = escape(&e.content),
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
            entries: vec![Entry::incident(&incident)],
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
