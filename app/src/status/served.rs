//! The public side rendered once per change and served from memory. It is the page
//! customers refresh during an outage and it holds nothing about the visitor, so every
//! visitor gets the same bytes: rendered again after a change committed here (settings,
//! components, publications) and at least every [`FRESH`] seconds, which is as late as
//! a change made on another replica, or an internal one the page reads (a severity, a
//! mitigation time), shows.

use std::sync::Arc;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::public::{self, Header};
use super::{PublicIncident, PublicStatus, service, statuspage};
use crate::db::Shared;
use crate::error::AppError;

/// Seconds a rendering is served when nothing was changed here.
pub const FRESH: i64 = 5;

/// The kept rendering; `None` inside while the page is switched off.
pub type Kept = Shared<Option<Served>>;

pub fn kept() -> Kept {
    Shared::new(FRESH)
}

/// One rendering of the public side.
pub struct Served {
    /// `/status`.
    pub page: Bytes,
    /// `/status/api/v2/summary.json`.
    pub summary: Bytes,
    /// `/status/api/v2/incidents.json`.
    pub incidents: Bytes,
    /// `/status/style.css`.
    pub style: Bytes,
    pub header: Header,
    pub status: PublicStatus,
    /// The latest published incidents, newest first: their pages are rendered from
    /// here, older ones are read.
    pub history: Vec<PublicIncident>,
}

/// The public side as of `now`, from memory when it is fresh.
pub async fn served(
    db: &impl ConnectionTrait,
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

fn json(value: &impl serde::Serialize) -> Bytes {
    // Plain structs of strings, numbers and times: serialising cannot fail.
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

fn render(view: service::PublicView, public_url: &str, now: DateTime<Utc>) -> Served {
    let service::PublicView {
        settings,
        status,
        history,
    } = view;
    Served {
        page: Bytes::from(public::status_page(&status)),
        summary: json(&statuspage::summary(&status, public_url)),
        incidents: json(&statuspage::incidents(
            &settings.name,
            &history,
            public_url,
            now,
        )),
        style: Bytes::from(public::style_sheet(&settings.brand_colour)),
        header: Header {
            name: settings.name,
            logo_url: settings.logo_url,
            links: settings.links,
        },
        status,
        history,
    }
}
