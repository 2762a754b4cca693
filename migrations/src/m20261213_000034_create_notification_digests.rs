//! The days whose overdue action items digest has been queued: one row a day, so that
//! of several replicas (or a restarted one) exactly one queues it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NotificationDigests {
    Table,
    /// The UTC day, `YYYY-MM-DD`.
    Day,
    /// How many overdue items it listed (0: nothing was sent).
    Items,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NotificationDigests::Table)
                    .col(string_len(NotificationDigests::Day, 10).primary_key())
                    .col(integer(NotificationDigests::Items))
                    .col(timestamp_with_time_zone(NotificationDigests::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NotificationDigests::Table).to_owned())
            .await
    }
}
