//! Argon2id password hashing, on threads of its own so the async workers stay free.
//!
//! Each hash or check takes about 19 MiB and a core's worth of time for a moment, so at
//! most one per core runs at once: a flood of sign-ins waits its turn, briefly, and is
//! then turned away with 503 instead of taking the server's memory. The work runs on a
//! fixed set of threads, one per core, rather than tokio's blocking pool: the allocator
//! keeps a freed 19 MiB block in the arena of the thread that used it, so spreading checks
//! over hundreds of blocking threads would keep hundreds of those blocks.

use std::sync::mpsc;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::error::AppError;

/// A hash of a random password, verified against when the email is unknown so a failed
/// sign-in takes as long whether or not the account exists.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| password_auth::generate_hash(crate::secrets::random()));

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Permits to run a password hash or check: one per core.
static SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(cores())));

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads, fed through one queue.
static WORKERS: LazyLock<Mutex<mpsc::Sender<Job>>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for n in 0..cores() {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("password-{n}"))
            .spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })
            .expect("a password thread starts");
    }
    Mutex::new(tx)
});

/// Runs `work` on a hashing thread once a slot is free.
async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let permit = slot().await?;
    let (done, result) = oneshot::channel();
    // The permit travels with the job: a request that gives up early (its client went
    // away) still holds its slot until the work it started is done.
    let job: Job = Box::new(move || {
        let _permit = permit;
        let _ = done.send(work());
    });
    WORKERS
        .lock()
        .map_err(AppError::internal)?
        .send(job)
        .map_err(AppError::internal)?;
    result.await.map_err(AppError::internal)
}

/// How long a request waits for a free slot before it is told to come back.
const WAIT_FOR_SLOT: Duration = Duration::from_secs(3);

async fn slot() -> Result<OwnedSemaphorePermit, AppError> {
    match tokio::time::timeout(WAIT_FOR_SLOT, SLOTS.clone().acquire_owned()).await {
        Ok(permit) => permit.map_err(AppError::internal),
        Err(_) => Err(AppError::Busy(
            "The server is checking many passwords right now. Try again in a moment.".into(),
        )),
    }
}

pub async fn hash(password: String) -> Result<String, AppError> {
    run(move || password_auth::generate_hash(password)).await
}

/// True when `password` matches `hash`; with `None` it spends the same time and fails.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, AppError> {
    run(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        known && password_auth::verify_password(password, &hash).is_ok()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert!(
            verify("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
