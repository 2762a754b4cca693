//! Alert ingestion: the sources admins configure (each with its own hashed token and
//! severity rules) and every alert received, deduplicated by fingerprint.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertSources {
    Table,
    Id,
    Name,
    Kind,
    TokenHash,
    TokenHint,
    ServiceId,
    /// JSON: sender severity word -> `{"open": severity_id}` or `"record"`.
    Rules,
    AutoResolve,
    OwnerId,
    Version,
    CreatedAt,
    UpdatedAt,
    DisabledAt,
    LastReceivedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    SourceId,
    Fingerprint,
    GroupKey,
    State,
    Title,
    Description,
    Severity,
    Labels,
    Annotations,
    StartsAt,
    EndsAt,
    GeneratorUrl,
    Raw,
    IncidentId,
    Action,
    Repeats,
    ReceivedAt,
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

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertSources::Table)
                    .col(big_integer(AlertSources::Id).auto_increment().primary_key())
                    .col(string_len(AlertSources::Name, 100).unique_key())
                    .col(string_len(AlertSources::Kind, 20))
                    .col(string_len(AlertSources::TokenHash, 64).unique_key())
                    .col(string_len(AlertSources::TokenHint, 10))
                    .col(big_integer(AlertSources::ServiceId))
                    .col(text(AlertSources::Rules))
                    .col(boolean(AlertSources::AutoResolve))
                    .col(big_integer(AlertSources::OwnerId))
                    .col(integer(AlertSources::Version))
                    .col(timestamp_with_time_zone(AlertSources::CreatedAt))
                    .col(timestamp_with_time_zone(AlertSources::UpdatedAt))
                    .col(timestamp_with_time_zone_null(AlertSources::DisabledAt))
                    .col(timestamp_with_time_zone_null(AlertSources::LastReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_sources_service")
                            .from(AlertSources::Table, AlertSources::ServiceId)
                            .to(Services::Table, Services::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alert_sources_owner")
                            .from(AlertSources::Table, AlertSources::OwnerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(big_integer(Alerts::Id).auto_increment().primary_key())
                    .col(big_integer(Alerts::SourceId))
                    .col(string_len(Alerts::Fingerprint, 255))
                    .col(string_len_null(Alerts::GroupKey, 500))
                    .col(string_len(Alerts::State, 20))
                    .col(string_len(Alerts::Title, 200))
                    .col(text(Alerts::Description))
                    .col(string_len_null(Alerts::Severity, 50))
                    .col(text(Alerts::Labels))
                    .col(text(Alerts::Annotations))
                    .col(timestamp_with_time_zone_null(Alerts::StartsAt))
                    .col(timestamp_with_time_zone_null(Alerts::EndsAt))
                    .col(text_null(Alerts::GeneratorUrl))
                    .col(text(Alerts::Raw))
                    .col(big_integer_null(Alerts::IncidentId))
                    .col(string_len(Alerts::Action, 20))
                    .col(integer(Alerts::Repeats))
                    .col(timestamp_with_time_zone(Alerts::ReceivedAt))
                    .col(timestamp_with_time_zone(Alerts::LastReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alerts_source")
                            .from(Alerts::Table, Alerts::SourceId)
                            .to(AlertSources::Table, AlertSources::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_alerts_incident")
                            .from(Alerts::Table, Alerts::IncidentId)
                            .to(Incidents::Table, Incidents::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_alerts_source_fingerprint",
                vec![Alerts::SourceId, Alerts::Fingerprint],
            ),
            (
                "idx_alerts_source_group",
                vec![Alerts::SourceId, Alerts::GroupKey],
            ),
            ("idx_alerts_incident", vec![Alerts::IncidentId]),
            ("idx_alerts_received_at", vec![Alerts::ReceivedAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alerts::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alerts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AlertSources::Table).to_owned())
            .await
    }
}
