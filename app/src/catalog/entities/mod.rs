//! The tables of the service catalog.

pub mod runbook;
pub mod service;
