//! The tables of notifications: channels, the outbox of deliveries, and the days a
//! digest was queued.

pub mod channel;
pub mod delivery;
pub mod digest;
pub mod type_channel;
