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
