pub mod component;
pub mod incident_component;
pub mod maintenance;
pub mod maintenance_component;
pub mod status_incident;
pub mod update;
