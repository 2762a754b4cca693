//! Small tables every page and every declaration reads (severities, incident types,
//! custom fields), kept between requests instead of read each time.
//!
//! A kept value is forgotten when this process commits a write to its tables (the
//! service that commits calls [`Kept::wrote`] after the commit) and after a few seconds,
//! for a write made by another replica or by the CLI. Only reads on the pool are kept:
//! a read inside a transaction may see that transaction's own writes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Writer;
use crate::error::AppError;

/// Databases kept at most; tests open hundreds in one process, a server one.
const DATABASES: usize = 16;

/// How long a kept value is used: how soon a write on another replica is seen.
const FRESH: Duration = Duration::from_secs(5);

/// One small read, kept per database.
pub struct Kept<T> {
    /// How long a kept value is used without reading it again.
    fresh: Duration,
    /// Committed writes to the tables read; a value read before the last one is stale.
    writes: AtomicU64,
    kept: Mutex<Vec<(String, Entry<T>)>>,
}

struct Entry<T> {
    /// [`Kept::writes`] when its read began: every write counted up to there is in it.
    writes: u64,
    at: Instant,
    value: Arc<T>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Kept<T> {
    pub const fn new() -> Self {
        Self::fresh_for(FRESH)
    }

    pub const fn fresh_for(fresh: Duration) -> Self {
        Self {
            fresh,
            writes: AtomicU64::new(0),
            kept: Mutex::new(Vec::new()),
        }
    }

    /// Counts a committed write to the tables read: the next read reads them again.
    pub fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::Release);
    }

    /// The value for `db`: the kept one if no write was counted since its read began and
    /// it is younger than `fresh`; otherwise `read` afresh (and kept, when `db` is a pool
    /// on a database other pools could open too).
    pub async fn get<F, Fut>(&self, db: &impl Writer, read: F) -> Result<Arc<T>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let Some(database) = db.pool().and_then(super::database_key) else {
            return read().await.map(Arc::new);
        };
        let asked = self.writes.load(Ordering::Acquire);
        if let Some(value) = self.kept(&database, asked) {
            return Ok(value);
        }
        let began = Instant::now();
        let value = Arc::new(read().await?);
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|(key, entry)| key != &database && entry.at.elapsed() < self.fresh);
        if kept.len() >= DATABASES {
            kept.remove(0);
        }
        kept.push((
            database,
            Entry {
                writes: asked,
                at: began,
                value: Arc::clone(&value),
            },
        ));
        Ok(value)
    }

    fn kept(&self, database: &str, asked: u64) -> Option<Arc<T>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter()
            .find(|(key, _)| key == database)
            .map(|(_, entry)| entry)
            .filter(|entry| entry.writes >= asked && entry.at.elapsed() < self.fresh)
            .map(|entry| Arc::clone(&entry.value))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::db::connect;
    use crate::db::tests::tempfile_dir;

    async fn count(kept: &Kept<usize>, db: &impl Writer, reads: &AtomicUsize) -> usize {
        *kept
            .get(db, || async { Ok(reads.fetch_add(1, Ordering::SeqCst)) })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn kept_per_database_until_a_write_or_for_fresh() {
        let kept = Kept::fresh_for(Duration::from_secs(1));
        let reads = AtomicUsize::new(0);
        let (one, two) = (tempfile_dir(), tempfile_dir());
        let one = connect(&format!("sqlite://{}/a.db", one.display()))
            .await
            .unwrap();
        let two = connect(&format!("sqlite://{}/b.db", two.display()))
            .await
            .unwrap();
        assert_eq!(count(&kept, &one, &reads).await, 0);
        assert_eq!(count(&kept, &one, &reads).await, 0, "kept");
        assert_eq!(count(&kept, &two, &reads).await, 1, "each database its own");
        assert_eq!(count(&kept, &one, &reads).await, 0, "the first still kept");
        kept.wrote();
        assert_eq!(
            count(&kept, &one, &reads).await,
            2,
            "a write is seen at once"
        );
        assert_eq!(count(&kept, &two, &reads).await, 3, "on every database");
        tokio::time::sleep(Duration::from_millis(1050)).await;
        assert_eq!(count(&kept, &one, &reads).await, 4, "and after fresh");

        let txn = crate::db::begin_write(&one).await.unwrap();
        assert_eq!(
            count(&kept, &txn, &reads).await,
            5,
            "a transaction reads itself"
        );
        txn.rollback().await.unwrap();
        let memory = connect("sqlite::memory:").await.unwrap();
        assert_eq!(count(&kept, &memory, &reads).await, 6);
        assert_eq!(
            count(&kept, &memory, &reads).await,
            7,
            "in memory: never kept"
        );
        kept.wrote();
        let refused: Result<Arc<usize>, _> = kept
            .get(&one, || async { Err(AppError::internal("down")) })
            .await;
        assert!(refused.is_err(), "an error is answered");
        assert_eq!(count(&kept, &one, &reads).await, 8, "and not kept");
        assert_eq!(count(&kept, &one, &reads).await, 8);
    }

    #[tokio::test]
    async fn a_write_during_the_read_leaves_nothing_kept() {
        let kept = Kept::new();
        let dir = tempfile_dir();
        let db = connect(&format!("sqlite://{}/a.db", dir.display()))
            .await
            .unwrap();
        let first = kept
            .get(&db, || async {
                kept.wrote();
                Ok(1)
            })
            .await
            .unwrap();
        assert_eq!(*first, 1);
        let second = kept.get(&db, || async { Ok(2) }).await.unwrap();
        assert_eq!(
            *second, 2,
            "what was read before the write is not used after it"
        );
    }
}
