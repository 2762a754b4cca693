//! Every edited note's version is above 1, so the timeline reads the earlier texts only
//! when some note on it was edited.
//!
//! Notes kept their earlier texts (migration 8) before they had versions (migration 23,
//! every note at 1); an edit since raises the version. A note edited before that still
//! stood at 1: it is raised once here. Down leaves the versions as they are (a higher
//! version only refuses an edit begun before the migration).

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn up_statements(_backend: DatabaseBackend) -> Vec<String> {
    vec![
        "UPDATE timeline_events SET version = version + 1 WHERE version = 1 \
         AND id IN (SELECT event_id FROM timeline_event_revisions)"
            .to_owned(),
    ]
}

fn down_statements(_backend: DatabaseBackend) -> Vec<String> {
    Vec::new()
}

sql_migration!();
