//! Custom fields: what admins want recorded about incidents beyond the built-in facts
//! (a region, a customer count, a security classification). Each has a kind, the incident
//! types it is asked for (none named: every type) and the step from which it must be
//! filled (declare, resolve or close). Also the admin page of incident types, which
//! names the fields, playbooks and channels a type brings.

pub mod pages;
pub mod server_fns;
pub mod value;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

use crate::incidents::Status;
use crate::incidents::types::IncidentTypeView;
use crate::named::named_enum;

named_enum! {
    /// What a field holds.
    pub enum FieldKind {
        Text => "text", "Text";
        Number => "number", "Number";
        Select => "select", "Single select";
        MultiSelect => "multi_select", "Multi select";
        Link => "link", "Link";
        Person => "person", "Person";
    }
}

named_enum! {
    /// From which step of an incident's life a field must be filled.
    pub enum Stage {
        Never => "never", "Optional";
        Declare => "declare", "When declaring";
        Resolve => "resolve", "Before resolving";
        Close => "close", "Before closing";
    }
}

impl Stage {
    /// Whether a field required from `self` must be filled at `step`: a field needed
    /// when declaring is needed at resolution and closing too.
    pub fn needed_at(self, step: Stage) -> bool {
        self != Stage::Never && step != Stage::Never && (self as u8) <= (step as u8)
    }

    /// The step a move to `status` is, for the fields it needs.
    pub fn of_status(status: Status) -> Stage {
        match status {
            Status::Resolved => Stage::Resolve,
            Status::Closed => Stage::Close,
            _ => Stage::Never,
        }
    }

    /// "before resolving" / "when declaring", for sentences.
    pub fn phrase(self) -> &'static str {
        match self {
            Stage::Never => "at any time",
            Stage::Declare => "when declaring",
            Stage::Resolve => "before resolving",
            Stage::Close => "before closing",
        }
    }
}

/// A type named by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TypeRef {
    pub id: i64,
    pub name: String,
}

/// A custom field's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldDef {
    pub id: i64,
    pub label: String,
    /// Help shown under the field.
    pub description: String,
    pub kind: FieldKind,
    /// The choices of a single or multi select, in order; empty for other kinds.
    pub options: Vec<String>,
    pub required_at: Stage,
    /// The types it is asked for; empty: every type.
    pub types: Vec<TypeRef>,
    pub archived: bool,
    /// The version an update must name.
    pub version: i32,
}

impl FieldDef {
    /// Whether incidents of type `type_id` are asked for it.
    pub fn applies_to(&self, type_id: i64) -> bool {
        self.types.is_empty() || self.types.iter().any(|t| t.id == type_id)
    }
}

/// What an admin sets on a field (the form and the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldInput {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 80))]
    pub label: String,
    #[serde(default)]
    pub description: String,
    pub kind: FieldKind,
    /// The choices of a select (1 to 50, each up to 100 characters).
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default = "never")]
    pub required_at: Stage,
    /// The types it is asked for; empty: every type.
    #[serde(default)]
    pub type_ids: Vec<i64>,
}

fn never() -> Stage {
    Stage::Never
}

/// A value as a page shows it: text, and where it leads (a link, a person's page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShownValue {
    /// What is stored: the text, the number, the option, the link, the person's user id.
    pub value: String,
    /// What a reader sees (a person's name for a user id).
    pub text: String,
}

/// One field on one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldEntry {
    pub field: FieldDef,
    /// Empty when not filled.
    pub values: Vec<ShownValue>,
}

/// An incident's type and its custom fields: those its type asks for, and any other
/// that holds a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentFields {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "INC-42"))]
    pub reference: crate::incidents::IncidentRef,
    pub incident_type: TypeRef,
    pub entries: Vec<FieldEntry>,
    /// The incident's version: a save names it.
    pub version: i32,
}

/// An incident type with what it brings, for the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TypeSettings {
    #[serde(flatten)]
    pub kind: IncidentTypeView,
    /// Playbooks attached to every incident of the type, by id and title.
    pub playbooks: Vec<TypeRef>,
    /// Notification channels told about every incident of the type.
    pub channels: Vec<TypeRef>,
    /// The custom fields asked for on it.
    pub fields: Vec<TypeRef>,
    /// Incidents of this type so far.
    pub incidents: u64,
}

/// The type form as posted: checkboxes arrive as lists, selects as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TypeForm {
    pub name: String,
    pub description: String,
    pub default_severity_id: Option<String>,
    pub roles: Option<Vec<String>>,
    pub postmortem_required: Option<String>,
    pub is_default: Option<String>,
    pub playbooks: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
}

/// The field form as posted: choices one a line, types as a list of ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldForm {
    pub label: String,
    pub description: String,
    pub kind: String,
    pub options: String,
    pub required_at: String,
    pub types: Option<Vec<String>>,
}

/// What the type and field admin pages choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeChoices {
    pub severities: Vec<TypeRef>,
    pub playbooks: Vec<TypeRef>,
    pub channels: Vec<TypeRef>,
    pub types: Vec<TypeRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_needed_early_is_needed_later_too() {
        assert!(Stage::Declare.needed_at(Stage::Declare));
        assert!(Stage::Declare.needed_at(Stage::Resolve));
        assert!(Stage::Declare.needed_at(Stage::Close));
        assert!(!Stage::Resolve.needed_at(Stage::Declare));
        assert!(Stage::Resolve.needed_at(Stage::Close));
        assert!(!Stage::Close.needed_at(Stage::Resolve));
        assert!(!Stage::Never.needed_at(Stage::Close));
        assert!(!Stage::Close.needed_at(Stage::Never));
        assert_eq!(Stage::of_status(Status::Resolved), Stage::Resolve);
        assert_eq!(Stage::of_status(Status::Monitoring), Stage::Never);
    }
}
