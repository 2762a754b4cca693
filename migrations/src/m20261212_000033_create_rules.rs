//! Rules (when a trigger fires on an incident, if its conditions hold, do its actions),
//! the postmortem a rule asked for, and the status page update a rule drafted.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Rules {
    Table,
    Id,
    Name,
    Description,
    /// declared, severity_changed, status_changed, impact_set, alert, change_linked or
    /// type_set.
    Trigger,
    /// What must hold, as JSON: read whole, like a playbook's steps, never filtered on.
    Conditions,
    /// What to do, as JSON.
    Actions,
    /// A new rule is a draft: it runs on nothing until an admin enables it.
    Enabled,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    /// The name of the rule that asked for a published postmortem before closing.
    PostmortemRequiredBy,
}

#[derive(DeriveIden)]
enum StatusDrafts {
    Table,
    /// One draft per incident; publishing it (or any update) removes it.
    IncidentId,
    State,
    Body,
    RuleName,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Rules::Table)
                    .col(big_integer(Rules::Id).auto_increment().primary_key())
                    .col(string_len(Rules::Name, 80))
                    .col(text(Rules::Description))
                    .col(string_len(Rules::Trigger, 30))
                    .col(text(Rules::Conditions))
                    .col(text(Rules::Actions))
                    .col(boolean(Rules::Enabled))
                    .col(integer(Rules::Version))
                    .col(timestamp_with_time_zone(Rules::CreatedAt))
                    .col(timestamp_with_time_zone(Rules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatusDrafts::Table)
                    .col(big_integer(StatusDrafts::IncidentId).primary_key())
                    .col(string_len(StatusDrafts::State, 30))
                    .col(text(StatusDrafts::Body))
                    .col(string_len(StatusDrafts::RuleName, 80))
                    .col(timestamp_with_time_zone(StatusDrafts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(string_len_null(Incidents::PostmortemRequiredBy, 80))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // Names are unique; every change reads the enabled rules in order.
        db.execute_unprepared("CREATE UNIQUE INDEX idx_rules_name ON rules (name)")
            .await?;
        db.execute_unprepared("CREATE INDEX idx_rules_enabled ON rules (enabled, id)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::PostmortemRequiredBy)
                    .to_owned(),
            )
            .await?;
        for table in [StatusDrafts::Table.into_iden(), Rules::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
