//! Incidents: declaration, lifecycle and the timestamps metrics are computed from.

pub mod status;
pub mod timestamps;

pub use status::Status;
pub use timestamps::Timestamps;
