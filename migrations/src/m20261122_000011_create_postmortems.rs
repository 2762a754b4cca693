//! Blameless postmortems: one per incident, its sections (copied from the template at
//! creation), every saved revision, reviewers with their approvals, and review comments.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Postmortems {
    Table,
    Id,
    IncidentId,
    Title,
    Status,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum PostmortemSections {
    Table,
    Id,
    PostmortemId,
    Position,
    Title,
    Guidance,
    Body,
}

#[derive(DeriveIden)]
enum PostmortemRevisions {
    Table,
    Id,
    PostmortemId,
    Version,
    AuthorId,
    CreatedAt,
    Content,
}

#[derive(DeriveIden)]
enum PostmortemReviewers {
    Table,
    PostmortemId,
    UserId,
    AssignedAt,
    ApprovedAt,
}

#[derive(DeriveIden)]
enum PostmortemComments {
    Table,
    Id,
    PostmortemId,
    AuthorId,
    Body,
    CreatedAt,
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

fn to_postmortem(
    name: &str,
    from: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, column)
        .to(Postmortems::Table, Postmortems::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn to_user(
    name: &str,
    from: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from, column)
        .to(Users::Table, Users::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Postmortems::Table)
                    .col(big_integer(Postmortems::Id).auto_increment().primary_key())
                    .col(big_integer_uniq(Postmortems::IncidentId))
                    .col(string_len(Postmortems::Title, 200))
                    .col(string_len(Postmortems::Status, 20))
                    .col(integer(Postmortems::Version))
                    .col(big_integer(Postmortems::CreatedBy))
                    .col(timestamp_with_time_zone(Postmortems::CreatedAt))
                    .col(timestamp_with_time_zone(Postmortems::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Postmortems::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_postmortems_incident")
                            .from(Postmortems::Table, Postmortems::IncidentId)
                            .to(Incidents::Table, Incidents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut to_user(
                        "fk_postmortems_created_by",
                        Postmortems::Table,
                        Postmortems::CreatedBy,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_postmortems_status_updated")
                    .table(Postmortems::Table)
                    .col(Postmortems::Status)
                    .col(Postmortems::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PostmortemSections::Table)
                    .col(
                        big_integer(PostmortemSections::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(PostmortemSections::PostmortemId))
                    .col(integer(PostmortemSections::Position))
                    .col(string_len(PostmortemSections::Title, 100))
                    .col(text(PostmortemSections::Guidance))
                    .col(text(PostmortemSections::Body))
                    .foreign_key(&mut to_postmortem(
                        "fk_postmortem_sections_postmortem",
                        PostmortemSections::Table,
                        PostmortemSections::PostmortemId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_postmortem_sections_position")
                    .table(PostmortemSections::Table)
                    .col(PostmortemSections::PostmortemId)
                    .col(PostmortemSections::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PostmortemRevisions::Table)
                    .col(
                        big_integer(PostmortemRevisions::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(PostmortemRevisions::PostmortemId))
                    .col(integer(PostmortemRevisions::Version))
                    .col(big_integer(PostmortemRevisions::AuthorId))
                    .col(timestamp_with_time_zone(PostmortemRevisions::CreatedAt))
                    .col(text(PostmortemRevisions::Content))
                    .foreign_key(&mut to_postmortem(
                        "fk_postmortem_revisions_postmortem",
                        PostmortemRevisions::Table,
                        PostmortemRevisions::PostmortemId,
                    ))
                    .foreign_key(&mut to_user(
                        "fk_postmortem_revisions_author",
                        PostmortemRevisions::Table,
                        PostmortemRevisions::AuthorId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_postmortem_revisions_version")
                    .table(PostmortemRevisions::Table)
                    .col(PostmortemRevisions::PostmortemId)
                    .col(PostmortemRevisions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PostmortemReviewers::Table)
                    .col(big_integer(PostmortemReviewers::PostmortemId))
                    .col(big_integer(PostmortemReviewers::UserId))
                    .col(timestamp_with_time_zone(PostmortemReviewers::AssignedAt))
                    .col(timestamp_with_time_zone_null(
                        PostmortemReviewers::ApprovedAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(PostmortemReviewers::PostmortemId)
                            .col(PostmortemReviewers::UserId),
                    )
                    .foreign_key(&mut to_postmortem(
                        "fk_postmortem_reviewers_postmortem",
                        PostmortemReviewers::Table,
                        PostmortemReviewers::PostmortemId,
                    ))
                    .foreign_key(&mut to_user(
                        "fk_postmortem_reviewers_user",
                        PostmortemReviewers::Table,
                        PostmortemReviewers::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PostmortemComments::Table)
                    .col(
                        big_integer(PostmortemComments::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(PostmortemComments::PostmortemId))
                    .col(big_integer(PostmortemComments::AuthorId))
                    .col(text(PostmortemComments::Body))
                    .col(timestamp_with_time_zone(PostmortemComments::CreatedAt))
                    .foreign_key(&mut to_postmortem(
                        "fk_postmortem_comments_postmortem",
                        PostmortemComments::Table,
                        PostmortemComments::PostmortemId,
                    ))
                    .foreign_key(&mut to_user(
                        "fk_postmortem_comments_author",
                        PostmortemComments::Table,
                        PostmortemComments::AuthorId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_postmortem_comments_postmortem")
                    .table(PostmortemComments::Table)
                    .col(PostmortemComments::PostmortemId)
                    .col(PostmortemComments::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PostmortemComments::Table.into_iden(),
            PostmortemReviewers::Table.into_iden(),
            PostmortemRevisions::Table.into_iden(),
            PostmortemSections::Table.into_iden(),
            Postmortems::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
