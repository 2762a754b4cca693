//! Database rows of custom fields; they never leave the server.

pub mod custom_field;
pub mod field_type;
pub mod field_value;
