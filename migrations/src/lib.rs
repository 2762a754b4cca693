//! Vigil's schema history.
//!
//! Each migration is frozen once it has landed: it never imports entities (so later
//! changes to the Rust model cannot rewrite history), makes one change per `ALTER`
//! (SQLite's limits), and has an up/down test. Enums are stored as strings so both
//! SQLite and PostgreSQL share one code path.

pub use sea_orm_migration::prelude::*;

/// The `MigrationTrait` of a migration written as SQL per backend: its module's
/// `up_statements(backend)` and `down_statements(backend)`, run in order.
/// `sql_migration!(in_transaction)` runs each direction in one transaction on SQLite too:
/// triggers dropped and created again on one connection (another connection, its schema
/// cache older than the drop, would find the old trigger still there), never left half
/// replaced.
macro_rules! sql_migration {
    (in_transaction) => {
        sql_migration!(@impl fn use_transaction(&self) -> Option<bool> { Some(true) });
    };
    () => {
        sql_migration!(@impl);
    };
    (@impl $($use_transaction:tt)*) => {
        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            $($use_transaction)*

            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::run_sql(manager, up_statements(manager.get_database_backend())).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::run_sql(manager, down_statements(manager.get_database_backend())).await
            }
        }
    };
}

/// Runs SQL statements in order on the migration's connection.
async fn run_sql(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

mod m20261122_000001_create_settings;
mod m20261122_000002_create_users;
mod m20261122_000003_create_sessions;
mod m20261122_000004_create_audit_log;
mod m20261122_000005_create_services;
mod m20261122_000006_create_severities;
mod m20261122_000007_create_incidents;
mod m20261122_000008_create_timeline_events;
mod m20261122_000009_add_user_time_zone;
mod m20261122_000010_add_severity_version;
mod m20261122_000011_create_postmortems;
mod m20261122_000012_create_action_items;
mod m20261122_000013_extend_services;
mod m20261122_000014_create_alerts;
mod m20261122_000015_create_api_tokens;
mod m20261122_000016_create_notifications;
mod m20261201_000017_create_throttle_counters;
mod m20261202_000018_index_incident_list;
mod m20261202_000019_incident_epoch_seconds;
mod m20261202_000020_incident_declare_seconds;
mod m20261202_000021_index_open_incidents;
mod m20261204_000022_alerts_room_for_updates;
mod m20261204_000023_note_versions;
mod m20261204_000024_index_home_reads;
mod m20261204_000025_create_changes;
mod m20261205_000026_create_change_sources;
mod m20261206_000027_index_deploys;
mod m20261207_000028_create_status_page;
mod m20261208_000029_create_status_maintenance;
mod m20261209_000030_create_status_subscribers;
mod m20261210_000031_create_playbooks;
mod m20261211_000032_create_incident_types;
mod m20261212_000033_create_rules;
mod m20261213_000034_create_notification_digests;
mod m20261214_000035_create_user_identities;
mod m20261215_000036_create_report_blocks;
mod m20261216_000037_split_report_block_packs;
mod m20261217_000038_epoch_seconds_when_missing;
mod m20261218_000039_edited_notes_versioned;

/// Runs every migration in order; used at start-up and by `vigil migrate`.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let every: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20261122_000001_create_settings::Migration),
            Box::new(m20261122_000002_create_users::Migration),
            Box::new(m20261122_000003_create_sessions::Migration),
            Box::new(m20261122_000004_create_audit_log::Migration),
            Box::new(m20261122_000005_create_services::Migration),
            Box::new(m20261122_000006_create_severities::Migration),
            Box::new(m20261122_000007_create_incidents::Migration),
            Box::new(m20261122_000008_create_timeline_events::Migration),
            Box::new(m20261122_000009_add_user_time_zone::Migration),
            Box::new(m20261122_000010_add_severity_version::Migration),
            Box::new(m20261122_000011_create_postmortems::Migration),
            Box::new(m20261122_000012_create_action_items::Migration),
            Box::new(m20261122_000013_extend_services::Migration),
            Box::new(m20261122_000014_create_alerts::Migration),
            Box::new(m20261122_000015_create_api_tokens::Migration),
            Box::new(m20261122_000016_create_notifications::Migration),
            Box::new(m20261201_000017_create_throttle_counters::Migration),
            Box::new(m20261202_000018_index_incident_list::Migration),
            Box::new(m20261202_000019_incident_epoch_seconds::Migration),
            Box::new(m20261202_000020_incident_declare_seconds::Migration),
            Box::new(m20261202_000021_index_open_incidents::Migration),
            Box::new(m20261204_000022_alerts_room_for_updates::Migration),
            Box::new(m20261204_000023_note_versions::Migration),
            Box::new(m20261204_000024_index_home_reads::Migration),
            Box::new(m20261204_000025_create_changes::Migration),
            Box::new(m20261205_000026_create_change_sources::Migration),
            Box::new(m20261206_000027_index_deploys::Migration),
            Box::new(m20261207_000028_create_status_page::Migration),
            Box::new(m20261208_000029_create_status_maintenance::Migration),
            Box::new(m20261209_000030_create_status_subscribers::Migration),
            Box::new(m20261210_000031_create_playbooks::Migration),
            Box::new(m20261211_000032_create_incident_types::Migration),
            Box::new(m20261212_000033_create_rules::Migration),
            Box::new(m20261213_000034_create_notification_digests::Migration),
            Box::new(m20261214_000035_create_user_identities::Migration),
            Box::new(m20261215_000036_create_report_blocks::Migration),
            Box::new(m20261216_000037_split_report_block_packs::Migration),
            Box::new(m20261217_000038_epoch_seconds_when_missing::Migration),
            Box::new(m20261218_000039_edited_notes_versioned::Migration),
        ];
        every
            .into_iter()
            .map(|m| Box::new(Whole(m)) as Box<dyn MigrationTrait>)
            .collect()
    }
}

/// A migration run in one transaction on every backend, its record included. SQLite's
/// DDL is transactional, but sea-orm runs SQLite migrations without one by default: a
/// process killed between two statements (an upgrade stopped by a service manager's
/// timeout, the machine running out of memory) left a migration half applied and not
/// recorded, and every later start failed on "already exists".
struct Whole(Box<dyn MigrationTrait>);

impl MigrationName for Whole {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Whole {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.down(manager).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
