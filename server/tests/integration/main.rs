//! Server integration tests: the real router on a fresh database, every test once on
//! SQLite and once on PostgreSQL (see `support::backend_tests!`).

#[macro_use]
mod support;

mod accounts;
mod action_items;
mod alerts;
mod api;
mod api_postmortems;
mod change_sources;
mod changes;
mod chat_channels;
mod chat_commands;
mod choices;
mod cli;
mod concurrency;
mod crash;
mod fields;
mod hardening;
mod health;
mod home;
mod incidents;
mod metrics;
mod notifications;
mod operations;
mod pages;
mod paging;
mod playbooks;
mod postmortems;
mod report_blocks;
mod routing;
mod rules;
mod schema;
mod server_fns;
mod severities;
mod sso;
mod status_page;
