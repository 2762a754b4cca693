//! Accounts: who signs in, with which role, and what they may do.

mod dto;
pub mod pages;
mod role;
pub mod server_fns;
pub mod validate;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

pub use dto::{CurrentUser, PersonRef, UserId, UserSummary};
pub use role::Role;
