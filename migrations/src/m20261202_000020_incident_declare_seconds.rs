//! The declaration as integer epoch seconds (`declare_secs`), beside the five moments of
//! migration 19: the dashboard counts incidents per week and month of declaration from
//! the same compact read as every other report, without parsing text per row.
//!
//! The triggers of migration 19 are replaced by ones that keep all six columns, and the
//! reports get indexes that hold every column they read (`metrics::scan`): a report
//! walks a range of one compact index instead of looking each incident up in the
//! table, whose rows carry titles and summaries.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each column with the timestamp expression it holds, over a row named `row`.
pub(crate) fn columns(row: &str, with_declared: bool) -> Vec<(&'static str, String)> {
    let mut out = vec![
        (
            "start_secs",
            format!("COALESCE({row}.impact_started_at, {row}.declared_at)"),
        ),
        (
            "detect_secs",
            format!("COALESCE({row}.detected_at, {row}.declared_at)"),
        ),
        ("ack_secs", format!("{row}.acknowledged_at")),
        ("mitigate_secs", format!("{row}.mitigated_at")),
        ("resolve_secs", format!("{row}.resolved_at")),
    ];
    if with_declared {
        out.push(("declare_secs", format!("{row}.declared_at")));
    }
    out
}

pub(crate) fn epoch(backend: DatabaseBackend, expr: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(ROUND(EXTRACT(EPOCH FROM {expr})) AS BIGINT)"),
        _ => format!("CAST(ROUND((julianday({expr}) - 2440587.5) * 86400.0) AS INTEGER)"),
    }
}

/// `target.column = <epoch of source>` for each column, joined by `separator`.
pub(crate) fn assignments(
    backend: DatabaseBackend,
    row: &str,
    target: &str,
    declared: bool,
    separator: &str,
) -> String {
    columns(row, declared)
        .into_iter()
        .map(|(column, source)| format!("{target}{column} = {}", epoch(backend, &source)))
        .collect::<Vec<_>>()
        .join(separator)
}

pub(crate) const TIMESTAMPS: &str =
    "impact_started_at, detected_at, declared_at, acknowledged_at, mitigated_at, resolved_at";

/// The triggers keeping the columns (five before this migration, six after).
pub(crate) fn triggers(backend: DatabaseBackend, declared: bool) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => vec![format!(
            "CREATE OR REPLACE FUNCTION incidents_epoch_seconds() RETURNS trigger AS $$ BEGIN \
             {}; RETURN NEW; END $$ LANGUAGE plpgsql",
            assignments(backend, "NEW", "NEW.", declared, "; ")
        )],
        _ => {
            let set = assignments(backend, "NEW", "", declared, ", ");
            vec![
                "DROP TRIGGER incidents_epoch_seconds_insert".to_owned(),
                "DROP TRIGGER incidents_epoch_seconds_update".to_owned(),
                format!(
                    "CREATE TRIGGER incidents_epoch_seconds_insert AFTER INSERT ON incidents \
                     BEGIN UPDATE incidents SET {set} WHERE id = NEW.id; END"
                ),
                format!(
                    "CREATE TRIGGER incidents_epoch_seconds_update AFTER UPDATE OF {TIMESTAMPS} \
                     ON incidents BEGIN UPDATE incidents SET {set} WHERE id = NEW.id; END"
                ),
            ]
        }
    }
}

fn up_statements(backend: DatabaseBackend) -> Vec<String> {
    let mut sql = vec![
        "ALTER TABLE incidents ADD COLUMN declare_secs BIGINT".to_owned(),
        format!(
            "UPDATE incidents SET declare_secs = {}",
            epoch(backend, "declared_at")
        ),
    ];
    sql.extend(triggers(backend, true));
    sql.push(REPORT_INDEX.to_owned());
    sql.push(DECLARE_INDEX.to_owned());
    sql.push("DROP INDEX idx_incidents_mitigate_secs".to_owned());
    sql
}

/// Mitigation first: the reports read "open, or mitigated after the window starts".
const REPORT_INDEX: &str = "CREATE INDEX idx_incidents_report ON incidents (mitigate_secs, \
     start_secs, declare_secs, detect_secs, ack_secs, resolve_secs, severity_id, merged_into_id)";
/// Declared in a window: enough to rule out the overlapping ones without the table.
const DECLARE_INDEX: &str = "CREATE INDEX idx_incidents_declare_secs ON incidents \
     (declare_secs, start_secs, mitigate_secs, merged_into_id)";

fn down_statements(backend: DatabaseBackend) -> Vec<String> {
    let mut sql = vec![
        "CREATE INDEX idx_incidents_mitigate_secs ON incidents (mitigate_secs)".to_owned(),
        "DROP INDEX idx_incidents_declare_secs".to_owned(),
        "DROP INDEX idx_incidents_report".to_owned(),
    ];
    sql.extend(triggers(backend, false));
    sql.push("ALTER TABLE incidents DROP COLUMN declare_secs".to_owned());
    sql
}

sql_migration!(in_transaction);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_triggers_keep_all_six_columns_and_roll_back_to_five() {
        let pg = up_statements(DatabaseBackend::Postgres).join(";\n");
        assert!(pg.contains(
            "NEW.resolve_secs = CAST(ROUND(EXTRACT(EPOCH FROM NEW.resolved_at)) AS BIGINT); \
             NEW.declare_secs = CAST(ROUND(EXTRACT(EPOCH FROM NEW.declared_at)) AS BIGINT); \
             RETURN NEW;"
        ));
        let pg_down = down_statements(DatabaseBackend::Postgres).join(";\n");
        assert!(!pg_down.contains("NEW.declare_secs"));
        assert!(pg_down.contains("NEW.resolve_secs"));
        let sqlite = up_statements(DatabaseBackend::Sqlite).join(";\n");
        assert_eq!(
            sqlite
                .matches("declare_secs = CAST(ROUND((julianday(NEW.declared_at)")
                .count(),
            2
        );
    }
}
