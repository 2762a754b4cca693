//! The full service catalogue: description, tier, an optional availability SLO, which
//! severities count as failures, archiving, a version against lost updates, and runbook
//! links. Plus the indexes the reliability queries filter on: an incident's impact start
//! (`COALESCE(impact_started_at, declared_at)`, an expression index both databases
//! support) and its mitigation time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    Description,
    Tier,
    SloTargetPpm,
    SloWindowDays,
    FailureSeverityPosition,
    ArchivedAt,
    Version,
}

#[derive(DeriveIden)]
enum ServiceRunbooks {
    Table,
    Id,
    ServiceId,
    Title,
    Url,
    Position,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    MitigatedAt,
}

const IMPACT_START_INDEX: &str = "CREATE INDEX idx_incidents_impact_start ON incidents \
     ((COALESCE(impact_started_at, declared_at)))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            text(Services::Description).default("").to_owned(),
            integer(Services::Tier).default(2).to_owned(),
            integer_null(Services::SloTargetPpm),
            integer(Services::SloWindowDays).default(30).to_owned(),
            integer_null(Services::FailureSeverityPosition),
            timestamp_with_time_zone_null(Services::ArchivedAt),
            integer(Services::Version).default(1).to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Services::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ServiceRunbooks::Table)
                    .col(
                        big_integer(ServiceRunbooks::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(ServiceRunbooks::ServiceId))
                    .col(string_len(ServiceRunbooks::Title, 100))
                    .col(string_len(ServiceRunbooks::Url, 2000))
                    .col(integer(ServiceRunbooks::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_runbooks_service")
                            .from(ServiceRunbooks::Table, ServiceRunbooks::ServiceId)
                            .to(Services::Table, Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_service_runbooks_service_id")
                    .table(ServiceRunbooks::Table)
                    .col(ServiceRunbooks::ServiceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_incidents_mitigated_at")
                    .table(Incidents::Table)
                    .col(Incidents::MitigatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(IMPACT_START_INDEX)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_incidents_impact_start")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_incidents_mitigated_at")
                    .table(Incidents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ServiceRunbooks::Table).to_owned())
            .await?;
        for column in [
            Services::Version,
            Services::ArchivedAt,
            Services::FailureSeverityPosition,
            Services::SloWindowDays,
            Services::SloTargetPpm,
            Services::Tier,
            Services::Description,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Services::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
