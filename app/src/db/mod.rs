//! Opening the database: an embedded SQLite file by default, PostgreSQL for teams that
//! run several stateless replicas on one database.

mod kept;
pub mod pack;
mod shared;
mod write;

pub use kept::Kept;
pub use shared::{Shared, writes, wrote};
pub use write::{Turn, Write, Writer, begin_in_turn, begin_write, retrying, wait_for_turn};

/// The file of a SQLite database, which the process's state per database (the turn to
/// write, queued writes, kept reads) is keyed by; `None` on other backends.
pub fn sqlite_file(db: &DatabaseConnection) -> Option<PathBuf> {
    (db.get_database_backend() == sea_orm::DbBackend::Sqlite).then(|| {
        db.get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .to_owned()
    })
}

/// Which database `db` is, the same for every pool on it in this process (a SQLite file,
/// a PostgreSQL server's database): what state kept between requests is keyed by. `None`
/// for a database only this pool can see (SQLite in memory).
pub fn database_key(db: &DatabaseConnection) -> Option<String> {
    match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            shared_sqlite_file(db).map(|file| format!("sqlite:{}", file.display()))
        }
        sea_orm::DbBackend::Postgres => {
            let options = db.get_postgres_connection_pool().connect_options();
            Some(format!(
                "postgres:{}:{}:{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default()
            ))
        }
        _ => None,
    }
}

/// The SQLite file of `db` when another pool could open it too; `None` in memory (sqlx
/// names an in-memory database `file:sqlx-in-memory-N`) and on other backends.
pub(crate) fn shared_sqlite_file(db: &DatabaseConnection) -> Option<PathBuf> {
    let file = sqlite_file(db)?;
    let name = file.to_string_lossy();
    (!name.is_empty() && !name.contains(":memory:") && !name.starts_with("file:")).then_some(file)
}

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{DatabaseConnection, DbErr, SqlxPostgresConnector, SqlxSqliteConnector};

/// The default database: a SQLite file under `./data`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/vigil.db";

/// How long a SQLite writer waits for the one before it before the write is refused as
/// contention (and retried, or answered 503 with `Retry-After`).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the database could not be opened, phrased for an operator reading one line.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error(
        "unsupported database URL {0:?}: use sqlite://PATH (e.g. sqlite://data/vigil.db) or postgres://USER@HOST/DB"
    )]
    UnsupportedUrl(String),
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Connect(String),
}

/// Opens a pool for `url` with the settings Vigil relies on (WAL, foreign keys, busy
/// timeout on SQLite), creating the SQLite file and its directory when missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    if url.starts_with("sqlite:") {
        connect_sqlite(url, 8).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        connect_postgres(url).await
    } else {
        Err(DbSetupError::UnsupportedUrl(redact(url)))
    }
}

/// A handle to run migrations on: for SQLite one connection, since each SQLite connection
/// caches the schema and a second one, having read it before the previous migration ran,
/// could prepare DDL against the old schema ("already exists", "no such index").
pub async fn connect_for_migrations(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    if url.starts_with("sqlite:") {
        connect_sqlite(url, 1).await
    } else {
        connect(url).await
    }
}

async fn connect_sqlite(url: &str, connections: u32) -> Result<DatabaseConnection, DbSetupError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| DbSetupError::InvalidUrl(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // Each connection's page cache is 1 MB, so the pool's eight hold at most 8 MB;
        // the operating system's file cache serves the rest without counting against the
        // server's memory. Temporary b-trees (few since the reports read the history in
        // packed pieces, `metrics::scan`) spill to a file past that cache instead of
        // growing in memory.
        .pragma("temp_store", "file")
        .pragma("cache_size", "-1000");
    let file = options.get_filename().to_owned();
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        ensure_dir(dir)?;
    }
    let pool = sqlite_pool(connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| DbSetupError::Connect(format!("{}: {e}", file.display())))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// A pool of up to `connections` to a SQLite file, each set up as Vigil needs.
fn sqlite_pool(connections: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(connections)
        // sqlx pings every connection it hands out by default: one more trip to the
        // connection's thread for each statement outside a transaction (a third of the
        // trips of an API write). A file cannot hang up, so nothing is gained by it.
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                stable_plans(conn).await?;
                pack::register(conn).await
            })
        })
}

/// Turns on SQLite's query planner stability guarantee for a new connection. Without it
/// SQLite plans some statements for the values bound to them (every `LIMIT ?`, and sea-query
/// binds every limit: each `.one()`, each page), marks such a statement expired whenever
/// that parameter is bound again, and parses and plans it anew on its next step: the
/// driver's statement cache was no cache for them, and under load on the incident list
/// re-preparing took 12% of the server's CPU. Vigil's plans do not depend on bound values
/// (no `LIKE` prefix on an index, no partial index with a parameter), so nothing is lost.
#[allow(unsafe_code)]
async fn stable_plans(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_db_config};
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let mut enabled: std::ffi::c_int = 0;
    // SAFETY: `db` is this connection's open handle, locked (no other call runs on it)
    // for as long as `handle` lives; ENABLE_QPSG takes an int and an int pointer.
    let rc = unsafe {
        sqlite3_db_config(
            db,
            SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            &mut enabled as *mut std::ffi::c_int,
        )
    };
    if rc != SQLITE_OK || enabled != 1 {
        return Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability setting ({rc})").into(),
        ));
    }
    Ok(())
}

