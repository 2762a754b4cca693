//! Action items: the follow-up work of incidents, with owners and due dates, visible
//! until done.

mod dto;
pub mod model;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod service;

pub use dto::{ActionItemFilter, ActionItemPage, ActionItemView, ItemCursor, ItemForm, ItemQuery};
pub use model::{ItemKind, ItemStatus, Priority};
