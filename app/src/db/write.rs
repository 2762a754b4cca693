//! Writing: one SQLite writer at a time per database file, in arrival order, and writes
//! tried again when another writer was in the way.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, SqlxSqliteConnector, Statement, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::BUSY_TIMEOUT;
use crate::error::{AppError, CONTENTION};

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

    /// The pool, when this is not a transaction: writes may then be grouped with other
    /// requests' (`changes::service` on SQLite) without leaving a caller's transaction.
    fn pool(&self) -> Option<&DatabaseConnection> {
        None
    }
}

impl Writer for DatabaseConnection {
    async fn begin_write(&self) -> Result<Write, DbErr> {
        let turn = wait_for_turn(self).await?;
        begin_in_turn(self, turn).await
    }

    fn pool(&self) -> Option<&DatabaseConnection> {
        Some(self)
    }
}

/// This process's turn to write on a SQLite file, once the writers before have had
/// theirs; `None` on PostgreSQL. Waits as long as SQLite's busy timeout, and is refused
/// the same way: as contention, which the API answers with 503 and `Retry-After`.
pub async fn wait_for_turn(db: &DatabaseConnection) -> Result<Option<Turn>, DbErr> {
    let Some(lane) = lane(db) else {
        return Ok(None);
    };
    let permit = tokio::time::timeout(BUSY_TIMEOUT, Arc::clone(&lane.turns).acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))?;
    let writer = lane.writer(db).await?;
    Ok(Some(Turn {
        _permit: permit,
        writer,
    }))
}

/// The turn to write on one SQLite file, and the connection it writes on.
pub struct Turn {
    _permit: OwnedSemaphorePermit,
    /// The file's writer connection (see [`Lane`]); `None` in memory.
    writer: Option<DatabaseConnection>,
}

/// A write transaction in the `turn` from [`wait_for_turn`] (`BEGIN IMMEDIATE` on SQLite).
pub async fn begin_in_turn(db: &DatabaseConnection, turn: Option<Turn>) -> Result<Write, DbErr> {
    let on = turn.as_ref().and_then(|t| t.writer.as_ref()).unwrap_or(db);
    let txn = on
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(Write { txn, _turn: turn })
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

/// The writers of one SQLite file in this process: the queue for the turn, and the
/// connection the one holding the turn writes on. The writer has a connection of its own
/// (not one of the pool's) so that it never waits behind readers for one: with sixteen
/// requests reading before their writes and eight connections, taking a pool connection
/// for `BEGIN` put the holder of the turn, and every writer queued behind it, at the back
/// of the readers' queue.
struct Lane {
    turns: Arc<Semaphore>,
    writer: tokio::sync::OnceCell<Option<DatabaseConnection>>,
}

/// How long the writer connection stays open unused (tests open hundreds of files).
const WRITER_IDLE: Duration = Duration::from_secs(30);

impl Lane {
    /// The writer connection, opened on first use with `db`'s settings; `None` for a
    /// database only `db` can see (in memory), which has no file a second pool could open.
    async fn writer(&self, db: &DatabaseConnection) -> Result<Option<DatabaseConnection>, DbErr> {
        let writer = self
            .writer
            .get_or_try_init(|| async {
                if super::shared_sqlite_file(db).is_none() {
                    return Ok::<_, DbErr>(None);
                }
                let options = db.get_sqlite_connection_pool().connect_options();
                let pool = super::sqlite_pool(1)
                    .min_connections(0)
                    .idle_timeout(WRITER_IDLE)
                    .acquire_timeout(BUSY_TIMEOUT)
                    .connect_with((*options).clone())
                    .await
                    .map_err(|e| DbErr::Custom(format!("opening the writer connection: {e}")))?;
                Ok(Some(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)))
            })
            .await?;
        Ok(writer.clone())
    }
}

/// The writers of a SQLite pool's file, shared by every pool on that file in this
/// process; `None` on PostgreSQL.
fn lane(db: &DatabaseConnection) -> Option<Arc<Lane>> {
    static LANES: LazyLock<Mutex<HashMap<PathBuf, Arc<Lane>>>> = LazyLock::new(Default::default);
    let file = super::sqlite_file(db)?;
    let mut lanes = LANES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(Arc::clone(lanes.entry(file).or_insert_with(|| {
        Arc::new(Lane {
            turns: Arc::new(Semaphore::new(1)),
            writer: tokio::sync::OnceCell::new(),
        })
    })))
}

/// A write transaction from [`begin_write`], holding the process's turn to write on
/// SQLite until it commits or rolls back (or is dropped, which rolls back).
pub struct Write {
    txn: DatabaseTransaction,
    _turn: Option<Turn>,
}

impl Write {
    /// Commits, then passes the turn to the next writer; counts the write for the reads
    /// kept in [`super::Shared`].
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await?;
        super::wrote();
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::connect;
    use crate::db::tests::tempfile_dir;

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

    /// The holder of the turn writes on a connection of its own: with every one of the
    /// pool's connections taken by readers, a write still begins and commits at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_does_not_wait_for_the_readers_connections() {
        let dir = tempfile_dir();
        let db = connect(&format!("sqlite://{}/writer.db", dir.display()))
            .await
            .unwrap();
        db.execute_unprepared("CREATE TABLE t (n INTEGER NOT NULL)")
            .await
            .unwrap();
        let mut readers = Vec::new();
        for _ in 0..8 {
            readers.push(db.begin().await.unwrap());
        }
        let written = tokio::time::timeout(Duration::from_secs(2), async {
            let txn = begin_write(&db).await?;
            txn.execute_unprepared("INSERT INTO t VALUES (1)").await?;
            txn.commit().await
        })
        .await
        .expect("the write does not queue behind the readers for a connection");
        written.unwrap();
        let seen = readers[0]
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) AS n FROM t",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen.try_get::<i64>("", "n").unwrap(), 1);
        drop(readers);
        std::fs::remove_dir_all(dir).ok();
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
}
