//! Incident types ("Customer-facing outage", "Security"): what a declaration of that
//! kind brings with it. A default type always exists; a declaration that names none gets it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::IncidentRole;

/// A type as its admin page and the declare form show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentTypeView {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// The severity a declaration of this type gets when it names none.
    pub default_severity_id: Option<i64>,
    /// Roles that must be held before an incident of this type is resolved.
    pub required_roles: Vec<IncidentRole>,
    /// Closing needs a published postmortem, whatever the severity.
    pub postmortem_required: bool,
    pub is_default: bool,
    pub archived: bool,
    /// The version an update must name.
    pub version: i32,
}

/// What an admin sets on a type (the form and the API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct TypeInput {
    pub name: String,
    pub description: String,
    pub default_severity_id: Option<i64>,
    pub required_roles: Vec<IncidentRole>,
    pub postmortem_required: bool,
    /// Makes this the default type (the former default stops being it).
    pub is_default: bool,
}

/// Custom field values as entered, by field id (one entry for most kinds, several for a
/// multi-select); `crate::fields` checks them against the fields' definitions.
pub type FieldValues = BTreeMap<i64, Vec<String>>;

/// Roles a type may require: the commander is always named at declaration.
pub const REQUIRABLE_ROLES: [IncidentRole; 3] = [
    IncidentRole::Communications,
    IncidentRole::Operations,
    IncidentRole::Scribe,
];

/// Reads stored role keys (`"communications,scribe"`), skipping words no role has.
pub fn roles_from_words(words: &str) -> Vec<IncidentRole> {
    words
        .split(',')
        .filter_map(|w| w.parse::<IncidentRole>().ok())
        .collect()
}

/// Writes role keys the way [`roles_from_words`] reads them, each once, in role order.
pub fn roles_to_words(roles: &[IncidentRole]) -> String {
    IncidentRole::ALL
        .into_iter()
        .filter(|r| roles.contains(r))
        .map(IncidentRole::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_words_round_trip_in_role_order_without_repeats() {
        let roles = [
            IncidentRole::Scribe,
            IncidentRole::Communications,
            IncidentRole::Scribe,
        ];
        let words = roles_to_words(&roles);
        assert_eq!(words, "communications,scribe");
        assert_eq!(
            roles_from_words(&words),
            vec![IncidentRole::Communications, IncidentRole::Scribe]
        );
        assert_eq!(roles_from_words(""), vec![]);
        assert_eq!(roles_from_words("pilot,scribe"), vec![IncidentRole::Scribe]);
    }
}
