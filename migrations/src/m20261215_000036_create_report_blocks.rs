//! The incident history kept packed for the reports, a block of 4,096 incident ids at a
//! time (`metrics::scan::blocks`).
//!
//! A report over most of the history read and packed every incident of it on each view:
//! 100,000 rows, about 1 µs each on PostgreSQL. Packed once, a block is read back as one
//! value until something in it changes. What changes it is told by the database itself:
//! triggers on `incidents` (the columns a report reads) and `incident_services` raise the
//! block's `version` in the writing transaction, so no write path can forget, and a packed
//! value counts only while its `built_version` equals `version`. The reader packs a block and
//! reads its `version` in one statement (one snapshot) and stores the value only `WHERE version`
//! is still what it read, so a write committed meanwhile leaves the block to be packed
//! again rather than stale.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Incident ids per block; `metrics::scan::blocks::BLOCK` is the same number.
const BLOCK: i64 = 4_096;

/// The incident columns a report reads: the moments (and on SQLite the epoch seconds the
/// triggers of migration 20 keep from them), severity and merging.
const READ_COLUMNS: &str = "severity_id, merged_into_id, impact_started_at, detected_at, \
     declared_at, acknowledged_at, mitigated_at, resolved_at, declare_secs, start_secs, \
     detect_secs, ack_secs, mitigate_secs, resolve_secs";

/// Raises the `version` of the block holding incident `id` (creating its row).
fn bump(backend: DatabaseBackend, id: &str) -> String {
    let table = match backend {
        DatabaseBackend::Postgres => "report_blocks.",
        _ => "",
    };
    format!(
        "INSERT INTO report_blocks (block, version) VALUES ({id} / {BLOCK}, 1) \
         ON CONFLICT (block) DO UPDATE SET version = {table}version + 1"
    )
}

fn up_statements(backend: DatabaseBackend) -> Vec<String> {
    let blob = match backend {
        DatabaseBackend::Postgres => "BYTEA",
        _ => "BLOB",
    };
    let mut sql = vec![
        format!(
            "CREATE TABLE report_blocks (block BIGINT NOT NULL PRIMARY KEY, \
             version BIGINT NOT NULL, built_version BIGINT, incidents {blob}, links {blob})"
        ),
        format!(
            "INSERT INTO report_blocks (block, version) \
             SELECT DISTINCT id / {BLOCK}, 1 FROM incidents"
        ),
    ];
    match backend {
        DatabaseBackend::Postgres => {
            sql.extend([
                // Packed integers hardly compress; reading them back should not inflate.
                "ALTER TABLE report_blocks ALTER COLUMN incidents SET STORAGE EXTERNAL".to_owned(),
                "ALTER TABLE report_blocks ALTER COLUMN links SET STORAGE EXTERNAL".to_owned(),
                format!(
                    "CREATE FUNCTION report_blocks_touch() RETURNS trigger AS $$ BEGIN \
                     IF TG_TABLE_NAME = 'incidents' THEN \
                       IF TG_OP <> 'INSERT' THEN {}; END IF; \
                       IF TG_OP <> 'DELETE' THEN {}; END IF; \
                     ELSE \
                       IF TG_OP <> 'INSERT' THEN {}; END IF; \
                       IF TG_OP <> 'DELETE' THEN {}; END IF; \
                     END IF; \
                     RETURN NULL; END $$ LANGUAGE plpgsql",
                    bump(backend, "OLD.id"),
                    bump(backend, "NEW.id"),
                    bump(backend, "OLD.incident_id"),
                    bump(backend, "NEW.incident_id"),
                ),
                "CREATE TRIGGER report_blocks_incidents AFTER INSERT OR DELETE ON incidents \
                 FOR EACH ROW EXECUTE FUNCTION report_blocks_touch()"
                    .to_owned(),
                format!(
                    "CREATE TRIGGER report_blocks_incidents_update AFTER UPDATE OF {READ_COLUMNS} \
                     ON incidents FOR EACH ROW EXECUTE FUNCTION report_blocks_touch()"
                ),
                "CREATE TRIGGER report_blocks_links AFTER INSERT OR UPDATE OR DELETE \
                 ON incident_services FOR EACH ROW EXECUTE FUNCTION report_blocks_touch()"
                    .to_owned(),
            ]);
        }
        _ => {
            let trigger = |name: &str, event: &str, table: &str, ids: &[&str]| {
                let body: String = ids
                    .iter()
                    .map(|id| format!("{}; ", bump(backend, id)))
                    .collect();
                format!("CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body}END")
            };
            sql.extend([
                trigger(
                    "report_blocks_incident_insert",
                    "INSERT",
                    "incidents",
                    &["NEW.id"],
                ),
                trigger(
                    "report_blocks_incident_update",
                    &format!("UPDATE OF {READ_COLUMNS}"),
                    "incidents",
                    &["NEW.id"],
                ),
                trigger(
                    "report_blocks_incident_delete",
                    "DELETE",
                    "incidents",
                    &["OLD.id"],
                ),
                trigger(
                    "report_blocks_link_insert",
                    "INSERT",
                    "incident_services",
                    &["NEW.incident_id"],
                ),
                trigger(
                    "report_blocks_link_update",
                    "UPDATE",
                    "incident_services",
                    &["OLD.incident_id", "NEW.incident_id"],
                ),
                trigger(
                    "report_blocks_link_delete",
                    "DELETE",
                    "incident_services",
                    &["OLD.incident_id"],
                ),
            ]);
        }
    }
    sql
}

fn down_statements(backend: DatabaseBackend) -> Vec<String> {
    let mut sql = match backend {
        DatabaseBackend::Postgres => vec![
            "DROP TRIGGER report_blocks_links ON incident_services".to_owned(),
            "DROP TRIGGER report_blocks_incidents_update ON incidents".to_owned(),
            "DROP TRIGGER report_blocks_incidents ON incidents".to_owned(),
            "DROP FUNCTION report_blocks_touch()".to_owned(),
        ],
        _ => [
            "report_blocks_incident_insert",
            "report_blocks_incident_update",
            "report_blocks_incident_delete",
            "report_blocks_link_insert",
            "report_blocks_link_update",
            "report_blocks_link_delete",
        ]
        .map(|name| format!("DROP TRIGGER {name}"))
        .to_vec(),
    };
    sql.push("DROP TABLE report_blocks".to_owned());
    sql
}

sql_migration!(in_transaction);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_a_report_reads_raises_its_block() {
        let sqlite = up_statements(DatabaseBackend::Sqlite).join(";\n");
        assert_eq!(sqlite.matches("CREATE TRIGGER").count(), 6);
        assert!(sqlite.contains(
            "AFTER DELETE ON incident_services BEGIN INSERT INTO report_blocks (block, version) \
             VALUES (OLD.incident_id / 4096, 1) ON CONFLICT (block) DO UPDATE SET version = version + 1; END"
        ));
        let pg = up_statements(DatabaseBackend::Postgres).join(";\n");
        assert!(pg.contains("DO UPDATE SET version = report_blocks.version + 1"));
        assert!(pg.contains("AFTER UPDATE OF severity_id, merged_into_id"));
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            let down = down_statements(backend);
            assert_eq!(down.last().unwrap(), "DROP TABLE report_blocks");
        }
    }
}
