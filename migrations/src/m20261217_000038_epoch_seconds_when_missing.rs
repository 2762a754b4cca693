//! On SQLite the epoch-seconds triggers (migration 20) run only when a seconds column
//! differs from what they compute.
//!
//! They are `AFTER` triggers that update the row just written: a second write of the row
//! and of every index holding a seconds column, on every declaration, inside the one
//! writer's turn. A declaration now writes its seconds in its own `INSERT`, and the
//! triggers stay as the guarantee for every other writer (an update of the times, a
//! hand-run fix in SQL, a seconds value computed slightly differently): whatever wrote
//! the row, the columns end equal to the triggers' expressions. PostgreSQL's `BEFORE`
//! trigger sets the values on the row being written and costs no second write.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use crate::m20261202_000020_incident_declare_seconds::{
    TIMESTAMPS, assignments, columns, epoch, triggers,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `NEW.x_secs IS NOT <its expression> OR …`: some column is not what the trigger would set.
fn stale(backend: DatabaseBackend) -> String {
    columns("NEW", true)
        .into_iter()
        .map(|(column, source)| format!("NEW.{column} IS NOT {}", epoch(backend, &source)))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn up_statements(backend: DatabaseBackend) -> Vec<String> {
    if backend == DatabaseBackend::Postgres {
        return Vec::new();
    }
    let set = assignments(backend, "NEW", "", true, ", ");
    let when = stale(backend);
    vec![
        "DROP TRIGGER incidents_epoch_seconds_insert".to_owned(),
        "DROP TRIGGER incidents_epoch_seconds_update".to_owned(),
        format!(
            "CREATE TRIGGER incidents_epoch_seconds_insert AFTER INSERT ON incidents \
             WHEN {when} BEGIN UPDATE incidents SET {set} WHERE id = NEW.id; END"
        ),
        format!(
            "CREATE TRIGGER incidents_epoch_seconds_update AFTER UPDATE OF {TIMESTAMPS} \
             ON incidents WHEN {when} BEGIN UPDATE incidents SET {set} WHERE id = NEW.id; END"
        ),
    ]
}

fn down_statements(backend: DatabaseBackend) -> Vec<String> {
    if backend == DatabaseBackend::Postgres {
        return Vec::new();
    }
    triggers(backend, true)
}

sql_migration!(in_transaction);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_triggers_are_guarded_by_every_column_and_postgres_is_left_alone() {
        let sqlite = up_statements(DatabaseBackend::Sqlite);
        assert_eq!(sqlite.len(), 4);
        for create in &sqlite[2..] {
            assert_eq!(create.matches(" IS NOT CAST(ROUND(").count(), 6, "{create}");
            assert!(create.contains("WHEN NEW.start_secs IS NOT"));
            assert!(create.contains("OR NEW.declare_secs IS NOT"));
            assert!(create.contains("BEGIN UPDATE incidents SET start_secs = "));
        }
        let down = down_statements(DatabaseBackend::Sqlite).join(";\n");
        assert!(!down.contains("WHEN"));
        assert!(up_statements(DatabaseBackend::Postgres).is_empty());
        assert!(down_statements(DatabaseBackend::Postgres).is_empty());
    }
}
