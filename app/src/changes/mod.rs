//! Changes to live systems: deploys, config changes, feature-flag flips, infrastructure
//! changes, migrations. Most outages follow a change, so an incident shows the changes to
//! its services just before it, and the commander can mark one the suspected or
//! confirmed cause.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::ServiceRef;
use crate::incidents::IncidentRef;
use crate::named::named_enum;

pub mod pages;
pub mod server_fns;
pub mod sources_page;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod hooks;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod sources;

named_enum! {
    /// What kind of change was made.
    pub enum ChangeKind {
        Deploy => "deploy", "Deploy";
        Config => "config", "Config change";
        FeatureFlag => "feature_flag", "Feature flag";
        Infrastructure => "infrastructure", "Infrastructure";
        Migration => "migration", "Migration";
        Other => "other", "Other";
    }
}

named_enum! {
    /// How a change ended (or that it has not yet).
    pub enum ChangeOutcome {
        InProgress => "in_progress", "In progress";
        Succeeded => "succeeded", "Succeeded";
        Failed => "failed", "Failed";
        RolledBack => "rolled_back", "Rolled back";
    }
}

named_enum! {
    /// What reports changes over a webhook: each kind has its own address and check of
    /// who sent it.
    pub enum ChangeSourceKind {
        GitHub => "github", "GitHub";
        GitLab => "gitlab", "GitLab";
        ArgoCd => "argocd", "Argo CD";
        Generic => "generic", "Any script (JSON)";
    }
}

impl ChangeSourceKind {
    /// The webhook address path this kind posts to.
    pub fn hook_path(self) -> &'static str {
        match self {
            Self::GitHub => "/hooks/changes/github",
            Self::GitLab => "/hooks/changes/gitlab",
            Self::ArgoCd => "/hooks/changes/argocd",
            Self::Generic => "/hooks/changes",
        }
    }
}

/// A change source as the admin page shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSourceView {
    pub id: i64,
    pub name: String,
    pub kind: ChangeSourceKind,
    pub token_hint: String,
    pub service: ServiceRef,
    /// Repository or application, and the service slug its changes go to.
    pub mapping: Vec<(String, String)>,
    /// Only these environments are recorded; empty: all.
    pub environments: Vec<String>,
    /// GitHub workflow runs recorded (by name, case-insensitive, in part).
    pub workflows: Vec<String>,
    pub disabled: bool,
    pub last_received_at: Option<DateTime<Utc>>,
    pub change_count: i64,
}

/// The new change source form (inputs named `form[name]` and so on).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChangeSourceForm {
    pub name: String,
    pub kind: String,
    /// The default service as the search field names it.
    pub service: String,
    /// Lines of `repository-or-application = service`.
    pub mapping: String,
    /// Comma-separated environment names; empty records every environment.
    pub environments: String,
    /// Comma-separated parts of GitHub workflow names that deploy.
    pub workflows: String,
}

/// A change source's secret just issued, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSecret {
    pub source_name: String,
    pub kind: ChangeSourceKind,
    pub secret: String,
}

named_enum! {
    /// How sure the responders are that a change caused an incident.
    pub enum Cause {
        Suspected => "suspected", "Suspected cause";
        Confirmed => "confirmed", "Confirmed cause";
    }
}

/// An incident a change is linked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CausedIncident {
    pub incident: IncidentRef,
    pub cause: Cause,
}

/// A change as pages and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangeView {
    pub id: i64,
    pub kind: ChangeKind,
    pub title: String,
    /// A version, tag or commit.
    pub version: Option<String>,
    /// Who made it, as the sender names them.
    pub author: Option<String>,
    /// Where to read more (a pipeline run, a pull request).
    pub link: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When the change's code was committed, for lead time.
    pub committed_at: Option<DateTime<Utc>>,
    pub outcome: ChangeOutcome,
    /// Who sent it (`api` unless the sender named itself).
    pub source: String,
    /// The sender's own id for it; with `source`, a re-sent event updates this change.
    pub external_id: Option<String>,
    /// The change this one rolls back.
    pub reverts: Option<i64>,
    pub services: Vec<ServiceRef>,
    /// Incidents it is linked to as a cause.
    pub incidents: Vec<CausedIncident>,
}

/// The changes an incident page lists: to its services, in the window before its impact
/// started (or it was declared), and any linked to it from elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangesBefore {
    /// How far back from `until` the window reaches, in hours.
    pub window_hours: u32,
    /// The impact start, or the declaration when none is known.
    pub until: DateTime<Utc>,
    /// Newest first; linked changes carry their cause in `incidents`.
    pub changes: Vec<ChangeView>,
}

impl ChangeView {
    /// How this change is linked to `incident`, if it is.
    pub fn cause_of(&self, incident: IncidentRef) -> Option<Cause> {
        self.incidents
            .iter()
            .find(|c| c.incident == incident)
            .map(|c| c.cause)
    }
}
