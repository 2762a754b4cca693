//! The packed blocks move out of the row their `version` lives in (migration 36).
//!
//! Every write to an incident raises its block's `version`, and on SQLite raising one
//! column rewrites the whole row: with the packed values in it, a declaration read and
//! wrote back up to 300 KB (the open block's packed incidents) two or three times, which
//! halved the rate of declarations once a report had kept the blocks. `report_blocks` now
//! holds only `block` and `version`; the packed values and the `built_version` they were
//! packed at live in `report_block_packs`, written only by the reports. The packs are not
//! carried over: the next report packs every block again.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn up_statements(backend: DatabaseBackend) -> Vec<String> {
    let blob = match backend {
        DatabaseBackend::Postgres => "BYTEA",
        _ => "BLOB",
    };
    let mut sql = vec![format!(
        "CREATE TABLE report_block_packs (block BIGINT NOT NULL PRIMARY KEY, \
         built_version BIGINT NOT NULL, incidents {blob}, links {blob})"
    )];
    if backend == DatabaseBackend::Postgres {
        // Packed integers hardly compress; reading them back should not inflate.
        sql.extend([
            "ALTER TABLE report_block_packs ALTER COLUMN incidents SET STORAGE EXTERNAL".to_owned(),
            "ALTER TABLE report_block_packs ALTER COLUMN links SET STORAGE EXTERNAL".to_owned(),
        ]);
    }
    for column in ["built_version", "incidents", "links"] {
        sql.push(format!("ALTER TABLE report_blocks DROP COLUMN {column}"));
    }
    sql
}

fn down_statements(backend: DatabaseBackend) -> Vec<String> {
    let blob = match backend {
        DatabaseBackend::Postgres => "BYTEA",
        _ => "BLOB",
    };
    vec![
        "ALTER TABLE report_blocks ADD COLUMN built_version BIGINT".to_owned(),
        format!("ALTER TABLE report_blocks ADD COLUMN incidents {blob}"),
        format!("ALTER TABLE report_blocks ADD COLUMN links {blob}"),
        "DROP TABLE report_block_packs".to_owned(),
    ]
}

sql_migration!(in_transaction);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_row_keeps_no_packed_value() {
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            let up = up_statements(backend).join(";\n");
            for column in ["built_version", "incidents", "links"] {
                assert!(up.contains(&format!("report_blocks DROP COLUMN {column}")));
            }
            assert!(up.starts_with("CREATE TABLE report_block_packs"));
            assert_eq!(down_statements(backend).len(), 4);
        }
    }
}
