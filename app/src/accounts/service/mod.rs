//! The accounts services: plain async functions over a database connection, called by
//! server functions, the CLI and the tests alike.

pub mod auth;
pub mod password;
pub mod sessions;
pub mod setup;
pub mod throttle;
pub mod users;
