//! Incident types (a default one exists from the start, and every incident so far is of
//! it), the playbooks and channels a type brings, custom fields, the types a field is
//! asked for, and the values incidents hold.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IncidentTypes {
    Table,
    Id,
    Name,
    Description,
    /// Taken when a declaration names no severity.
    DefaultSeverityId,
    /// Role keys, comma-separated: filled before the incident is resolved.
    RequiredRoles,
    PostmortemRequired,
    /// Exactly one type is the default: the one a declaration without a type gets.
    IsDefault,
    ArchivedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IncidentTypePlaybooks {
    Table,
    TypeId,
    PlaybookId,
}

#[derive(DeriveIden)]
enum IncidentTypeChannels {
    Table,
    TypeId,
    ChannelId,
}

#[derive(DeriveIden)]
enum CustomFields {
    Table,
    Id,
    Label,
    Description,
    /// text, number, select, multi_select, link or person.
    Kind,
    /// The choices of a select, as a JSON list of strings.
    Options,
    /// never, declare, resolve or close: from which step on a value is needed.
    RequiredAt,
    Position,
    ArchivedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomFieldTypes {
    Table,
    FieldId,
    TypeId,
}

#[derive(DeriveIden)]
enum IncidentFieldValues {
    Table,
    Id,
    IncidentId,
    FieldId,
    /// One row per value (a multi-select has several); numbers, links and people (a
    /// user id) as text, so one index serves every "field equals" filter.
    Value,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    TypeId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IncidentTypes::Table)
                    .col(
                        big_integer(IncidentTypes::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(IncidentTypes::Name, 80))
                    .col(text(IncidentTypes::Description))
                    .col(big_integer_null(IncidentTypes::DefaultSeverityId))
                    .col(string_len(IncidentTypes::RequiredRoles, 200))
                    .col(boolean(IncidentTypes::PostmortemRequired))
                    .col(boolean(IncidentTypes::IsDefault))
                    .col(timestamp_with_time_zone_null(IncidentTypes::ArchivedAt))
                    .col(integer(IncidentTypes::Version))
                    .col(timestamp_with_time_zone(IncidentTypes::CreatedAt))
                    .col(timestamp_with_time_zone(IncidentTypes::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (table, first, second) in [
            (
                IncidentTypePlaybooks::Table.into_iden(),
                IncidentTypePlaybooks::TypeId.into_iden(),
                IncidentTypePlaybooks::PlaybookId.into_iden(),
            ),
            (
                IncidentTypeChannels::Table.into_iden(),
                IncidentTypeChannels::TypeId.into_iden(),
                IncidentTypeChannels::ChannelId.into_iden(),
            ),
            (
                CustomFieldTypes::Table.into_iden(),
                CustomFieldTypes::FieldId.into_iden(),
                CustomFieldTypes::TypeId.into_iden(),
            ),
        ] {
            manager
                .create_table(
                    Table::create()
                        .table(table)
                        .col(big_integer(first.clone()))
                        .col(big_integer(second.clone()))
                        .primary_key(Index::create().col(first).col(second))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CustomFields::Table)
                    .col(big_integer(CustomFields::Id).auto_increment().primary_key())
                    .col(string_len(CustomFields::Label, 80))
                    .col(text(CustomFields::Description))
                    .col(string_len(CustomFields::Kind, 20))
                    .col(text(CustomFields::Options))
                    .col(string_len(CustomFields::RequiredAt, 20))
                    .col(integer(CustomFields::Position))
                    .col(timestamp_with_time_zone_null(CustomFields::ArchivedAt))
                    .col(integer(CustomFields::Version))
                    .col(timestamp_with_time_zone(CustomFields::CreatedAt))
                    .col(timestamp_with_time_zone(CustomFields::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentFieldValues::Table)
                    .col(
                        big_integer(IncidentFieldValues::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(IncidentFieldValues::IncidentId))
                    .col(big_integer(IncidentFieldValues::FieldId))
                    .col(string_len(IncidentFieldValues::Value, 500))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(big_integer_null(Incidents::TypeId))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in INDEXES {
            db.execute_unprepared(sql).await?;
        }
        // The default type, and every incident so far is of it.
        let insert = Query::insert()
            .into_table(IncidentTypes::Table)
            .columns([
                IncidentTypes::Name,
                IncidentTypes::Description,
                IncidentTypes::RequiredRoles,
                IncidentTypes::PostmortemRequired,
                IncidentTypes::IsDefault,
                IncidentTypes::Version,
                IncidentTypes::CreatedAt,
                IncidentTypes::UpdatedAt,
            ])
            .values_panic([
                Expr::value("Default"),
                Expr::value("Anything that fits no other type."),
                Expr::value(""),
                Expr::value(false),
                Expr::value(true),
                Expr::value(1),
                Expr::current_timestamp(),
                Expr::current_timestamp(),
            ])
            .to_owned();
        manager.exec_stmt(insert).await?;
        db.execute_unprepared(
            "UPDATE incidents SET type_id = (SELECT id FROM incident_types WHERE is_default)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite drops no column an index still names.
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_incidents_type")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::TypeId)
                    .to_owned(),
            )
            .await?;
        for table in [
            IncidentFieldValues::Table.into_iden(),
            CustomFieldTypes::Table.into_iden(),
            CustomFields::Table.into_iden(),
            IncidentTypeChannels::Table.into_iden(),
            IncidentTypePlaybooks::Table.into_iden(),
            IncidentTypes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Names are unique without regard to case; an incident holds a value once; the list's
/// "field equals" filter reads (field, value); the list's type filter reads type_id.
const INDEXES: [&str; 5] = [
    "CREATE UNIQUE INDEX idx_incident_types_name ON incident_types (name)",
    "CREATE UNIQUE INDEX idx_custom_fields_label ON custom_fields (label)",
    "CREATE UNIQUE INDEX idx_incident_field_values_value ON incident_field_values (incident_id, field_id, value)",
    "CREATE INDEX idx_incident_field_values_field ON incident_field_values (field_id, value, incident_id)",
    "CREATE INDEX idx_incidents_type ON incidents (type_id)",
];
