//! Database rows of the incidents domain; they never leave the server.

pub mod incident;
pub mod incident_role;
pub mod incident_service;
pub mod incident_type;
pub mod severity;
pub mod timeline_event;
pub mod timeline_event_revision;
