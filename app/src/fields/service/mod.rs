//! Custom fields' definitions, incidents' values, and the incident types' settings
//! (the type itself lives with incidents; the playbooks and channels it brings with
//! their domains). Callers check the role; these check the rules.

mod defs;
mod export;
mod types;
mod values;

pub use defs::{
    create_field, field_labels, get_field, list_fields, set_field_archived, update_field,
};
pub use export::{EXPORT_LIMIT, incidents_csv};
pub use types::{archive_type, save_type, type_choices, type_settings};
pub use values::{
    CheckedValues, check_values, field_filter, fields_of, filter_value, incident_fields,
    require_stage, set_for_rule, write_values,
};
