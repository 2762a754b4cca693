//! Database rows; they never cross the wire.

pub mod action_item;
