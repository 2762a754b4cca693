//! The public side rendered once per change and served from memory. It is the page
//! customers refresh during an outage and it holds nothing about the visitor, so every
//! visitor gets the same bytes: rendered again after a change committed here (settings,
//! components, publications) and at least every [`FRESH`] seconds, which is as late as
//! a change made on another replica, or an internal one the page reads (a severity, a
//! mitigation time), shows.

use std::sync::Arc;

use axum::body::Bytes;
use chrono::{DateTime, Utc};

use super::feeds::{self, Feed};
use super::public::{self, Header};
use super::{Maintenance, PublicIncident, PublicStatus, service, statuspage};
use crate::db::Shared;
use crate::error::AppError;

/// Seconds a rendering is served when nothing was changed here.
pub const FRESH: i64 = 5;

/// The kept rendering; `None` inside while the page is switched off.
pub type Kept = Shared<Option<Served>>;

pub fn kept() -> Kept {
    Shared::new(FRESH)
}

/// One answer as sent, compressed once in the encodings browsers and CDNs ask for, with
/// an entity tag so a cache can revalidate without taking the body again.
pub struct Encoded {
    pub raw: Bytes,
    pub gzip: Bytes,
    pub br: Bytes,
    /// A quoted strong tag: the first 16 hex digits of the body's SHA-256.
    pub etag: String,
}

impl Encoded {
    pub fn new(raw: Vec<u8>) -> Self {
        use sha2::{Digest, Sha256};
        use std::io::Write;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to memory cannot fail.
        let _ = gzip.write_all(&raw);
        let gzip = gzip.finish().unwrap_or_default();
        let mut br = Vec::new();
        {
            // Quality 9 of 11, a 4 MB window: a few milliseconds per rendering.
            let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 9, 22);
            let _ = writer.write_all(&raw);
        }
        let digest = hex::encode(Sha256::digest(&raw));
        Self {
            etag: format!("\"{}\"", &digest[..16]),
            raw: Bytes::from(raw),
            gzip: Bytes::from(gzip),
            br: Bytes::from(br),
        }
    }
}

/// One rendering of the public side.
pub struct Served {
    /// `/status`.
    pub page: Encoded,
    /// `/status/history`.
    pub history_page: Encoded,
    /// `/status/api/v2/summary.json`.
    pub summary: Encoded,
    /// `/status/api/v2/incidents.json`.
    pub incidents: Encoded,
    /// `/status/api/v2/scheduled-maintenances.json`.
    pub maintenances: Encoded,
    /// `/status/style.css`.
    pub style: Encoded,
    /// `/status/feed.atom` and `/status/feed.rss`.
    pub atom: Encoded,
    pub rss: Encoded,
    pub header: Header,
    pub status: PublicStatus,
    /// The latest published incidents, newest first: their pages are rendered from
    /// here, older ones are read.
    pub history: Vec<PublicIncident>,
    /// The windows the feeds list (see `service::PublicView`).
    pub maintenance: Vec<Maintenance>,
}

/// The public side as of `now`, from memory when it is fresh.
pub async fn served(
    db: &impl crate::db::Writer,
    kept: &Kept,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<Arc<Option<Served>>, AppError> {
    kept.get(now.timestamp(), service::changes, || async {
        Ok(service::public_view(db, now)
            .await?
            .map(|view| render(view, public_url, now)))
    })
    .await
}

impl Served {
    /// The feed of one component on the page; `None` for one not on it.
    pub fn component_feed(&self, component: i64, public_url: &str) -> Option<Feed> {
        let shown = self.status.components.iter().find(|c| c.id == component)?;
        Some(Feed {
            title: format!("{}: {}", self.status.name, shown.name),
            page_url: format!("{public_url}/status"),
            feed_url: format!("{public_url}/status/components/{component}/feed"),
            entries: feeds::entries(
                self.history.iter().filter(|i| i.affects(component)),
                self.maintenance.iter().filter(|m| m.touches(component)),
                self.status.generated_at,
            ),
            fallback: self.status.generated_at,
        })
    }
}

/// The whole page's feed.
fn page_feed(
    status: &PublicStatus,
    history: &[PublicIncident],
    maintenance: &[Maintenance],
    public_url: &str,
) -> Feed {
    Feed {
        title: status.name.clone(),
        page_url: format!("{public_url}/status"),
        feed_url: format!("{public_url}/status/feed"),
        entries: feeds::entries(history.iter(), maintenance.iter(), status.generated_at),
        fallback: status.generated_at,
    }
}

fn json(value: &impl serde::Serialize) -> Encoded {
    // Plain structs of strings, numbers and times: serialising cannot fail.
    Encoded::new(serde_json::to_vec(value).unwrap_or_default())
}

fn render(view: service::PublicView, public_url: &str, now: DateTime<Utc>) -> Served {
    let service::PublicView {
        settings,
        status,
        history,
        maintenance,
    } = view;
    let feed = page_feed(&status, &history, &maintenance, public_url);
    let header = Header {
        name: settings.name.clone(),
        logo_url: settings.logo_url.clone(),
        links: settings.links.clone(),
    };
    Served {
        page: Encoded::new(public::status_page(&status).into_bytes()),
        history_page: Encoded::new(public::history_page(&header, &history).into_bytes()),
        summary: json(&statuspage::summary(&status, public_url)),
        incidents: json(&statuspage::incidents(
            &settings.name,
            &history,
            public_url,
            now,
        )),
        maintenances: json(&statuspage::scheduled_maintenances(&status, public_url)),
        style: Encoded::new(public::style_sheet(&settings.brand_colour).into_bytes()),
        atom: Encoded::new(feeds::atom(&feed).into_bytes()),
        rss: Encoded::new(feeds::rss(&feed).into_bytes()),
        header,
        status,
        history,
        maintenance,
    }
}
