//! A version on timeline events, so two people correcting the same note at once do not
//! silently overwrite each other: an edit names the version it started from and is
//! refused (409) when someone else's edit came first, as incidents, postmortems and
//! action items already are.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TimelineEvents {
    Table,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TimelineEvents::Table)
                    .add_column(
                        ColumnDef::new(TimelineEvents::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TimelineEvents::Table)
                    .drop_column(TimelineEvents::Version)
                    .to_owned(),
            )
            .await
    }
}
