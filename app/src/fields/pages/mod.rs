//! The admin pages of incident types and custom fields, and the fields card of an
//! incident.

mod admin_fields;
mod admin_types;
mod card;
mod inputs;

pub use admin_fields::FieldsAdminPage;
pub use admin_types::TypesAdminPage;
pub use card::IncidentFieldsCard;
pub use inputs::FieldInputs;
