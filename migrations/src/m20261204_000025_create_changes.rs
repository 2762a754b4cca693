//! Changes to live systems (deploys, config changes, flag flips, ...): what was done to
//! which services and when, so an incident can name the change that caused it. Times are
//! epoch seconds, the form the range reads and the delivery metrics compare directly.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Changes {
    Table,
    Id,
    Kind,
    Title,
    Version,
    Author,
    Link,
    StartedSecs,
    FinishedSecs,
    CommittedSecs,
    Outcome,
    Source,
    ExternalId,
    RevertsId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChangeServices {
    Table,
    ChangeId,
    ServiceId,
    /// The change's start, repeated: one index range per service and time.
    StartedSecs,
}

#[derive(DeriveIden)]
enum IncidentChanges {
    Table,
    IncidentId,
    ChangeId,
    Cause,
    LinkedBy,
    LinkedAt,
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

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
}

const INDEXES: [&str; 4] = [
    // A re-sent event (same source, same id at the source) updates its change. NULLs are
    // distinct on both backends, so changes without an external id never collide.
    "CREATE UNIQUE INDEX idx_changes_source_external ON changes (source, external_id)",
    "CREATE INDEX idx_changes_started ON changes (started_secs, id)",
    "CREATE INDEX idx_change_services_service ON change_services (service_id, started_secs)",
    "CREATE INDEX idx_incident_changes_change ON incident_changes (change_id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Changes::Table)
                    .col(big_integer(Changes::Id).auto_increment().primary_key())
                    .col(string_len(Changes::Kind, 20))
                    .col(string_len(Changes::Title, 200))
                    .col(string_len_null(Changes::Version, 100))
                    .col(string_len_null(Changes::Author, 100))
                    .col(string_len_null(Changes::Link, 2000))
                    .col(big_integer(Changes::StartedSecs))
                    .col(big_integer_null(Changes::FinishedSecs))
                    .col(big_integer_null(Changes::CommittedSecs))
                    .col(string_len(Changes::Outcome, 20))
                    .col(string_len(Changes::Source, 50))
                    .col(string_len_null(Changes::ExternalId, 200))
                    .col(big_integer_null(Changes::RevertsId))
                    .col(big_integer_null(Changes::CreatedBy))
                    .col(timestamp_with_time_zone(Changes::CreatedAt))
                    .col(timestamp_with_time_zone(Changes::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_changes_reverts")
                            .from(Changes::Table, Changes::RevertsId)
                            .to(Changes::Table, Changes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_changes_created_by")
                            .from(Changes::Table, Changes::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChangeServices::Table)
                    .col(big_integer(ChangeServices::ChangeId))
                    .col(big_integer(ChangeServices::ServiceId))
                    .col(big_integer(ChangeServices::StartedSecs))
                    .primary_key(
                        Index::create()
                            .col(ChangeServices::ChangeId)
                            .col(ChangeServices::ServiceId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_change_services_change")
                            .from(ChangeServices::Table, ChangeServices::ChangeId)
                            .to(Changes::Table, Changes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_change_services_service")
                            .from(ChangeServices::Table, ChangeServices::ServiceId)
                            .to(Services::Table, Services::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentChanges::Table)
                    .col(big_integer(IncidentChanges::IncidentId))
                    .col(big_integer(IncidentChanges::ChangeId))
                    .col(string_len(IncidentChanges::Cause, 20))
                    .col(big_integer(IncidentChanges::LinkedBy))
                    .col(timestamp_with_time_zone(IncidentChanges::LinkedAt))
                    .primary_key(
                        Index::create()
                            .col(IncidentChanges::IncidentId)
                            .col(IncidentChanges::ChangeId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_changes_incident")
                            .from(IncidentChanges::Table, IncidentChanges::IncidentId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_changes_change")
                            .from(IncidentChanges::Table, IncidentChanges::ChangeId)
                            .to(Changes::Table, Changes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_changes_linked_by")
                            .from(IncidentChanges::Table, IncidentChanges::LinkedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for sql in INDEXES {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IncidentChanges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ChangeServices::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Changes::Table).to_owned())
            .await
    }
}
