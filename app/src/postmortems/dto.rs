//! What crosses the wire about postmortems.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::language::Finding;
use super::status::PostmortemStatus;
use crate::diff::DiffLine;
use crate::incidents::{IncidentRef, IncidentView};
use crate::named::named_enum;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SectionView {
    pub id: i64,
    pub title: String,
    pub guidance: String,
    pub body: String,
    /// The body rendered and sanitised.
    pub body_html: String,
    /// Blameless language advice for the body.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReviewerView {
    pub user_id: i64,
    pub name: String,
    pub approved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommentView {
    pub id: i64,
    pub author: String,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
}

/// A postmortem with the incident facts its header shows (always current: they are
/// read from the incident, not copied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostmortemView {
    pub incident: IncidentView,
    pub title: String,
    pub status: PostmortemStatus,
    pub version: i32,
    pub sections: Vec<SectionView>,
    /// Everyone who saved a revision, first author first.
    pub authors: Vec<String>,
    pub reviewers: Vec<ReviewerView>,
    pub comments: Vec<CommentView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A row of the postmortems list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostmortemSummary {
    pub incident: IncidentRef,
    pub incident_title: String,
    pub title: String,
    pub status: PostmortemStatus,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

named_enum! {
    /// What a postmortem waits for from the person reading the home page.
    pub enum Duty {
        /// I am a reviewer and have not approved this round.
        Review => "review", "Waiting for your review";
        /// A draft I wrote, or of an incident I commanded.
        Finish => "finish", "Draft to finish";
        /// Approved by every reviewer: mine to publish.
        Publish => "publish", "Approved, ready to publish";
        /// A resolved incident I commanded whose severity needs a postmortem, and none
        /// is started.
        Start => "start", "Needs a postmortem";
    }
}

/// A postmortem (or a missing one) that waits for the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostmortemDuty {
    pub incident: IncidentRef,
    /// The postmortem's title, or the incident's when none is started.
    pub title: String,
    pub duty: Duty,
    /// Since when it waits: the last change, or the incident's resolution.
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostmortemList {
    pub postmortems: Vec<PostmortemSummary>,
    /// The page number asked for; 0 when read by position (`after`).
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    /// The position after the last postmortem here (pass it as `after`); null at the end.
    pub next: Option<String>,
}

/// Which part of the postmortems list: a numbered page (the page's links) or the
/// postmortems after a position (the API's `after`, keyset paging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListAt {
    Page(u64),
    After(PostmortemCursor),
}

/// A position in the postmortems list's order (most recently changed first, then the
/// highest id), written `<nanoseconds>.<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostmortemCursor {
    pub updated_at: DateTime<Utc>,
    pub id: i64,
}

impl PostmortemCursor {
    pub fn encode(&self) -> String {
        let nanos = self.updated_at.timestamp_nanos_opt().unwrap_or_default();
        format!("{nanos}.{}", self.id)
    }

    pub fn parse(value: &str) -> Option<Self> {
        let (nanos, id) = value.split_once('.')?;
        Some(Self {
            updated_at: DateTime::from_timestamp_nanos(nanos.parse().ok()?),
            id: id.parse().ok()?,
        })
    }
}

/// One saved revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RevisionSummary {
    pub version: i32,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// The changes of one section between two revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SectionDiff {
    pub title: String,
    pub lines: Vec<DiffLine>,
    pub changed: bool,
}

/// A postmortem's revisions, and the changes between two of them when asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RevisionHistory {
    pub incident: IncidentRef,
    pub title: String,
    /// Newest first.
    pub revisions: Vec<RevisionSummary>,
    /// The versions compared (`[from, to]`), when two were chosen.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<i32>>, min_items = 2, max_items = 2))]
    pub compared: Option<(i32, i32)>,
    pub diff: Vec<SectionDiff>,
}

#[cfg(test)]
mod tests {
    use super::PostmortemCursor;

    #[test]
    fn a_postmortem_position_reads_back_as_written() {
        let at = PostmortemCursor {
            updated_at: chrono::DateTime::from_timestamp_nanos(1_764_000_000_123_456_789),
            id: 12,
        };
        assert_eq!(PostmortemCursor::parse(&at.encode()), Some(at));
        for bad in ["", "12", "x.1", "1.y", "1.2.3"] {
            assert_eq!(PostmortemCursor::parse(bad), None, "{bad}");
        }
    }
}
