//! The frame around every page: header, navigation, the 404 page and the error template.

mod error_template;
mod header;
pub mod hydration;
mod not_found;
pub mod shortcuts;
pub mod theme;

pub use error_template::ErrorTemplate;
pub use header::Header;
pub use not_found::NotFoundPage;
