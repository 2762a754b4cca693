//! The accounts pages.

mod account;
mod admin_users;
mod login;
mod logout;
mod setup;

pub use account::AccountPage;
pub use admin_users::AdminUsersPage;
pub use login::LoginPage;
pub use logout::LogoutPage;
pub use setup::SetupPage;

/// After a successful sign-in or sign-out the hydrated client reloads fully, so every
/// part of the page (header, navigation) reflects the new session.
pub fn reload_to(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = leptos::prelude::window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
