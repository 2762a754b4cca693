pub mod change;
pub mod change_service;
pub mod change_source;
pub mod incident_change;
