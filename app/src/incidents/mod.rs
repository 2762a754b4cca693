//! Incidents: declaration, lifecycle, roles and the timeline.

mod dto;
pub mod durations;
pub mod pages;
pub mod server_fns;
pub mod status;
pub mod timestamps;
pub mod types;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

pub use dto::{
    ActiveIncident, DeclareForm, DetailsForm, EventKind, IncidentFilter, IncidentPage, IncidentRef,
    IncidentRole, IncidentSummary, IncidentView, ListCursor, ListQuery, Marker, PageStart,
    RoleAssignment, SeverityView, TimelineEventView,
};
pub use status::Status;
pub use timestamps::Timestamps;
