//! Change sources: the pipelines and deploy tools (GitHub, GitLab, Argo CD, any script)
//! that report changes to Vigil over a webhook, each with its own secret, default
//! service and mapping of repositories or applications to services.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeSources {
    Table,
    Id,
    Name,
    Kind,
    TokenHash,
    TokenHint,
    /// GitHub signs its deliveries with HMAC: the key must be kept as is to check them.
    SigningKey,
    ServiceId,
    Mapping,
    Environments,
    Workflows,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    DisabledAt,
    LastReceivedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeSources::Table)
                    .col(
                        big_integer(ChangeSources::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(ChangeSources::Name, 100).unique_key())
                    .col(string_len(ChangeSources::Kind, 20))
                    .col(string_len(ChangeSources::TokenHash, 64).unique_key())
                    .col(string_len(ChangeSources::TokenHint, 8))
                    .col(string_len_null(ChangeSources::SigningKey, 128))
                    .col(big_integer(ChangeSources::ServiceId))
                    .col(text(ChangeSources::Mapping))
                    .col(string_len(ChangeSources::Environments, 500))
                    .col(string_len(ChangeSources::Workflows, 500))
                    .col(big_integer(ChangeSources::CreatedBy))
                    .col(timestamp_with_time_zone(ChangeSources::CreatedAt))
                    .col(timestamp_with_time_zone(ChangeSources::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ChangeSources::DisabledAt))
                    .col(timestamp_with_time_zone_null(ChangeSources::LastReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_change_sources_service")
                            .from(ChangeSources::Table, ChangeSources::ServiceId)
                            .to(Services::Table, Services::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_change_sources_created_by")
                            .from(ChangeSources::Table, ChangeSources::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeSources::Table).to_owned())
            .await
    }
}
