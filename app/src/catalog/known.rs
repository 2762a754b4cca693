//! Services by slug, kept between requests for the write that names them thousands of
//! times a second: pipelines reporting changes (one read fewer per change). A kept
//! service is forgotten when this process writes any service, and after a few seconds
//! (another replica may have renamed or removed one); a slug not kept is read from the
//! database. Renaming keeps the id, so a change recorded under a slug renamed on another
//! replica a moment ago still lands on the right service.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::entities::service as entity;

/// How long a kept service is used without reading it again.
const FRESH: Duration = Duration::from_secs(5);
/// Services kept at most (the whole catalogue of a large organisation).
const MOST: usize = 10_000;

/// Writes to services in this process; a kept service read before the last one is stale.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Counts a committed write to a service (created, renamed, archived, removed).
pub fn wrote() {
    WRITES.fetch_add(1, Ordering::Release);
}

struct Kept {
    model: entity::Model,
    /// [`WRITES`] when its read began.
    writes: u64,
    at: Instant,
}

/// Kept services by database (tests run many in one process) and slug.
static KEPT: LazyLock<Mutex<HashMap<(String, String), Kept>>> = LazyLock::new(Default::default);

/// The services with these slugs (no error for a missing one: it is not in the answer).
pub async fn by_slugs(
    db: &DatabaseConnection,
    slugs: &[String],
) -> Result<Vec<entity::Model>, DbErr> {
    let Some(database) = crate::db::database_key(db) else {
        return read(db, slugs).await;
    };
    let asked = WRITES.load(Ordering::Acquire);
    let now = Instant::now();
    {
        let kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
        let found: Option<Vec<entity::Model>> = slugs
            .iter()
            .map(|slug| {
                kept.get(&(database.clone(), slug.clone()))
                    .filter(|k| k.writes >= asked && now.duration_since(k.at) < FRESH)
                    .map(|k| k.model.clone())
            })
            .collect();
        if let Some(found) = found {
            return Ok(found);
        }
    }
    let writes = WRITES.load(Ordering::Acquire);
    let found = read(db, slugs).await?;
    let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    if kept.len() + found.len() > MOST {
        kept.retain(|_, k| now.duration_since(k.at) < FRESH);
        if kept.len() + found.len() > MOST {
            kept.clear();
        }
    }
    for model in &found {
        kept.insert(
            (database.clone(), model.slug.clone()),
            Kept {
                model: model.clone(),
                writes,
                at: now,
            },
        );
    }
    Ok(found)
}

async fn read(db: &DatabaseConnection, slugs: &[String]) -> Result<Vec<entity::Model>, DbErr> {
    entity::Entity::find()
        .filter(entity::Column::Slug.is_in(slugs.iter().cloned()))
        .all(db)
        .await
}
