//! Playbooks: Markdown documents with an ordered checklist of steps, versioned, attached
//! to services; and the checklists incidents keep (the version used, who ticked which
//! step and when).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Playbooks {
    Table,
    Id,
    Title,
    /// Markdown.
    Body,
    /// The steps as JSON: `[{"text": .., "link": .., "role": ..}]`.
    Steps,
    /// Bumped by every save; each version is kept in `playbook_revisions`.
    Version,
    ArchivedAt,
    CreatedBy,
    CreatedAt,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlaybookRevisions {
    Table,
    Id,
    PlaybookId,
    Version,
    Title,
    Body,
    Steps,
    AuthorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PlaybookServices {
    Table,
    PlaybookId,
    ServiceId,
}

#[derive(DeriveIden)]
enum IncidentPlaybooks {
    Table,
    Id,
    IncidentId,
    PlaybookId,
    /// The playbook's version when it was attached: the checklist the responders saw.
    Version,
    AttachedAt,
    AttachedBy,
}

#[derive(DeriveIden)]
enum IncidentPlaybookSteps {
    Table,
    Id,
    IncidentPlaybookId,
    /// The step's position in the attached version, from 0.
    Step,
    DoneAt,
    DoneBy,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Playbooks::Table)
                    .col(big_integer(Playbooks::Id).auto_increment().primary_key())
                    .col(string_len(Playbooks::Title, 200))
                    .col(text(Playbooks::Body))
                    .col(text(Playbooks::Steps))
                    .col(integer(Playbooks::Version))
                    .col(timestamp_with_time_zone_null(Playbooks::ArchivedAt))
                    .col(big_integer(Playbooks::CreatedBy))
                    .col(timestamp_with_time_zone(Playbooks::CreatedAt))
                    .col(big_integer(Playbooks::UpdatedBy))
                    .col(timestamp_with_time_zone(Playbooks::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlaybookRevisions::Table)
                    .col(
                        big_integer(PlaybookRevisions::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(PlaybookRevisions::PlaybookId))
                    .col(integer(PlaybookRevisions::Version))
                    .col(string_len(PlaybookRevisions::Title, 200))
                    .col(text(PlaybookRevisions::Body))
                    .col(text(PlaybookRevisions::Steps))
                    .col(big_integer(PlaybookRevisions::AuthorId))
                    .col(timestamp_with_time_zone(PlaybookRevisions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_playbook_revisions_playbook")
                            .from(PlaybookRevisions::Table, PlaybookRevisions::PlaybookId)
                            .to(Playbooks::Table, Playbooks::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlaybookServices::Table)
                    .col(big_integer(PlaybookServices::PlaybookId))
                    .col(big_integer(PlaybookServices::ServiceId))
                    .primary_key(
                        Index::create()
                            .col(PlaybookServices::PlaybookId)
                            .col(PlaybookServices::ServiceId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_playbook_services_playbook")
                            .from(PlaybookServices::Table, PlaybookServices::PlaybookId)
                            .to(Playbooks::Table, Playbooks::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_playbook_services_service")
                            .from(PlaybookServices::Table, PlaybookServices::ServiceId)
                            .to(Services::Table, Services::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentPlaybooks::Table)
                    .col(
                        big_integer(IncidentPlaybooks::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(IncidentPlaybooks::IncidentId))
                    .col(big_integer(IncidentPlaybooks::PlaybookId))
                    .col(integer(IncidentPlaybooks::Version))
                    .col(timestamp_with_time_zone(IncidentPlaybooks::AttachedAt))
                    .col(big_integer(IncidentPlaybooks::AttachedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_playbooks_incident")
                            .from(IncidentPlaybooks::Table, IncidentPlaybooks::IncidentId)
                            .to(Incidents::Table, Incidents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_playbooks_playbook")
                            .from(IncidentPlaybooks::Table, IncidentPlaybooks::PlaybookId)
                            .to(Playbooks::Table, Playbooks::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentPlaybookSteps::Table)
                    .col(
                        big_integer(IncidentPlaybookSteps::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(IncidentPlaybookSteps::IncidentPlaybookId))
                    .col(integer(IncidentPlaybookSteps::Step))
                    .col(timestamp_with_time_zone(IncidentPlaybookSteps::DoneAt))
                    .col(big_integer(IncidentPlaybookSteps::DoneBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incident_playbook_steps_attachment")
                            .from(
                                IncidentPlaybookSteps::Table,
                                IncidentPlaybookSteps::IncidentPlaybookId,
                            )
                            .to(IncidentPlaybooks::Table, IncidentPlaybooks::Id),
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
        for table in [
            IncidentPlaybookSteps::Table.into_iden(),
            IncidentPlaybooks::Table.into_iden(),
            PlaybookServices::Table.into_iden(),
            PlaybookRevisions::Table.into_iden(),
            Playbooks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// One revision per version; the playbooks of a service (attached at declare); one
/// checklist per playbook and incident; one tick per step.
const INDEXES: [&str; 4] = [
    "CREATE UNIQUE INDEX idx_playbook_revisions_version ON playbook_revisions (playbook_id, version)",
    "CREATE INDEX idx_playbook_services_service ON playbook_services (service_id)",
    "CREATE UNIQUE INDEX idx_incident_playbooks_incident ON incident_playbooks (incident_id, playbook_id)",
    "CREATE UNIQUE INDEX idx_incident_playbook_steps_step ON incident_playbook_steps (incident_playbook_id, step)",
];
