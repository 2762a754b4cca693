//! Indexes that serve the incident list's order (newest declared, then highest number)
//! under its equality filters, so a filtered page is read in order instead of sorting
//! every matching incident. They replace the single-column status and severity indexes,
//! which are their prefixes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    Status,
    SeverityId,
    DeclaredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, first) in [
            ("idx_incidents_status_declared", Incidents::Status),
            ("idx_incidents_severity_declared", Incidents::SeverityId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Incidents::Table)
                        .col(first)
                        .col(Incidents::DeclaredAt)
                        .col(Incidents::Id)
                        .to_owned(),
                )
                .await?;
        }
        for name in ["idx_incidents_status", "idx_incidents_severity_id"] {
            manager
                .drop_index(Index::drop().name(name).table(Incidents::Table).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in [
            ("idx_incidents_status", Incidents::Status),
            ("idx_incidents_severity_id", Incidents::SeverityId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Incidents::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        for name in [
            "idx_incidents_status_declared",
            "idx_incidents_severity_declared",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Incidents::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
