//! What every SQLite connection is set up with beyond its pragmas: stable plans, and
//! writers that take the write lock the moment it is free.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use libsqlite3_sys::{
    SQLITE_CHECKPOINT_PASSIVE, SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3,
    sqlite3_busy_handler, sqlite3_db_config, sqlite3_wal_checkpoint_v2, sqlite3_wal_hook,
};
use sea_orm::sqlx::{self, SqliteConnection};

/// How long a statement waits for another connection's write lock before it fails with
/// "database is locked" (and `db::retrying` tries the whole write again).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// WAL frames after which a commit checkpoints, as SQLite's own default hook does.
const AUTOCHECKPOINT: c_int = 1000;

/// The longest a waiting writer sleeps before trying again without being woken: what
/// wakes it is a commit in this process, so a rollback, or a writer in another process (a
/// `vigil` command beside the server), is noticed within this.
const RECHECK: Duration = Duration::from_millis(1);

/// Sets up a new connection: see [`stable_plans`] and [`writers_wake_on_commit`].
#[allow(unsafe_code)]
pub async fn prepare(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, locked (no other call runs on it)
    // for as long as `handle` lives.
    unsafe {
        stable_plans(db)?;
        writers_wake_on_commit(db);
    }
    Ok(())
}

/// Turns on SQLite's query planner stability guarantee. Without it SQLite plans some
/// statements for the values bound to them (every `LIMIT ?`, and sea-query binds every
/// limit: each `.one()`, each page), marks such a statement expired whenever that
/// parameter is bound again, and parses and plans it anew on its next step: the driver's
/// statement cache was no cache for them, and under load on the incident list
/// re-preparing took 12% of the server's CPU. Vigil's plans do not depend on bound values
/// (no `LIKE` prefix on an index, no partial index with a parameter), so nothing is lost.
///
/// # Safety
/// `db` is an open handle no other thread uses meanwhile.
#[allow(unsafe_code)]
unsafe fn stable_plans(db: *mut sqlite3) -> Result<(), sqlx::Error> {
    let mut enabled: c_int = 0;
    // SAFETY: as the function's contract says; ENABLE_QPSG takes an int and an int pointer.
    let rc = unsafe {
        sqlite3_db_config(
            db,
            SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            &mut enabled as *mut c_int,
        )
    };
    if rc != SQLITE_OK || enabled != 1 {
        return Err(sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability setting ({rc})").into(),
        ));
    }
    Ok(())
}

/// Commits made in this process, and the writers waiting for the next one.
struct Commits {
    count: Mutex<u64>,
    made: Condvar,
}

static COMMITS: Commits = Commits {
    count: Mutex::new(0),
    made: Condvar::new(),
};

