//! The incident timeline. Append-only: an edit keeps the previous text as a revision,
//! and deletion is a soft delete (`deleted_at`) that admins can still see.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TimelineEvents {
    Table,
    Id,
    IncidentId,
    Kind,
    Body,
    OccurredAt,
    RecordedAt,
    AuthorId,
    Marker,
    Highlighted,
    DeletedAt,
    DeletedBy,
}

#[derive(DeriveIden)]
enum TimelineEventRevisions {
    Table,
    Id,
    EventId,
    Body,
    EditedAt,
    EditorId,
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
                    .table(TimelineEvents::Table)
                    .col(
                        big_integer(TimelineEvents::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(TimelineEvents::IncidentId))
                    .col(string_len(TimelineEvents::Kind, 30))
                    .col(text(TimelineEvents::Body))
                    .col(timestamp_with_time_zone(TimelineEvents::OccurredAt))
                    .col(timestamp_with_time_zone(TimelineEvents::RecordedAt))
                    .col(big_integer_null(TimelineEvents::AuthorId))
                    .col(string_len_null(TimelineEvents::Marker, 20))
                    .col(boolean(TimelineEvents::Highlighted))
                    .col(timestamp_with_time_zone_null(TimelineEvents::DeletedAt))
                    .col(big_integer_null(TimelineEvents::DeletedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_timeline_events_incident")
                            .from(TimelineEvents::Table, TimelineEvents::IncidentId)
                            .to(Incidents::Table, Incidents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_timeline_events_author")
                            .from(TimelineEvents::Table, TimelineEvents::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_timeline_events_incident_occurred")
                    .table(TimelineEvents::Table)
                    .col(TimelineEvents::IncidentId)
                    .col(TimelineEvents::OccurredAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TimelineEventRevisions::Table)
                    .col(
                        big_integer(TimelineEventRevisions::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(TimelineEventRevisions::EventId))
                    .col(text(TimelineEventRevisions::Body))
                    .col(timestamp_with_time_zone(TimelineEventRevisions::EditedAt))
                    .col(big_integer(TimelineEventRevisions::EditorId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_timeline_event_revisions_event")
                            .from(
                                TimelineEventRevisions::Table,
                                TimelineEventRevisions::EventId,
                            )
                            .to(TimelineEvents::Table, TimelineEvents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(TimelineEventRevisions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(TimelineEvents::Table).to_owned())
            .await
    }
}
