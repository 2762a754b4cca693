//! Attempt counters for throttling sign-ins and token guessing. One row per key
//! (`sign_in:account:<email>`, `sign_in:address:<ip>`, `token:<kind>:<ip>`), bumped by a
//! single upsert so that parallel attempts, on any replica, each see their own count.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ThrottleCounters {
    Table,
    Key,
    Count,
    WindowStarted,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ThrottleCounters::Table)
                    .col(string_len(ThrottleCounters::Key, 400).primary_key())
                    .col(big_integer(ThrottleCounters::Count))
                    // Unix seconds: compared arithmetically in the upsert on both backends.
                    .col(big_integer(ThrottleCounters::WindowStarted))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ThrottleCounters::Table).to_owned())
            .await
    }
}
