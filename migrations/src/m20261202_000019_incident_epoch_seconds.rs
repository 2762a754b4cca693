//! The moments the reliability reports compute with, as integer seconds since the epoch,
//! kept by the database itself: reports over a year of incidents no longer convert six
//! text timestamps per row (SQLite) on every request.
//!
//! - `start_secs`: impact start (`COALESCE(impact_started_at, declared_at)`)
//! - `detect_secs`: detection (`COALESCE(detected_at, declared_at)`)
//! - `ack_secs`, `mitigate_secs`, `resolve_secs`: acknowledged, mitigated, resolved
//!
//! Triggers fill them on every insert and on every change of a timestamp, whatever code
//! path writes (the app's services, the seed, a hand-run SQL fix). They replace the
//! impact-start expression index and the mitigation index the reports used.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 5] = [
    "start_secs",
    "detect_secs",
    "ack_secs",
    "mitigate_secs",
    "resolve_secs",
];

/// The timestamp expression each column holds, over a row named `row`.
fn sources(row: &str) -> [String; 5] {
    [
        format!("COALESCE({row}.impact_started_at, {row}.declared_at)"),
        format!("COALESCE({row}.detected_at, {row}.declared_at)"),
        format!("{row}.acknowledged_at"),
        format!("{row}.mitigated_at"),
        format!("{row}.resolved_at"),
    ]
}

fn epoch(backend: DatabaseBackend, expr: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(ROUND(EXTRACT(EPOCH FROM {expr})) AS BIGINT)"),
        _ => format!("CAST(ROUND((julianday({expr}) - 2440587.5) * 86400.0) AS INTEGER)"),
    }
}

/// `start_secs = <epoch of row's impact start>`, and so on for each column.
fn assignments(backend: DatabaseBackend, row: &str, target: &str) -> Vec<String> {
    COLUMNS
        .iter()
        .zip(sources(row))
        .map(|(column, source)| format!("{target}{column} = {}", epoch(backend, &source)))
        .collect()
}

const TIMESTAMPS: &str =
    "impact_started_at, detected_at, declared_at, acknowledged_at, mitigated_at, resolved_at";

fn up_statements(backend: DatabaseBackend) -> Vec<String> {
    let mut sql: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("ALTER TABLE incidents ADD COLUMN {c} BIGINT"))
        .collect();
    // Existing rows: the same expression the triggers use.
    sql.push(format!(
        "UPDATE incidents SET {}",
        assignments(backend, "incidents", "")
            .join(", ")
            .replace("incidents.", "")
    ));
    match backend {
        DatabaseBackend::Postgres => {
            sql.push(format!(
                "CREATE FUNCTION incidents_epoch_seconds() RETURNS trigger AS $$ BEGIN \
                 {}; RETURN NEW; END $$ LANGUAGE plpgsql",
                assignments(backend, "NEW", "NEW.").join("; ")
            ));
            sql.push(
                "CREATE TRIGGER incidents_epoch_seconds BEFORE INSERT OR UPDATE ON incidents \
                 FOR EACH ROW EXECUTE FUNCTION incidents_epoch_seconds()"
                    .to_owned(),
            );
        }
        _ => {
            let set = assignments(backend, "NEW", "").join(", ");
            sql.push(format!(
                "CREATE TRIGGER incidents_epoch_seconds_insert AFTER INSERT ON incidents \
                 BEGIN UPDATE incidents SET {set} WHERE id = NEW.id; END"
            ));
            sql.push(format!(
                "CREATE TRIGGER incidents_epoch_seconds_update AFTER UPDATE OF {TIMESTAMPS} \
                 ON incidents BEGIN UPDATE incidents SET {set} WHERE id = NEW.id; END"
            ));
        }
    }
    sql.push("CREATE INDEX idx_incidents_start_secs ON incidents (start_secs)".to_owned());
    sql.push("CREATE INDEX idx_incidents_mitigate_secs ON incidents (mitigate_secs)".to_owned());
    sql.push("DROP INDEX idx_incidents_impact_start".to_owned());
    sql.push("DROP INDEX idx_incidents_mitigated_at".to_owned());
    sql
}

fn down_statements(backend: DatabaseBackend) -> Vec<String> {
    let mut sql = vec![
        "CREATE INDEX idx_incidents_impact_start ON incidents \
         ((COALESCE(impact_started_at, declared_at)))"
            .to_owned(),
        "CREATE INDEX idx_incidents_mitigated_at ON incidents (mitigated_at)".to_owned(),
        "DROP INDEX idx_incidents_start_secs".to_owned(),
        "DROP INDEX idx_incidents_mitigate_secs".to_owned(),
    ];
    match backend {
        DatabaseBackend::Postgres => {
            sql.push("DROP TRIGGER incidents_epoch_seconds ON incidents".to_owned());
            sql.push("DROP FUNCTION incidents_epoch_seconds()".to_owned());
        }
        _ => {
            sql.push("DROP TRIGGER incidents_epoch_seconds_insert".to_owned());
            sql.push("DROP TRIGGER incidents_epoch_seconds_update".to_owned());
        }
    }
    sql.extend(
        COLUMNS
            .iter()
            .map(|c| format!("ALTER TABLE incidents DROP COLUMN {c}")),
    );
    sql
}

sql_migration!();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_triggers_compute_what_the_reports_used_to() {
        let sqlite = up_statements(DatabaseBackend::Sqlite).join(";\n");
        assert!(sqlite.contains(
            "start_secs = CAST(ROUND((julianday(COALESCE(NEW.impact_started_at, NEW.declared_at)) \
             - 2440587.5) * 86400.0) AS INTEGER)"
        ));
        assert!(sqlite.contains(
            "UPDATE incidents SET start_secs = CAST(ROUND((julianday(COALESCE(impact_started_at, \
             declared_at))"
        ));
        let pg = up_statements(DatabaseBackend::Postgres).join(";\n");
        assert!(pg.contains(
            "BEGIN NEW.start_secs = CAST(ROUND(EXTRACT(EPOCH FROM COALESCE(NEW.impact_started_at, \
             NEW.declared_at))) AS BIGINT); NEW.detect_secs ="
        ));
        assert!(pg.contains("NEW.resolve_secs = CAST(ROUND(EXTRACT(EPOCH FROM NEW.resolved_at)) AS BIGINT); RETURN NEW;"));
    }
}
