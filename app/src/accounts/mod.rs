//! Accounts: who signs in, with which role, and what they may do.

mod dto;
pub mod pages;
mod role;
pub mod server_fns;
pub mod sso;
pub mod validate;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

pub use dto::{CurrentUser, PersonRef, UserId, UserSummary};
pub use role::Role;

/// The signed-in user, loaded once per page load: the app provides it, every page and
/// the header read it.
pub type CurrentUserResource =
    leptos::prelude::Resource<Result<Option<CurrentUser>, crate::error::AppError>>;

pub fn use_current_user() -> CurrentUserResource {
    leptos::prelude::expect_context::<CurrentUserResource>()
}
