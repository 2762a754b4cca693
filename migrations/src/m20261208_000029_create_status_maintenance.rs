//! Scheduled maintenance on the status page: planned windows announced to customers,
//! with the components they touch and whether their time counts against the services'
//! SLOs (the reliability pages then count it as downtime, as the page's uptime does).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StatusMaintenances {
    Table,
    Id,
    Title,
    Body,
    StartsAt,
    EndsAt,
    /// Set when it ended before its planned end.
    CompletedAt,
    CancelledAt,
    CountsAgainstSlo,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum StatusMaintenanceComponents {
    Table,
    MaintenanceId,
    ComponentId,
    /// The component's service when linked: its SLO counts the window even after the
    /// component is taken off the page (so no key to the component).
    ServiceId,
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
                    .table(StatusMaintenances::Table)
                    .col(
                        big_integer(StatusMaintenances::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(StatusMaintenances::Title, 200))
                    .col(text(StatusMaintenances::Body))
                    .col(timestamp_with_time_zone(StatusMaintenances::StartsAt))
                    .col(timestamp_with_time_zone(StatusMaintenances::EndsAt))
                    .col(timestamp_with_time_zone_null(
                        StatusMaintenances::CompletedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        StatusMaintenances::CancelledAt,
                    ))
                    .col(boolean(StatusMaintenances::CountsAgainstSlo))
                    .col(big_integer(StatusMaintenances::CreatedBy))
                    .col(timestamp_with_time_zone(StatusMaintenances::CreatedAt))
                    .col(timestamp_with_time_zone(StatusMaintenances::UpdatedAt))
                    .col(integer(StatusMaintenances::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_maintenances_created_by")
                            .from(StatusMaintenances::Table, StatusMaintenances::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatusMaintenanceComponents::Table)
                    .col(big_integer(StatusMaintenanceComponents::MaintenanceId))
                    .col(big_integer(StatusMaintenanceComponents::ComponentId))
                    .col(big_integer(StatusMaintenanceComponents::ServiceId))
                    .primary_key(
                        Index::create()
                            .col(StatusMaintenanceComponents::MaintenanceId)
                            .col(StatusMaintenanceComponents::ComponentId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_maintenance_components_maintenance")
                            .from(
                                StatusMaintenanceComponents::Table,
                                StatusMaintenanceComponents::MaintenanceId,
                            )
                            .to(StatusMaintenances::Table, StatusMaintenances::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_maintenance_components_service")
                            .from(
                                StatusMaintenanceComponents::Table,
                                StatusMaintenanceComponents::ServiceId,
                            )
                            .to(Services::Table, Services::Id),
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
            .drop_table(
                Table::drop()
                    .table(StatusMaintenanceComponents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(StatusMaintenances::Table).to_owned())
            .await
    }
}

/// The windows by end (the page and the reports read those not over before a time),
/// and the windows of one service (its reliability report).
const INDEXES: [&str; 2] = [
    "CREATE INDEX idx_status_maintenances_ends ON status_maintenances (ends_at)",
    "CREATE INDEX idx_status_maintenance_components_service ON status_maintenance_components (service_id)",
];
