//! Subscribers of the status page: email addresses and webhook URLs that confirmed they
//! want updates, and an outbox of what is sent to them (one announcement, one delivery
//! per subscriber, retried like notifications).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StatusSubscribers {
    Table,
    Id,
    /// `email` or `webhook`.
    Kind,
    /// The email address (lower case) or the webhook URL.
    Address,
    /// Names the subscription in its confirm and unsubscribe links.
    Token,
    /// A webhook's signing key, sent only to the webhook itself.
    Secret,
    CreatedAt,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum StatusAnnouncements {
    Table,
    Id,
    Event,
    /// What changed, as customers see it (JSON); formatted per subscriber when sent.
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StatusDeliveries {
    Table,
    Id,
    SubscriberId,
    /// `None`: the subscription's confirmation request.
    AnnouncementId,
    Status,
    Attempts,
    NextAttemptAt,
    LastAttemptAt,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StatusSubscribers::Table)
                    .col(
                        big_integer(StatusSubscribers::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(StatusSubscribers::Kind, 16))
                    .col(string_len(StatusSubscribers::Address, 2000))
                    .col(string_len(StatusSubscribers::Token, 64).unique_key())
                    .col(string_len_null(StatusSubscribers::Secret, 64))
                    .col(timestamp_with_time_zone(StatusSubscribers::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        StatusSubscribers::ConfirmedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatusAnnouncements::Table)
                    .col(
                        big_integer(StatusAnnouncements::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(StatusAnnouncements::Event, 40))
                    .col(text(StatusAnnouncements::Payload))
                    .col(timestamp_with_time_zone(StatusAnnouncements::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatusDeliveries::Table)
                    .col(
                        big_integer(StatusDeliveries::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(StatusDeliveries::SubscriberId))
                    .col(big_integer_null(StatusDeliveries::AnnouncementId))
                    .col(string_len(StatusDeliveries::Status, 16))
                    .col(integer(StatusDeliveries::Attempts))
                    .col(timestamp_with_time_zone(StatusDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(
                        StatusDeliveries::LastAttemptAt,
                    ))
                    .col(string_len_null(StatusDeliveries::LastError, 500))
                    .col(timestamp_with_time_zone(StatusDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(StatusDeliveries::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_deliveries_subscriber")
                            .from(StatusDeliveries::Table, StatusDeliveries::SubscriberId)
                            .to(StatusSubscribers::Table, StatusSubscribers::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_deliveries_announcement")
                            .from(StatusDeliveries::Table, StatusDeliveries::AnnouncementId)
                            .to(StatusAnnouncements::Table, StatusAnnouncements::Id),
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
            .drop_table(Table::drop().table(StatusDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StatusAnnouncements::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StatusSubscribers::Table).to_owned())
            .await
    }
}

/// One subscription per address and kind; the worker's due deliveries; a subscriber's
/// deliveries (removed with it).
const INDEXES: [&str; 3] = [
    "CREATE UNIQUE INDEX idx_status_subscribers_address ON status_subscribers (kind, address)",
    "CREATE INDEX idx_status_deliveries_due ON status_deliveries (status, next_attempt_at)",
    "CREATE INDEX idx_status_deliveries_subscriber ON status_deliveries (subscriber_id)",
];
