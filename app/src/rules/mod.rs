//! Rules: toil a team would otherwise repeat by hand on every incident, written once by an
//! admin. When a trigger fires on an incident (declared, severity changed, ...) and every
//! condition holds (severity at or above, service in, type is, custom field equals), the
//! rule's actions run (attach a playbook, assign a role, add an action item, set a field,
//! tell a channel, require a postmortem, draft a status page update, set the severity).
//! Deterministic, no code: enabled rules of a trigger run in the order they were made, in
//! the change's own transaction, each run one timeline event. A rule's action can fire
//! another trigger (a severity it sets), up to [`engine::MAX_DEPTH`] deep.
//!
//! The domain sits above the ones it acts through; only `crate::workflow` calls it.

pub mod engine;
pub mod form;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

use crate::action_items::Priority;
use crate::incidents::{IncidentRef, IncidentRole};
use crate::named::named_enum;
use crate::status::PublicState;

named_enum! {
    /// What sets a rule off.
    pub enum Trigger {
        Declared => "declared", "An incident is declared";
        SeverityChanged => "severity_changed", "Its severity changes";
        StatusChanged => "status_changed", "Its status changes";
        /// Declared with customer impact, or marked as having it later.
        ImpactSet => "impact_set", "Customer impact is set";
        /// An alert declared it (after the rules of `declared`).
        OpenedByAlert => "alert", "An alert opens it";
        ChangeLinked => "change_linked", "A change is linked to it";
        /// Its type changes after declaring (a declaration's type is a condition).
        TypeSet => "type_set", "Its type is set";
    }
}

/// A custom field and one value it holds (as stored: an option, a number, a user id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldMatch {
    pub field_id: i64,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
    pub value: String,
}

/// What must hold for a rule to act; all of them (none set: always).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Conditions {
    /// The incident's severity is this one or more severe.
    pub min_severity_id: Option<i64>,
    /// The incident affects at least one of these services (empty: any).
    pub service_ids: Vec<i64>,
    /// The incident is of this type.
    pub type_id: Option<i64>,
    /// The incident's custom field holds this value.
    pub field: Option<FieldMatch>,
}

/// A role given to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleAssignment {
    pub role: IncidentRole,
    pub user_id: i64,
}

/// An action item every matching incident gets, owned by its commander.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ItemTemplate {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub title: String,
    pub priority: Priority,
    /// Due this many days after the rule runs (none: no due date).
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 365))]
    pub due_in_days: Option<u32>,
}

/// A status page update written ahead, for a person to review and publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusDraft {
    pub state: PublicState,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 5000))]
    pub body: String,
}

/// What a rule does; at least one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Actions {
    pub playbook_id: Option<i64>,
    pub assign_role: Option<RoleAssignment>,
    pub action_item: Option<ItemTemplate>,
    pub set_field: Option<FieldMatch>,
    /// A notification channel told that the rule matched.
    pub channel_id: Option<i64>,
    /// Closing the incident needs a published postmortem, whatever its severity.
    pub require_postmortem: bool,
    pub status_draft: Option<StatusDraft>,
    /// Sets the incident's severity (which fires `severity_changed`).
    pub set_severity_id: Option<i64>,
}

impl Actions {
    pub fn is_empty(&self) -> bool {
        *self == Actions::default()
    }
}

/// A rule as an admin writes it (the form and the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleInput {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 80))]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub trigger: Trigger,
    #[serde(default)]
    pub conditions: Conditions,
    pub actions: Actions,
    /// A disabled rule (a draft) runs on nothing; its dry run still works.
    #[serde(default)]
    pub enabled: bool,
}

/// A stored rule, with its conditions and actions in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub trigger: Trigger,
    pub conditions: Conditions,
    pub actions: Actions,
    pub enabled: bool,
    /// A save names it: a stale one is refused.
    pub version: i32,
    /// The conditions as a reader says them ("severity SEV2 or worse").
    pub conditions_text: Vec<String>,
    /// The actions as a reader says them ("attach the playbook Database failover").
    pub actions_text: Vec<String>,
}

/// What a rule would do on an incident now, with nothing written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DryRun {
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "INC-42"))]
    pub reference: IncidentRef,
    /// Whether every condition holds.
    pub matches: bool,
    /// What it would do, or why it would not run.
    pub lines: Vec<String>,
}

/// An id and a name, for the form's choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: i64,
    pub name: String,
}

/// What the rule form chooses from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleChoices {
    pub severities: Vec<Choice>,
    pub services: Vec<Choice>,
    pub types: Vec<Choice>,
    pub fields: Vec<Choice>,
    pub playbooks: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub people: Vec<Choice>,
}
