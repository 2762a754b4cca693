//! The tables of notifications: channels and the outbox of deliveries.

pub mod channel;
pub mod delivery;
pub mod type_channel;
