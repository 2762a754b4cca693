pub mod change;
pub mod change_service;
pub mod incident_change;
