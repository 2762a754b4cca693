//! The table of API tokens.

pub mod api_token;
