//! The tables of playbooks and of incidents' checklists.

pub mod incident_playbook;
pub mod playbook;
pub mod playbook_service;
pub mod revision;
pub mod step_tick;
pub mod type_playbook;
