//! Room on each of PostgreSQL's pages of alerts for the row's next versions. An alert
//! sent again (Alertmanager resends a firing group every few minutes, and in a storm
//! every few seconds) is counted by an update, and PostgreSQL writes every update as a
//! new version of the row. With full pages that version goes to another page and each
//! of the table's four indexes gets an entry for it, which later lookups by fingerprint
//! walk past; with a third of each page free it stays on its page (a "heap-only" update:
//! no index entry, since no indexed column changes). SQLite updates rows in place.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE alerts SET (fillfactor = 65)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE alerts RESET (fillfactor)")
                .await?;
        }
        Ok(())
    }
}
