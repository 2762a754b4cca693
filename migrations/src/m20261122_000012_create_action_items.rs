//! Action items: the follow-up work of an incident, with an owner and a due date, kept
//! visible until done (or explicitly not done, with a reason).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActionItems {
    Table,
    Id,
    IncidentId,
    Title,
    Description,
    Kind,
    Priority,
    OwnerId,
    DueOn,
    Status,
    WontDoReason,
    TrackerUrl,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    CompletedAt,
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
                    .table(ActionItems::Table)
                    .col(big_integer(ActionItems::Id).auto_increment().primary_key())
                    .col(big_integer(ActionItems::IncidentId))
                    .col(string_len(ActionItems::Title, 200))
                    .col(text(ActionItems::Description))
                    .col(string_len(ActionItems::Kind, 20))
                    .col(string_len(ActionItems::Priority, 10))
                    .col(big_integer_null(ActionItems::OwnerId))
                    .col(date_null(ActionItems::DueOn))
                    .col(string_len(ActionItems::Status, 20))
                    .col(text_null(ActionItems::WontDoReason))
                    .col(string_len_null(ActionItems::TrackerUrl, 500))
                    .col(integer(ActionItems::Version))
                    .col(big_integer(ActionItems::CreatedBy))
                    .col(timestamp_with_time_zone(ActionItems::CreatedAt))
                    .col(timestamp_with_time_zone(ActionItems::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ActionItems::CompletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_action_items_incident")
                            .from(ActionItems::Table, ActionItems::IncidentId)
                            .to(Incidents::Table, Incidents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_action_items_owner")
                            .from(ActionItems::Table, ActionItems::OwnerId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_action_items_created_by")
                            .from(ActionItems::Table, ActionItems::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_action_items_incident", vec![ActionItems::IncidentId]),
            (
                "idx_action_items_status_due",
                vec![ActionItems::Status, ActionItems::DueOn],
            ),
            (
                "idx_action_items_owner_status",
                vec![ActionItems::OwnerId, ActionItems::Status],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(ActionItems::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActionItems::Table).to_owned())
            .await
    }
}
