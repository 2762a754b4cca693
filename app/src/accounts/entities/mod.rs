//! Database rows of the accounts domain; they never leave the server.

pub mod identity;
pub mod session;
pub mod user;
