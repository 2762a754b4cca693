//! One index in the incident list's own order: open incidents first, then newest
//! declared, then highest number. The list read each open status through its own index
//! and merged five ordered reads per page; with the open mark as the index's first
//! column it reads two ranges of one index. The expression must be written exactly as
//! the list's query writes it (`incidents::status::OPEN_SQL`) for SQLite to use it; a
//! test checks the plan on both backends.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "CREATE INDEX idx_incidents_open_declared ON incidents \
     ((\"status\" IN ('triage', 'investigating', 'identified', 'monitoring')), declared_at, id)";
const DOWN: &str = "DROP INDEX idx_incidents_open_declared";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
