//! Indexes for the on-call home page, which reads by person and by recency: my roles in
//! incidents, the postmortems I review or wrote, and incidents resolved lately. Without
//! them each read scans its whole table at 100,000 incidents.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: [&str; 4] = [
    "CREATE INDEX idx_incident_roles_user ON incident_roles (user_id, role)",
    "CREATE INDEX idx_postmortem_reviewers_user ON postmortem_reviewers (user_id)",
    "CREATE INDEX idx_postmortems_created_by ON postmortems (created_by)",
    // Partial: an open incident has no resolution time, and most of a young database's
    // incidents are open; `resolve_secs >= ?` implies the condition on both backends.
    "CREATE INDEX idx_incidents_resolve_secs ON incidents (resolve_secs) \
     WHERE resolve_secs IS NOT NULL",
];
const DOWN: [&str; 4] = [
    "DROP INDEX idx_incident_roles_user",
    "DROP INDEX idx_postmortem_reviewers_user",
    "DROP INDEX idx_postmortems_created_by",
    "DROP INDEX idx_incidents_resolve_secs",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in UP {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in DOWN {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
