//! Vigil's web application: the shell, the router, the pages and their server functions.
//!
//! Everything server-only (database, sessions, services) sits behind the `ssr` feature so
//! the wasm bundle built with `hydrate` never compiles it.

// Islands wrap a view in one more layer of types; release builds of deep forms (the
// action item form) need more than the default 128.
#![recursion_limit = "256"]

pub mod accounts;
pub mod action_items;
pub mod alerts;
pub mod api_tokens;
pub mod app;
pub mod audit;
pub mod catalog;
pub mod changes;
#[cfg(feature = "ssr")]
pub mod chat;
pub mod choices;
pub mod components;
pub mod diff;
pub mod error;
pub mod fields;
pub mod home;
pub mod incidents;
#[cfg(test)]
mod layers;
pub mod layout;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod metrics;
pub mod named;
pub mod notifications;
pub mod playbooks;
pub mod postmortems;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod seed;
pub mod status;
pub mod system;
pub mod text;
pub mod time;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod web;
#[cfg(feature = "ssr")]
pub mod workflow;

pub use app::{App, shell};

/// The browser entry point: hydrates the islands of the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
