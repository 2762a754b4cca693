//! Opening the database: an embedded SQLite file by default, PostgreSQL for teams that
//! run several stateless replicas on one database.

pub mod pack;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, SqlxPostgresConnector, SqlxSqliteConnector, Statement,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, CONTENTION};

/// The default database: a SQLite file under `./data`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/vigil.db";

/// How long a SQLite writer waits for the one before it before the write is refused as
/// contention (and retried, or answered 503 with `Retry-After`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _| {
            Box::pin(async move {
                stable_plans(conn).await?;
                pack::register(conn).await
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| DbSetupError::Connect(format!("{}: {e}", file.display())))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
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

async fn connect_postgres(url: &str) -> Result<DatabaseConnection, DbSetupError> {
    let options =
        PgConnectOptions::from_str(url).map_err(|e| DbSetupError::InvalidUrl(e.to_string()))?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
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

/// Starts a transaction that will write. On SQLite it first waits for this process's turn
/// to write (one writer at a time per database file, in arrival order), then takes the
/// write lock at once (`BEGIN IMMEDIATE`). The turn is what keeps sixteen concurrent
/// writers fast: without it each one that found the lock taken slept in SQLite's busy
/// handler (1, 2, 5 .. 100 ms, however soon the lock was freed) while holding one of the
/// pool's connections; with it, a waiter holds no connection and is woken by the commit
/// before it. The busy timeout still covers writers in other processes (the CLI).
/// PostgreSQL needs no turn; its row locks order concurrent writers.
pub async fn begin_write(db: &impl Writer) -> Result<Write, DbErr> {
    db.begin_write().await
}

/// What a write transaction starts on: the pool, or a transaction already running (a
/// savepoint inside it, which already holds the turn).
pub trait Writer: ConnectionTrait {
    /// See [`begin_write`].
    fn begin_write(&self) -> impl Future<Output = Result<Write, DbErr>> + Send;
}

impl Writer for DatabaseConnection {
    async fn begin_write(&self) -> Result<Write, DbErr> {
        let turn = match write_turns(self) {
            // As long as SQLite's busy timeout, and refused the same way: as contention,
            // which the API answers with 503 and `Retry-After`.
            Some(turns) => Some(
                tokio::time::timeout(BUSY_TIMEOUT, turns.acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .ok_or(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))?,
            ),
            None => None,
        };
        let txn = self
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(Write { txn, _turn: turn })
    }
}

impl Writer for DatabaseTransaction {
    async fn begin_write(&self) -> Result<Write, DbErr> {
        let txn = self.begin().await?;
        Ok(Write { txn, _turn: None })
    }
}

impl Writer for Write {
    async fn begin_write(&self) -> Result<Write, DbErr> {
        self.txn.begin_write().await
    }
}

/// The queue of writers for a SQLite pool's file, shared by every pool on that file in
/// this process; `None` on PostgreSQL.
fn write_turns(db: &DatabaseConnection) -> Option<Arc<Semaphore>> {
    static TURNS: LazyLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> =
        LazyLock::new(Default::default);
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_owned();
    let mut turns = TURNS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(Arc::clone(
        turns
            .entry(file)
            .or_insert_with(|| Arc::new(Semaphore::new(1))),
    ))
}

/// A write transaction from [`begin_write`], holding the process's turn to write on
/// SQLite until it commits or rolls back (or is dropped, which rolls back).
pub struct Write {
    txn: DatabaseTransaction,
    _turn: Option<OwnedSemaphorePermit>,
}

impl Write {
    /// Commits, then passes the turn to the next writer.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// Rolls back, then passes the turn to the next writer.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for Write {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
}

/// How often a write is tried when other writers are in the way.
const ATTEMPTS: u32 = 3;

/// Runs the write `op` (a whole transaction) again when another writer was in the way,
/// up to [`ATTEMPTS`] times, after a short random pause: an alert storm or a crowd of
/// responders must not see an error for a conflict the database resolves by itself.
pub async fn retrying<T, F, Fut>(mut op: F) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Err(AppError::Busy(message)) if message == CONTENTION && attempt < ATTEMPTS => {
                let pause = rand::random_range(10..50u64) * u64::from(attempt);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
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

    #[tokio::test]
    async fn contention_is_tried_again_and_other_errors_are_not() {
        let calls = std::cell::Cell::new(0);
        let result = retrying(|| {
            calls.set(calls.get() + 1);
            async {
                if calls.get() < 3 {
                    Err(AppError::Busy(CONTENTION.into()))
                } else {
                    Ok(calls.get())
                }
            }
        })
        .await;
        assert_eq!(result, Ok(3));

        calls.set(0);
        let result: Result<(), _> = retrying(|| {
            calls.set(calls.get() + 1);
            async { Err(AppError::Busy(CONTENTION.into())) }
        })
        .await;
        assert_eq!(result, Err(AppError::Busy(CONTENTION.into())));
        assert_eq!(calls.get(), ATTEMPTS, "gives up after {ATTEMPTS} attempts");

        calls.set(0);
        let result: Result<(), _> = retrying(|| {
            calls.set(calls.get() + 1);
            async {
                Err(AppError::Conflict {
                    message: "stale".into(),
                })
            }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.get(), 1, "a stale version is not a conflict to retry");
    }

    /// Writers waiting for their turn hold none of the pool's connections, so reads go on
    /// while a long write runs, and every waiting writer then gets its turn in order.
    /// (Before the turn, seven waiters took the other seven connections into SQLite's busy
    /// handler and a read waited for the busy timeout.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_writers_leave_the_connections_to_readers() {
        let dir = tempfile_dir();
        let db = connect(&format!("sqlite://{}/turns.db", dir.display()))
            .await
            .unwrap();
        db.execute_unprepared("CREATE TABLE t (n INTEGER NOT NULL)")
            .await
            .unwrap();
        let long = begin_write(&db).await.unwrap();
        long.execute_unprepared("INSERT INTO t VALUES (0)")
            .await
            .unwrap();
        let mut writers = Vec::new();
        for n in 1..=12 {
            let db = db.clone();
            writers.push(tokio::spawn(async move {
                let txn = begin_write(&db).await?;
                txn.execute_unprepared(&format!("INSERT INTO t VALUES ({n})"))
                    .await?;
                txn.commit().await
            }));
            // Each writer is waiting before the next one arrives.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let read = tokio::time::timeout(
            Duration::from_secs(2),
            db.query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) AS n FROM t",
            )),
        )
        .await
        .expect("a read is not kept waiting by queued writers")
        .unwrap()
        .unwrap();
        assert_eq!(
            read.try_get::<i64>("", "n").unwrap(),
            0,
            "the long write is not committed yet"
        );
        long.commit().await.unwrap();
        for writer in writers {
            writer.await.unwrap().expect("every queued writer commits");
        }
        let count = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) AS n FROM t",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(count.try_get::<i64>("", "n").unwrap(), 13);
        let order: Vec<i64> = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT n FROM t ORDER BY rowid",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<i64>("", "n").unwrap())
            .collect();
        assert_eq!(
            order,
            (0..=12).collect::<Vec<i64>>(),
            "turns in arrival order"
        );
        // A savepoint inside a write needs no second turn.
        let outer = begin_write(&db).await.unwrap();
        let inner = begin_write(&outer).await.unwrap();
        inner.execute_unprepared("DELETE FROM t").await.unwrap();
        inner.commit().await.unwrap();
        outer.commit().await.unwrap();
        std::fs::remove_dir_all(dir).ok();
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

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vigil-db-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
