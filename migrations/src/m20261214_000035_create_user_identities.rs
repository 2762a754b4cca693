//! The accounts at OpenID providers that sign in as a Vigil user: found again by the
//! provider's issuer and subject, which never change, rather than by an email that can.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UserIdentities {
    Table,
    Id,
    UserId,
    /// The provider's issuer URL, exactly as its ID tokens state it.
    Issuer,
    /// The `sub` claim.
    Subject,
    /// The email the provider last reported (for the admin's view; matching uses the
    /// subject).
    Email,
    CreatedAt,
    LastSignInAt,
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
                    .table(UserIdentities::Table)
                    .col(
                        big_integer(UserIdentities::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(UserIdentities::UserId))
                    .col(string_len(UserIdentities::Issuer, 500))
                    .col(string_len(UserIdentities::Subject, 255))
                    .col(string_len(UserIdentities::Email, 254))
                    .col(timestamp_with_time_zone(UserIdentities::CreatedAt))
                    .col(timestamp_with_time_zone(UserIdentities::LastSignInAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserIdentities::Table, UserIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_identities_issuer_subject")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::Issuer)
                    .col(UserIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_identities_user")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserIdentities::Table).to_owned())
            .await
    }
}