/// How long a PostgreSQL connection may sit idle before it is checked when taken.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Whether a connection taken now is pinged first, having sat idle for `idle`.
fn check_before_use(idle: Duration) -> bool {
    idle > IDLE_BEFORE_PING || crate::error::connections_suspect()
}

async fn connect_postgres(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    let options =
        PgConnectOptions::from_str(url).map_err(|e| DbSetupError::InvalidUrl(e.to_string()))?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out by default: a round trip to the server
        // before each statement outside a transaction. Only a connection that sat idle
        // may have been dropped (a restart, a proxy's idle timeout), or any after one was
        // found dropped (`error::connections_suspect`); one that fails its ping is closed
        // and another taken.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if check_before_use(meta.idle_for) {
                    sea_orm::sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        // sqlx keeps a connection's buffers at the largest message it has read or written
        // (`Connection::shrink_buffers`): a report's packed reads would stay behind, a few
        // megabytes on each of the sixteen connections. A released connection gives them
        // back; one under 8 KB has nothing to give.
        .after_release(|conn, _| {
            Box::pin(async move {
                sea_orm::sqlx::Connection::shrink_buffers(conn);
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| DbSetupError::Connect(e.to_string()))?;
    Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
}

/// Writes `changes` to the row whose `id` column is `id`, only while its `version` column
/// still reads `expected`, and bumps it: the optimistic update behind every editable
/// record, so two people editing at once never silently overwrite each other. `false`
/// means another write came first; the caller says so in its domain's words.
pub async fn update_versioned<A: sea_orm::ActiveModelTrait>(
    db: &impl sea_orm::ConnectionTrait,
    changes: A,
    (id_column, id): (<A::Entity as sea_orm::EntityTrait>::Column, i64),
    (version_column, expected): (<A::Entity as sea_orm::EntityTrait>::Column, i32),
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let result = A::Entity::update_many()
        .set(changes)
        .col_expr(version_column, Expr::col(version_column).add(1))
        .filter(id_column.eq(id))
        .filter(version_column.eq(expected))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Every row of `E` in `order`, each made into `T` by `into`: the short lists of names
/// (severities, services, playbooks, channels, people) forms and rules choose from.
pub async fn listed<E: sea_orm::EntityTrait, T>(
    db: &impl sea_orm::ConnectionTrait,
    order: E::Column,
    into: impl FnMut(E::Model) -> T,
) -> Result<Vec<T>, DbErr> {
    use sea_orm::QueryOrder;
    Ok(E::find()
        .order_by_asc(order)
        .all(db)
        .await?
        .into_iter()
        .map(into)
        .collect())
}

fn ensure_dir(dir: &Path) -> Result<(), DbSetupError> {
    std::fs::create_dir_all(dir).map_err(|source| DbSetupError::DataDir {
        path: dir.to_owned(),
        source,
    })
}

/// The URL with any password replaced, safe to print.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pooled SQLite connection reuses its prepared statements whatever is bound.
    #[tokio::test]
    #[allow(unsafe_code)]
    async fn sqlite_connections_keep_their_plans() {
        use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, sqlite3_db_config};
        let db = connect("sqlite::memory:").await.unwrap();
        let mut conn = db.get_sqlite_connection_pool().acquire().await.unwrap();
        let mut handle = conn.lock_handle().await.unwrap();
        let mut enabled: std::ffi::c_int = -1;
        // SAFETY: the locked handle of an open connection; -1 only reads the setting.
        let rc = unsafe {
            sqlite3_db_config(
                handle.as_raw_handle().as_ptr(),
                SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as std::ffi::c_int,
                &mut enabled as *mut std::ffi::c_int,
            )
        };
        assert_eq!(rc, 0);
        assert_eq!(enabled, 1);
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://vigil:s3cret@db/vigil"),
            "postgres://vigil:***@db/vigil"
        );
        assert_eq!(
            redact("postgres://vigil@db/vigil"),
            "postgres://vigil@db/vigil"
        );
        assert_eq!(redact("sqlite://data/vigil.db"), "sqlite://data/vigil.db");
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_refused_with_a_clear_message() {
        let err = connect("mysql://root:pw@localhost/x").await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unsupported database URL"), "{msg}");
        assert!(!msg.contains("pw@"), "{msg}");
    }

    #[tokio::test]
    async fn a_sqlite_file_and_its_directory_are_created() {
        let dir = tempfile_dir();
        let url = format!("sqlite://{}/nested/vigil.db", dir.display());
        let db = connect(&url).await.expect("connects");
        db.ping().await.expect("answers");
        assert!(dir.join("nested/vigil.db").exists());
        std::fs::remove_dir_all(dir).ok();
    }

    /// A fresh directory for a test's database files (also `write`'s tests).
    pub(super) fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vigil-db-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
