//! Database rows of rules; they never leave the server.

pub mod rule;
