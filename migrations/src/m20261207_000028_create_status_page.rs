//! The public status page: the services shown on it (components), the incidents
//! published to it, and their customer-facing updates. Kept apart from the internal
//! incident tables so nothing internal is read when the public page is built.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StatusComponents {
    Table,
    Id,
    ServiceId,
    Name,
    Description,
    GroupName,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StatusIncidents {
    Table,
    Id,
    IncidentId,
    Title,
    /// A state the commander chose for the components, over the severity's mapping.
    Impact,
    State,
    PublishedAt,
    UpdatedAt,
    ResolvedAt,
    Version,
}

#[derive(DeriveIden)]
enum StatusIncidentComponents {
    Table,
    StatusIncidentId,
    ComponentId,
}

#[derive(DeriveIden)]
enum StatusUpdates {
    Table,
    Id,
    StatusIncidentId,
    State,
    Body,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Incidents {
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
                    .table(StatusComponents::Table)
                    .col(
                        big_integer(StatusComponents::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(StatusComponents::ServiceId).unique_key())
                    .col(string_len(StatusComponents::Name, 100))
                    .col(string_len(StatusComponents::Description, 500))
                    .col(string_len(StatusComponents::GroupName, 100))
                    .col(integer(StatusComponents::Position))
                    .col(timestamp_with_time_zone(StatusComponents::CreatedAt))
                    .col(timestamp_with_time_zone(StatusComponents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_components_service")
                            .from(StatusComponents::Table, StatusComponents::ServiceId)
                            .to(Services::Table, Services::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatusIncidents::Table)
                    .col(
                        big_integer(StatusIncidents::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(StatusIncidents::IncidentId).unique_key())
                    .col(string_len(StatusIncidents::Title, 200))
                    .col(string_len_null(StatusIncidents::Impact, 30))
                    .col(string_len(StatusIncidents::State, 20))
                    .col(timestamp_with_time_zone(StatusIncidents::PublishedAt))
                    .col(timestamp_with_time_zone(StatusIncidents::UpdatedAt))
                    .col(timestamp_with_time_zone_null(StatusIncidents::ResolvedAt))
                    .col(integer(StatusIncidents::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_incidents_incident")
                            .from(StatusIncidents::Table, StatusIncidents::IncidentId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatusIncidentComponents::Table)
                    .col(big_integer(StatusIncidentComponents::StatusIncidentId))
                    .col(big_integer(StatusIncidentComponents::ComponentId))
                    .primary_key(
                        Index::create()
                            .col(StatusIncidentComponents::StatusIncidentId)
                            .col(StatusIncidentComponents::ComponentId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_incident_components_incident")
                            .from(
                                StatusIncidentComponents::Table,
                                StatusIncidentComponents::StatusIncidentId,
                            )
                            .to(StatusIncidents::Table, StatusIncidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_incident_components_component")
                            .from(
                                StatusIncidentComponents::Table,
                                StatusIncidentComponents::ComponentId,
                            )
                            .to(StatusComponents::Table, StatusComponents::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatusUpdates::Table)
                    .col(
                        big_integer(StatusUpdates::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(StatusUpdates::StatusIncidentId))
                    .col(string_len(StatusUpdates::State, 20))
                    .col(text(StatusUpdates::Body))
                    .col(big_integer(StatusUpdates::CreatedBy))
                    .col(timestamp_with_time_zone(StatusUpdates::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_updates_incident")
                            .from(StatusUpdates::Table, StatusUpdates::StatusIncidentId)
                            .to(StatusIncidents::Table, StatusIncidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_updates_created_by")
                            .from(StatusUpdates::Table, StatusUpdates::CreatedBy)
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
            .drop_table(Table::drop().table(StatusUpdates::Table).to_owned())
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(StatusIncidentComponents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(StatusIncidents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StatusComponents::Table).to_owned())
            .await
    }
}

/// The updates of one incident in order; the open (and recent) published incidents.
const INDEXES: [&str; 3] = [
    "CREATE INDEX idx_status_updates_incident ON status_updates (status_incident_id, id)",
    "CREATE INDEX idx_status_incidents_published ON status_incidents (published_at)",
    "CREATE INDEX idx_status_incident_components_component ON status_incident_components (component_id)",
];
