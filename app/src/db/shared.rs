//! A read every viewer shares (the home page's error budgets): computed by one request
//! while the others wait for its answer, then kept while nothing was written on this
//! replica and for at most a few seconds, so a change shows on the next view and time
//! (an open incident's growing downtime) soon after.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::AppError;

/// Write transactions committed in this process (and other writes that count, see
/// [`wrote`]): what a kept read compares to know whether it may be stale.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Counts a committed write. [`super::Write::commit`] calls it; a write made outside a
/// write transaction that changes a shared read calls it itself.
pub fn wrote() {
    WRITES.fetch_add(1, Ordering::Release);
}

/// How many writes were committed in this process so far.
pub fn writes() -> u64 {
    WRITES.load(Ordering::Acquire)
}

/// One shared read, kept.
pub struct Shared<T> {
    /// How long a kept value is used, in seconds of the callers' `now`.
    fresh: i64,
    /// Read by every caller: a lock held for a clone of an `Arc`, so a page served from
    /// memory to 50 connections at once does not queue behind an async lock.
    kept: std::sync::RwLock<Option<Kept<T>>>,
    /// Held by the one caller computing; the others wait on it, then read `kept`.
    computing: tokio::sync::Mutex<()>,
}

struct Kept<T> {
    /// [`writes`] when its computation began: every write counted up to there is in it.
    writes: u64,
    at: i64,
    value: Arc<T>,
}

impl<T> Shared<T> {
    pub const fn new(fresh: i64) -> Self {
        Self {
            fresh,
            kept: std::sync::RwLock::new(None),
            computing: tokio::sync::Mutex::const_new(()),
        }
    }

    /// The kept value, if no write counted by `asked` came after its computation began
    /// and it is younger than `fresh` at `now`.
    fn kept(&self, asked: u64, now: i64) -> Option<Arc<T>> {
        let kept = self
            .kept
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.as_ref()
            .filter(|k| k.writes >= asked && (0..self.fresh).contains(&(now - k.at)))
            .map(|k| Arc::clone(&k.value))
    }

    /// The value at `now`: the kept one when no write was counted by `writes` since its
    /// computation began and it is younger than `fresh`; otherwise `compute`d afresh.
    /// Callers that arrive during a computation wait for it, and one of them computes
    /// again only if a write came in meanwhile: under a write storm the reads are
    /// batched, not each computed.
    pub async fn get<F, Fut>(
        &self,
        now: i64,
        writes: impl Fn() -> u64,
        compute: F,
    ) -> Result<Arc<T>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let asked = writes();
        if let Some(value) = self.kept(asked, now) {
            return Ok(value);
        }
        let _computing = self.computing.lock().await;
        if let Some(value) = self.kept(asked, now) {
            return Ok(value);
        }
        let started = writes();
        let value = Arc::new(compute().await?);
        *self
            .kept
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Kept {
            writes: started,
            at: now,
            value: Arc::clone(&value),
        });
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn kept_until_a_write_or_for_fresh_seconds() {
        let shared = Shared::new(10);
        let computed = AtomicUsize::new(0);
        let count = AtomicU64::new(0);
        let get = |now| {
            shared.get(
                now,
                || count.load(Ordering::SeqCst),
                || async { Ok(computed.fetch_add(1, Ordering::SeqCst)) },
            )
        };
        assert_eq!(*get(100).await.unwrap(), 0);
        assert_eq!(*get(109).await.unwrap(), 0, "kept for ten seconds");
        assert_eq!(*get(110).await.unwrap(), 1, "then computed again");
        count.fetch_add(1, Ordering::SeqCst);
        assert_eq!(*get(111).await.unwrap(), 2, "a write is seen at once");
        assert_eq!(*get(111).await.unwrap(), 2);
        assert_eq!(*get(99).await.unwrap(), 3, "a caller asking about the past");
        let failed: Result<Arc<usize>, _> = shared
            .get(200, || 0, || async { Err(AppError::internal("down")) })
            .await;
        assert!(failed.is_err(), "an error is answered, not kept");
        assert_eq!(*get(99).await.unwrap(), 3, "and the kept value stays");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_during_a_computation_share_its_answer() {
        let shared = Arc::new(Shared::new(10));
        let computed = Arc::new(AtomicUsize::new(0));
        let mut callers = Vec::new();
        for _ in 0..20 {
            let (shared, computed) = (Arc::clone(&shared), Arc::clone(&computed));
            callers.push(tokio::spawn(async move {
                *shared
                    .get(
                        0,
                        || 0,
                        || async {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok(computed.fetch_add(1, Ordering::SeqCst))
                        },
                    )
                    .await
                    .unwrap()
            }));
        }
        for caller in callers {
            assert_eq!(caller.await.unwrap(), 0);
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1, "computed once");
    }
}
