//! New changes from many senders at once, written together on SQLite. SQLite takes one
//! writer at a time, and every statement is a round trip to its connection's thread (two
//! thread switches): sixteen senders written one by one spent half the server's time
//! switching threads (1,661 changes/s). Here each sender queues its change and waits for
//! the turn to write; whoever gets it writes every change waiting, in one transaction and
//! one round trip, and answers the others (group commit). A change that was sent before
//! (same source and external id) or a write that failed comes back to its sender, which
//! records it alone as before.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, QueryResult, Statement,
};
use tokio::sync::oneshot;

use super::insert_sql;
use crate::changes::entities::change;
use crate::db::{begin_in_turn, wait_for_turn};

/// Changes written in one transaction at most: a change takes at most 66 parameters
/// (16 columns, 50 services), SQLite allows 32,766 in one call.
const MOST: usize = 64;

/// What became of a queued change.
#[derive(Debug)]
pub(super) enum Written {
    /// Inserted, with its services.
    New(Box<change::Model>),
    /// Its (source, external id) was recorded before: nothing written.
    SentBefore,
    /// The shared write failed: nothing written; the sender records it alone (and
    /// learns why, if it fails again).
    Failed,
}

/// A change waiting for a writer.
struct Waiting {
    ticket: u64,
    row: change::ActiveModel,
    services: Vec<i64>,
    reply: oneshot::Sender<Written>,
}

impl Waiting {
    /// The sender's (source, external id): `None` when it gave no id (never sent before).
    fn key(&self) -> Option<(&str, &str)> {
        let source = self.row.source.try_as_ref()?;
        let id = self.row.external_id.try_as_ref()?.as_deref()?;
        Some((source.as_str(), id))
    }
}

type Queue = Arc<Mutex<VecDeque<Waiting>>>;

/// The changes waiting to be written to one SQLite file, shared by this process's pools
/// on it (as the turn to write is).
fn queue_of(db: &DatabaseConnection) -> Queue {
    static QUEUES: LazyLock<Mutex<HashMap<PathBuf, Queue>>> = LazyLock::new(Default::default);
    let file = crate::db::sqlite_file(db).unwrap_or_default();
    let mut queues = QUEUES.lock().unwrap_or_else(|p| p.into_inner());
    Arc::clone(queues.entry(file).or_default())
}

fn lock(queue: &Queue) -> std::sync::MutexGuard<'_, VecDeque<Waiting>> {
    queue.lock().unwrap_or_else(|p| p.into_inner())
}

/// Inserts `row` and its services on SQLite, with whatever other new changes are
/// waiting when this one's turn comes (or as part of another sender's turn).
pub(super) async fn insert(
    db: &DatabaseConnection,
    row: change::ActiveModel,
    services: Vec<i64>,
) -> Result<Written, DbErr> {
    static TICKETS: AtomicU64 = AtomicU64::new(0);
    let ticket = TICKETS.fetch_add(1, Ordering::Relaxed);
    let queue = queue_of(db);
    let (reply, mut answer) = oneshot::channel();
    lock(&queue).push_back(Waiting {
        ticket,
        row,
        services,
        reply,
    });
    loop {
        let turn = tokio::select! {
            // Written by another sender's turn.
            biased;
            written = &mut answer => return written.map_err(|_| lost()),
            turn = wait_for_turn(db) => turn,
        };
        let turn = match turn {
            Ok(turn) => turn,
            Err(err) => {
                // Waited too long: give up unless a writer took the change meanwhile.
                if withdraw(&queue, ticket) {
                    return Err(err);
                }
                return answer.await.map_err(|_| lost());
            }
        };
        let batch = take_from(&queue);
        if batch.is_empty() {
            // Another turn took this change: its answer is on the way.
            continue;
        }
        // Finished even if this sender goes away: the others wait for its answers.
        let db = db.clone();
        tokio::spawn(async move { write(&db, turn, batch).await })
            .await
            .map_err(|_| lost())?;
    }
}

/// Takes the change with `ticket` out of the queue: whether it was still there.
fn withdraw(queue: &Queue, ticket: u64) -> bool {
    let mut waiting = lock(queue);
    let at = waiting.iter().position(|w| w.ticket == ticket);
    at.map(|at| waiting.remove(at)).is_some()
}

fn lost() -> DbErr {
    DbErr::Custom("a shared write of changes ended without an answer".into())
}

fn take_from(queue: &Queue) -> Vec<Waiting> {
    take(&mut lock(queue))
}

/// Up to [`MOST`] waiting changes, in arrival order, no two with the same key (the
/// second must see the first as sent before: it waits for the next turn).
fn take(queue: &mut VecDeque<Waiting>) -> Vec<Waiting> {
    let mut keys = HashSet::new();
    let mut batch = Vec::new();
    let mut left = VecDeque::new();
    while let Some(waiting) = queue.pop_front() {
        let fresh = match waiting.key() {
            Some((source, id)) => keys.insert((source.to_owned(), id.to_owned())),
            None => true,
        };
        if fresh && batch.len() < MOST {
            batch.push(waiting);
        } else {
            left.push_back(waiting);
        }
    }
    *queue = left;
    batch
}

