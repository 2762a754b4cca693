//! Small UI pieces shared by every domain's pages.

mod form;

pub use form::{Field, FormAlert, action_error};
