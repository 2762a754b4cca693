//! Outgoing notifications: channels admins configure (Slack-compatible incoming
//! webhooks, signed JSON webhooks) and the outbox of deliveries, written in the same
//! transaction as the change they announce and sent by a background worker.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NotificationChannels {
    Table,
    Id,
    Name,
    Kind,
    Url,
    Secret,
    Events,
    MinSeverityId,
    CreatedBy,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum NotificationDeliveries {
    Table,
    Id,
    ChannelId,
    Event,
    IncidentId,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastAttemptAt,
    LastError,
    LastStatusCode,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Severities {
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
                    .table(NotificationChannels::Table)
                    .col(
                        big_integer(NotificationChannels::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(NotificationChannels::Name, 100).unique_key())
                    .col(string_len(NotificationChannels::Kind, 20))
                    .col(string_len(NotificationChannels::Url, 2000))
                    .col(string_len_null(NotificationChannels::Secret, 100))
                    .col(string_len(NotificationChannels::Events, 200))
                    .col(big_integer_null(NotificationChannels::MinSeverityId))
                    .col(big_integer(NotificationChannels::CreatedBy))
                    .col(timestamp_with_time_zone(NotificationChannels::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        NotificationChannels::DisabledAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_channels_min_severity")
                            .from(
                                NotificationChannels::Table,
                                NotificationChannels::MinSeverityId,
                            )
                            .to(Severities::Table, Severities::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_channels_created_by")
                            .from(NotificationChannels::Table, NotificationChannels::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationDeliveries::Table)
                    .col(
                        big_integer(NotificationDeliveries::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(NotificationDeliveries::ChannelId))
                    .col(string_len(NotificationDeliveries::Event, 40))
                    .col(big_integer_null(NotificationDeliveries::IncidentId))
                    .col(text(NotificationDeliveries::Payload))
                    .col(string_len(NotificationDeliveries::Status, 20))
                    .col(integer(NotificationDeliveries::Attempts))
                    .col(timestamp_with_time_zone(
                        NotificationDeliveries::NextAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        NotificationDeliveries::LastAttemptAt,
                    ))
                    .col(string_len_null(NotificationDeliveries::LastError, 500))
                    .col(integer_null(NotificationDeliveries::LastStatusCode))
                    .col(timestamp_with_time_zone(NotificationDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        NotificationDeliveries::DeliveredAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_deliveries_channel")
                            .from(
                                NotificationDeliveries::Table,
                                NotificationDeliveries::ChannelId,
                            )
                            .to(NotificationChannels::Table, NotificationChannels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The worker asks for pending deliveries that are due.
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_deliveries_due")
                    .table(NotificationDeliveries::Table)
                    .col(NotificationDeliveries::Status)
                    .col(NotificationDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_deliveries_channel")
                    .table(NotificationDeliveries::Table)
                    .col(NotificationDeliveries::ChannelId)
                    .col(NotificationDeliveries::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(NotificationDeliveries::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(NotificationChannels::Table).to_owned())
            .await
    }
}
