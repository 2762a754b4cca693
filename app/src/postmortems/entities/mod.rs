//! Database rows; they never cross the wire (see the DTOs in `postmortems`).

pub mod comment;
pub mod postmortem;
pub mod reviewer;
pub mod revision;
pub mod section;
