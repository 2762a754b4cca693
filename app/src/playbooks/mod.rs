//! Playbooks: a Markdown document with an ordered checklist of steps, versioned, attached
//! to services. An incident affecting those services gets the playbook as a checklist
//! (the version current at that moment, kept with the incident); ticking a step, or
//! undoing a tick, is recorded on the timeline.

pub mod diff;
pub mod effect;
pub mod form;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::ServiceRef;
use crate::incidents::IncidentRole;

pub use form::PlaybookForm;

/// A playbook's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(value_type = i64))]
pub struct PlaybookId(pub i64);

impl fmt::Display for PlaybookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One step of a playbook's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlaybookStep {
    /// What to do, one line.
    pub text: String,
    /// Where to do it or read more (a web link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The incident role expected to do it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<IncidentRole>,
}

/// A playbook as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlaybookSummary {
    pub id: PlaybookId,
    pub title: String,
    pub services: Vec<ServiceRef>,
    pub steps: usize,
    pub version: i32,
    pub archived: bool,
    pub updated_at: DateTime<Utc>,
    /// How many incidents have had it as a checklist.
    pub times_used: i64,
}

/// One saved version of a playbook, for its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlaybookRevisionInfo {
    pub version: i32,
    pub title: String,
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A playbook at one version (the current one unless another was asked for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlaybookDetail {
    pub id: PlaybookId,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// The body rendered and sanitised.
    pub body_html: String,
    pub steps: Vec<PlaybookStep>,
    pub services: Vec<ServiceRef>,
    /// The version shown.
    pub version: i32,
    /// The newest version; an edit must name it.
    pub current_version: i32,
    pub archived: bool,
    pub updated_at: DateTime<Utc>,
    /// Every version, newest first.
    pub revisions: Vec<PlaybookRevisionInfo>,
    pub times_used: i64,
    /// What the version shown changed from the one before (none for version 1).
    pub changes: Option<diff::VersionChanges>,
}

/// Who ticked a step, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StepTick {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A step on an incident's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChecklistStep {
    /// Its position, from 0.
    pub index: usize,
    #[serde(flatten)]
    pub step: PlaybookStep,
    /// Who holds the step's role on this incident, if anyone.
    pub role_holder: Option<String>,
    pub done: Option<StepTick>,
}

/// A playbook attached to an incident, at the version attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Checklist {
    pub playbook_id: PlaybookId,
    pub title: String,
    /// The version the incident uses.
    pub version: i32,
    /// The playbook's newest version (a later edit does not change the checklist).
    pub current_version: i32,
    pub attached_at: DateTime<Utc>,
    pub steps: Vec<ChecklistStep>,
}

impl Checklist {
    pub fn done(&self) -> usize {
        self.steps.iter().filter(|s| s.done.is_some()).count()
    }
}

/// An incident's checklists and the playbooks that could still be attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentPlaybooks {
    pub checklists: Vec<Checklist>,
    /// Playbooks not yet attached (not archived), by title.
    pub available: Vec<(PlaybookId, String)>,
}
