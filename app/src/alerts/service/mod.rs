//! The alerts domain's services: sources (admin) and ingestion (senders).

pub mod ingest;
pub mod sources;
mod store;

pub use ingest::{Outcome, ingest};
pub use sources::{
    RECENT_ALERTS, SourceForm, admin_view, authenticate, create_source, rotate_token, set_disabled,
};
