//! Incidents, the services they affect, and the people in their roles. The incident id
//! is its human reference (`INC-<id>`); `version` guards against lost updates.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    Title,
    Summary,
    SeverityId,
    Status,
    CustomerImpact,
    ImpactStartedAt,
    DetectedAt,
    DeclaredAt,
    AcknowledgedAt,
    MitigatedAt,
    ResolvedAt,
    ClosedAt,
    MergedIntoId,
    CreatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IncidentServices {
    Table,
    IncidentId,
    ServiceId,
}

#[derive(DeriveIden)]
enum IncidentRoles {
    Table,
    IncidentId,
    Role,
    UserId,
    AssignedAt,
}

#[derive(DeriveIden)]
enum Severities {
    Table,
    Id,
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
                    .table(Incidents::Table)
                    .col(big_integer(Incidents::Id).auto_increment().primary_key())
                    .col(string_len(Incidents::Title, 200))
                    .col(text(Incidents::Summary))
                    .col(big_integer(Incidents::SeverityId))
                    .col(string_len(Incidents::Status, 20))
                    .col(boolean(Incidents::CustomerImpact))
                    .col(timestamp_with_time_zone_null(Incidents::ImpactStartedAt))
                    .col(timestamp_with_time_zone_null(Incidents::DetectedAt))
                    .col(timestamp_with_time_zone(Incidents::DeclaredAt))
                    .col(timestamp_with_time_zone_null(Incidents::AcknowledgedAt))
                    .col(timestamp_with_time_zone_null(Incidents::MitigatedAt))
                    .col(timestamp_with_time_zone_null(Incidents::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Incidents::ClosedAt))
                    .col(big_integer_null(Incidents::MergedIntoId))
                    .col(big_integer(Incidents::CreatedBy))
                    .col(integer(Incidents::Version))
                    .col(timestamp_with_time_zone(Incidents::CreatedAt))
                    .col(timestamp_with_time_zone(Incidents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incidents_severity")
                            .from(Incidents::Table, Incidents::SeverityId)
                            .to(Severities::Table, Severities::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incidents_merged_into")
                            .from(Incidents::Table, Incidents::MergedIntoId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incidents_created_by")
                            .from(Incidents::Table, Incidents::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_incidents_status", Incidents::Status),
            ("idx_incidents_declared_at", Incidents::DeclaredAt),
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

        manager
            .create_table(
                Table::create()
                    .table(IncidentServices::Table)
                    .col(big_integer(IncidentServices::IncidentId))
                    .col(big_integer(IncidentServices::ServiceId))
                    .primary_key(
                        Index::create()
                            .col(IncidentServices::IncidentId)
                            .col(IncidentServices::ServiceId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_services_incident")
                            .from(IncidentServices::Table, IncidentServices::IncidentId)
                            .to(Incidents::Table, Incidents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_services_service")
                            .from(IncidentServices::Table, IncidentServices::ServiceId)
                            .to(Services::Table, Services::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_incident_services_service_id")
                    .table(IncidentServices::Table)
                    .col(IncidentServices::ServiceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IncidentRoles::Table)
                    .col(big_integer(IncidentRoles::IncidentId))
                    .col(string_len(IncidentRoles::Role, 20))
                    .col(big_integer(IncidentRoles::UserId))
                    .col(timestamp_with_time_zone(IncidentRoles::AssignedAt))
                    .primary_key(
                        Index::create()
                            .col(IncidentRoles::IncidentId)
                            .col(IncidentRoles::Role),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_roles_incident")
                            .from(IncidentRoles::Table, IncidentRoles::IncidentId)
                            .to(Incidents::Table, Incidents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_roles_user")
                            .from(IncidentRoles::Table, IncidentRoles::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IncidentRoles::Table.into_iden(),
            IncidentServices::Table.into_iden(),
            Incidents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
