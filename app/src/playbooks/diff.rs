//! What a playbook version changed from the one before: its steps and its guide, line
//! by line (`crate::diff`).

use serde::{Deserialize, Serialize};

use crate::diff::DiffLine;

/// A version compared with the one before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionChanges {
    /// The version compared against (the one before).
    pub from: i32,
    /// The title before, when it changed.
    pub old_title: Option<String>,
    /// Every step of both versions, in order, each marked (a step as its form line).
    pub steps: Vec<DiffLine>,
    /// The guide's lines that were added or removed (unchanged ones left out).
    pub body: Vec<DiffLine>,
}
