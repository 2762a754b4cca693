//! The tables of alerts: sources and the alerts they sent.

pub mod alert;
pub mod source;
