//! Severity levels, seeded with SEV1 to SEV4; admins rename, describe and reorder them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Severities {
    Table,
    Id,
    Name,
    Description,
    Position,
    RequiresPostmortem,
}

const DEFAULTS: [(&str, &str, bool); 4] = [
    (
        "SEV1",
        "Critical: a core service is down or data is at risk for many customers. All hands.",
        true,
    ),
    (
        "SEV2",
        "Major: a core service is badly degraded, or a significant share of customers is affected.",
        true,
    ),
    (
        "SEV3",
        "Minor: limited impact, or a workaround exists. Fix during working hours.",
        false,
    ),
    (
        "SEV4",
        "Low: no customer impact yet; a near miss or something to look into.",
        false,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Severities::Table)
                    .col(big_integer(Severities::Id).auto_increment().primary_key())
                    .col(string_len_uniq(Severities::Name, 50))
                    .col(text(Severities::Description))
                    .col(integer(Severities::Position))
                    .col(boolean(Severities::RequiresPostmortem))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(Severities::Table)
            .columns([
                Severities::Name,
                Severities::Description,
                Severities::Position,
                Severities::RequiresPostmortem,
            ])
            .to_owned();
        for (position, (name, description, requires)) in DEFAULTS.into_iter().enumerate() {
            insert.values_panic([
                name.into(),
                description.into(),
                (position as i32 + 1).into(),
                requires.into(),
            ]);
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Severities::Table).to_owned())
            .await
    }
}