thread_local! {
    /// When the statement on this thread first found the write lock taken. Each SQLite
    /// connection runs on a thread of its own, one statement at a time.
    static WAITING_SINCE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Replaces SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ms and so on
/// between tries whether or not the lock was released meanwhile: under sixteen concurrent
/// declarations the write lock stood free while every writer slept, and the writes ran at
/// a fraction of what one writer alone manages. Here a waiting writer sleeps until a
/// commit in this process wakes it (the WAL hook runs after a commit has released the
/// lock), or [`RECHECK`] at most, for up to [`BUSY_TIMEOUT`] in all.
///
/// Setting a WAL hook replaces SQLite's automatic checkpoints, so the hook checkpoints
/// as they did: passively, after a commit that leaves [`AUTOCHECKPOINT`] frames or more.
///
/// # Safety
/// `db` is an open handle no other thread uses meanwhile.
#[allow(unsafe_code)]
unsafe fn writers_wake_on_commit(db: *mut sqlite3) {
    // SAFETY: as the function's contract says; the callbacks take no application data
    // (null) and touch only process-wide state and the handle SQLite passes them.
    unsafe {
        sqlite3_busy_handler(db, Some(busy), std::ptr::null_mut());
        sqlite3_wal_hook(db, Some(committed), std::ptr::null_mut());
    }
}

/// SQLite's busy handler: nonzero to try again, zero to give up with SQLITE_BUSY.
extern "C" fn busy(_: *mut c_void, tries: c_int) -> c_int {
    let now = Instant::now();
    let since = WAITING_SINCE.with(|since| {
        if tries == 0 || since.get().is_none() {
            since.set(Some(now));
        }
        since.get().unwrap_or(now)
    });
    if now.duration_since(since) >= BUSY_TIMEOUT {
        return 0;
    }
    let count = COMMITS.count.lock().unwrap_or_else(PoisonError::into_inner);
    let seen = *count;
    drop(
        COMMITS
            .made
            .wait_timeout_while(count, RECHECK, |count| *count == seen)
            .unwrap_or_else(PoisonError::into_inner),
    );
    1
}

/// SQLite's WAL hook, after each commit (with its write lock released).
extern "C" fn committed(
    _: *mut c_void,
    db: *mut sqlite3,
    name: *const c_char,
    frames: c_int,
) -> c_int {
    *COMMITS.count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    COMMITS.made.notify_all();
    if frames >= AUTOCHECKPOINT {
        // SAFETY: SQLite passes its own open handle and the name of the database that
        // committed; a checkpoint from inside the hook is what its default hook does.
        // A failed passive checkpoint is tried again after a later commit.
        #[allow(unsafe_code)]
        unsafe {
            sqlite3_wal_checkpoint_v2(
                db,
                name,
                SQLITE_CHECKPOINT_PASSIVE,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
        }
    }
    SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sqlx::{Connection, Executor, Row};

    /// Every pooled SQLite connection reuses its prepared statements whatever is bound.
    #[tokio::test]
    #[allow(unsafe_code)]
    async fn sqlite_connections_keep_their_plans() {
        let db = crate::db::connect("sqlite::memory:").await.unwrap();
        let mut conn = db.get_sqlite_connection_pool().acquire().await.unwrap();
        let mut handle = conn.lock_handle().await.unwrap();
        let mut enabled: c_int = -1;
        // SAFETY: the locked handle of an open connection; -1 only reads the setting.
        let rc = unsafe {
            sqlite3_db_config(
                handle.as_raw_handle().as_ptr(),
                SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as c_int,
                &mut enabled as *mut c_int,
            )
        };
        assert_eq!(rc, 0);
        assert_eq!(enabled, 1);
    }

    async fn open(url: &str) -> SqliteConnection {
        let mut conn = SqliteConnection::connect(url).await.unwrap();
        prepare(&mut conn).await.unwrap();
        conn
    }

    /// A writer waiting for the lock starts as soon as the holder commits, and the WAL
    /// is still checkpointed although SQLite's own hook was replaced.
    #[tokio::test]
    async fn a_waiting_writer_goes_when_the_lock_is_released_and_the_wal_is_checkpointed() {
        let dir = std::env::temp_dir().join(format!("vigil-locks-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("locks.db").display());
        let mut holder = open(&url).await;
        holder
            .execute("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER, pad BLOB)")
            .await
            .unwrap();
        let mut waiter = open(&url).await;

        holder.execute("BEGIN IMMEDIATE").await.unwrap();
        holder
            .execute("INSERT INTO t VALUES (1, NULL)")
            .await
            .unwrap();
        let started = Instant::now();
        let write = tokio::spawn(async move {
            waiter
                .execute("INSERT INTO t VALUES (2, NULL)")
                .await
                .unwrap();
            (started.elapsed(), waiter)
        });
        // SQLite's own handler would be asleep from 228 to 328 ms by then.
        tokio::time::sleep(Duration::from_millis(240)).await;
        holder.execute("COMMIT").await.unwrap();
        let (waited, mut waiter) = write.await.unwrap();
        assert!(
            waited >= Duration::from_millis(240),
            "the second writer waited for the first: {waited:?}"
        );
        assert!(
            waited < Duration::from_millis(280),
            "and went once the lock was free: {waited:?}"
        );

        // About 3,000 frames in 1,500 commits: without checkpoints the WAL would hold
        // them all.
        for n in 0..1_500 {
            sqlx::query("INSERT INTO t VALUES (?, zeroblob(3000))")
                .bind(n)
                .execute(&mut waiter)
                .await
                .unwrap();
        }
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut waiter)
            .await
            .unwrap();
        let frames: i64 = row.get(1);
        drop((holder, waiter));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(frames < 1_200, "the WAL was checkpointed: {frames} frames");
    }
}