/// Writes `batch` in one transaction and one round trip, and answers every sender.
async fn write(db: &DatabaseConnection, turn: Option<crate::db::Turn>, batch: Vec<Waiting>) {
    let written = async {
        let txn = begin_in_turn(db, turn).await?;
        let mut sql = Vec::with_capacity(batch.len());
        let mut values = Vec::new();
        for waiting in &batch {
            let (one, mut its) =
                insert_sql(db.get_database_backend(), &waiting.row, &waiting.services);
            sql.push(one);
            values.append(&mut its);
        }
        let rows = txn
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                sql.join("; "),
                values,
            ))
            .await?;
        txn.commit().await?;
        Ok::<_, DbErr>(rows)
    }
    .await;
    match written.and_then(|rows| answers(&batch, &rows)) {
        Ok(answers) => {
            for (waiting, answer) in batch.into_iter().zip(answers) {
                let _ = waiting.reply.send(answer);
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, changes = batch.len(), "a shared write of changes failed; each is recorded alone");
            for waiting in batch {
                let _ = waiting.reply.send(Written::Failed);
            }
        }
    }
}

/// Which row the batch's inserts returned belongs to which change: they come in the
/// batch's order, one for each change inserted, none for one sent before. A change
/// without a key is always inserted; one with a key owns the next row if that row has
/// its key (keys are unique within a batch).
fn answers(batch: &[Waiting], rows: &[QueryResult]) -> Result<Vec<Written>, DbErr> {
    let rows = rows
        .iter()
        .map(|row| change::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    let keys: Vec<_> = batch.iter().map(Waiting::key).collect();
    match_rows(&keys, rows)
}

/// [`answers`] on keys and models: the part that can be tested without a database.
fn match_rows(
    keys: &[Option<(&str, &str)>],
    rows: Vec<change::Model>,
) -> Result<Vec<Written>, DbErr> {
    let mut rows = rows.into_iter().peekable();
    let mut answers = Vec::with_capacity(keys.len());
    for key in keys {
        let owns_next = rows.peek().is_some_and(|row| match key {
            Some((source, id)) => row.source == *source && row.external_id.as_deref() == Some(*id),
            None => true,
        });
        answers.push(if owns_next {
            Written::New(Box::new(rows.next().expect("peeked")))
        } else if key.is_some() {
            Written::SentBefore
        } else {
            return Err(DbErr::Custom("a new change returned no row".into()));
        });
    }
    if rows.next().is_some() {
        return Err(DbErr::Custom("more rows than new changes".into()));
    }
    Ok(answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{ChangeKind, ChangeOutcome};

    fn model(id: i64, source: &str, external_id: Option<&str>) -> change::Model {
        let at = chrono::Utc::now();
        change::Model {
            id,
            kind: ChangeKind::Deploy,
            title: "t".into(),
            version: None,
            author: None,
            link: None,
            started_secs: 0,
            finished_secs: None,
            committed_secs: None,
            outcome: ChangeOutcome::Succeeded,
            source: source.into(),
            external_id: external_id.map(Into::into),
            reverts_id: None,
            created_by: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn ids(answers: &[Written]) -> Vec<Option<i64>> {
        answers
            .iter()
            .map(|a| match a {
                Written::New(m) => Some(m.id),
                Written::SentBefore => None,
                Written::Failed => Some(-1),
            })
            .collect()
    }

    #[test]
    fn rows_go_to_the_changes_inserted_in_order() {
        let keys = [
            Some(("ci", "a")),
            None,
            Some(("ci", "b")),
            Some(("flags", "a")),
            None,
        ];
        // "b" was sent before: no row for it.
        let rows = vec![
            model(1, "ci", Some("a")),
            model(2, "api", None),
            model(3, "flags", Some("a")),
            model(4, "api", None),
        ];
        let answers = match_rows(&keys, rows).unwrap();
        assert_eq!(ids(&answers), [Some(1), Some(2), None, Some(3), Some(4)]);
    }

    #[test]
    fn a_row_never_goes_to_another_sources_change() {
        // Same id, other source: ("ci", "a") was sent before, ("flags", "a") is new.
        let answers = match_rows(
            &[Some(("ci", "a")), Some(("flags", "a"))],
            vec![model(7, "flags", Some("a"))],
        )
        .unwrap();
        assert_eq!(ids(&answers), [None, Some(7)]);
    }

    #[test]
    fn rows_that_do_not_add_up_are_an_error() {
        assert!(match_rows(&[None], vec![]).is_err());
        assert!(match_rows(&[Some(("ci", "a"))], vec![model(1, "ci", Some("b"))]).is_err());
        assert!(match_rows(&[], vec![model(1, "api", None)]).is_err());
    }

    #[test]
    fn a_batch_keeps_arrival_order_and_leaves_a_second_report_of_one_event() {
        let mut queue = VecDeque::new();
        let mut receivers = Vec::new();
        for (ticket, id) in [(0, Some("a")), (1, None), (2, Some("a")), (3, Some("b"))] {
            let (reply, answer) = oneshot::channel();
            receivers.push(answer);
            queue.push_back(Waiting {
                ticket,
                row: change::ActiveModel {
                    source: sea_orm::Set("ci".into()),
                    external_id: sea_orm::Set(id.map(Into::into)),
                    ..Default::default()
                },
                services: vec![1],
                reply,
            });
        }
        let batch = take(&mut queue);
        assert_eq!(
            batch.iter().map(|w| w.ticket).collect::<Vec<_>>(),
            [0, 1, 3]
        );
        assert_eq!(queue.iter().map(|w| w.ticket).collect::<Vec<_>>(), [2]);
        assert_eq!(take(&mut queue).len(), 1);
        assert!(queue.is_empty());
    }
}
