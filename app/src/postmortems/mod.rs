//! Blameless postmortems: written from a template, pre-filled from the incident,
//! versioned, reviewed and published.

mod dto;
pub mod language;
pub mod pages;
pub mod server_fns;
pub mod status;
pub mod template;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

pub use dto::{
    CommentView, Duty, ListAt, PostmortemCursor, PostmortemDuty, PostmortemList, PostmortemSummary,
    PostmortemView, ReviewerView, RevisionHistory, RevisionSummary, SectionDiff, SectionView,
};
pub use status::{PostmortemStatus, ReviewStep};
