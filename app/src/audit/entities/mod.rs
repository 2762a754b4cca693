//! The table of the audit log.

pub mod audit_log;
