//! Recording changes (deduplicated by the sender's id), reading them back, and linking
//! them to incidents as causes. Callers check the role; these check the rules.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryTrait, Set, SqlErr, Statement, Value,
};

use super::entities::{change, change_service};
use super::{ChangeKind, ChangeOutcome, ChangeView};
use crate::accounts::CurrentUser;
use crate::error::{AppError, FieldError};

mod causes;
mod check;
mod read;
mod together;

pub use causes::*;
use check::checked;
pub use read::*;
use read::{view_of, views};
use together::Written;

/// How many changes one read answers at most.
pub const MAX_PAGE: u64 = 200;
/// The incident page's window before the impact started, unless asked otherwise.
pub const DEFAULT_WINDOW_HOURS: u32 = 24;
/// The longest window the incident page looks back over (a week).
pub const MAX_WINDOW_HOURS: u32 = 168;
/// How many changes the incident page lists.
pub const BEFORE_SHOWN: u64 = 50;
/// Services one change may name.
pub const MAX_SERVICES: usize = 50;

/// A change as a sender reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewChange {
    pub kind: Option<ChangeKind>,
    pub title: String,
    pub version: Option<String>,
    pub author: Option<String>,
    pub link: Option<String>,
    /// When not given: as first reported, else the finish, else now.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub committed_at: Option<DateTime<Utc>>,
    /// Succeeded when it has finished, in progress otherwise, when not given.
    pub outcome: Option<ChangeOutcome>,
    /// `api` when not given.
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub reverts: Option<i64>,
    /// Service slugs.
    pub services: Vec<String>,
}

/// What [`record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub change: ChangeView,
    /// False when a re-sent event updated the change it had recorded before.
    pub created: bool,
}

/// The filters of a list of changes, newest first.
#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    pub service_id: Option<i64>,
    pub kind: Option<ChangeKind>,
    pub outcome: Option<ChangeOutcome>,
    /// Only changes linked (true) or not linked (false) to an incident.
    pub caused_incident: Option<bool>,
    /// Started at or after, epoch seconds.
    pub since: Option<i64>,
    /// Started before, epoch seconds.
    pub until: Option<i64>,
    /// After this position of an earlier page (see [`Position`]).
    pub after: Option<Position>,
    pub limit: u64,
}

/// A place in the newest-first order: a change's start and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub started_secs: i64,
    pub id: i64,
}

impl Position {
    /// `"<started seconds>.<id>"`, as [`Position::to_string`] writes it.
    pub fn parse(value: &str) -> Option<Self> {
        let (secs, id) = value.trim().split_once('.')?;
        Some(Self {
            started_secs: secs.parse().ok()?,
            id: id.parse().ok().filter(|id| *id > 0)?,
        })
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.started_secs, self.id)
    }
}

fn secs(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

fn time(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// Records `new`, or updates the change recorded before under the same source and
/// external id (a deploy reported as started, then as finished). A change that reverts
/// another marks that one rolled back. Validates every field first; nothing is stored
/// from a refused report.
pub async fn record(
    db: &impl crate::db::Writer,
    actor: Option<&CurrentUser>,
    new: &NewChange,
) -> Result<Recorded, AppError> {
    // Checked outside the write: only the writes wait for SQLite's one writer (16
    // senders recorded 905 changes/s with checks and read-back inside, 9 statements a
    // turn).
    let (row, services) = checked(db, new, Utc::now()).await?;
    // A new event (the common case, unless it reverts another) is written in one round
    // trip: on PostgreSQL one statement, its own transaction; on SQLite together with
    // the other senders' waiting changes. Sent before, or a shared write that failed:
    // recorded alone below.
    let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
    if new.reverts.is_none()
        && let Some(pool) = db.pool()
    {
        let first = fresh(&row, actor);
        let saved = if pool.get_database_backend() == DbBackend::Sqlite {
            match together::insert(pool, first, ids.clone()).await? {
                Written::New(saved) => Some(*saved),
                Written::SentBefore | Written::Failed => None,
            }
        } else {
            match insert_new(pool, first, &ids).await {
                Ok(saved) => saved.inspect(|_| crate::db::wrote()),
                // Sent before at this moment, or a service just removed: said below.
                Err(err) if refused(&err).is_some() => None,
                Err(err) => return Err(err.into()),
            }
        };
        if let Some(saved) = saved {
            let services = services.into_iter().map(crate::catalog::service::to_ref);
            return Ok(Recorded {
                change: view_of(saved, services.collect(), Vec::new()),
                created: true,
            });
        }
    }
    // Two first reports of one event at once on PostgreSQL: the second insert meets the
    // unique index and is tried again as the update it is.
    let (saved, created) = match write(db, actor, new, row.clone(), &ids).await? {
        Some(written) => written,
        None => write(db, actor, new, row, &ids)
            .await?
            .ok_or_else(|| AppError::Conflict {
                message: "This change is being recorded by another request; send it again.".into(),
            })?,
    };
    // A new change has the services just checked and no incident yet.
    let change = if created {
        let services = services.into_iter().map(crate::catalog::service::to_ref);
        view_of(saved, services.collect(), Vec::new())
    } else {
        views(db, vec![saved]).await?.remove(0)
    };
    Ok(Recorded { change, created })
}

/// Writes the checked `row` in one transaction: the row and whether it is new; `None`
/// when a report of the same event was inserted meanwhile.
async fn write(
    db: &impl crate::db::Writer,
    actor: Option<&CurrentUser>,
    new: &NewChange,
    mut row: change::ActiveModel,
    services: &[i64],
) -> Result<Option<(change::Model, bool)>, AppError> {
    let txn = crate::db::begin_write(db).await?;
    // A new event is inserted at once, with its services; a re-sent one meets the unique
    // index on (source, external id) and updates the change recorded first. Trying the
    // insert first saves new events (the common case) statements inside the write.
    let inserted = match insert_new(&*txn, fresh(&row, actor), services).await {
        Ok(inserted) => inserted,
        Err(err) => {
            return match refused(&err) {
                // Another unique index met (none today): the caller tries once more.
                Some(Refused::SentMeanwhile) => Ok(None),
                // A service removed since it was checked (or on another replica).
                Some(Refused::ServiceRemoved) => Err(AppError::Invalid(vec![FieldError::new(
                    "services",
                    "A service this change names was just removed.",
                )])),
                None => Err(err.into()),
            };
        }
    };
    let created = inserted.is_some();
    let saved = match inserted {
        Some(saved) => saved,
        None => {
            let Some(found) = change::Entity::find()
                .filter(change::Column::Source.eq(row.source.clone().unwrap()))
                .filter(change::Column::ExternalId.eq(row.external_id.clone().unwrap()))
                .one(&*txn)
                .await?
            else {
                return Ok(None);
            };
            row.id = Set(found.id);
            // A later report that leaves out the start or the commit keeps the first's.
            if new.started_at.is_none()
                && new
                    .finished_at
                    .is_none_or(|f| secs(f) >= found.started_secs)
            {
                row.started_secs = Set(found.started_secs);
            }
            if new.committed_at.is_none() {
                row.committed_secs = Set(found.committed_secs);
            }
            let saved = row.update(&*txn).await?;
            change_service::Entity::delete_many()
                .filter(change_service::Column::ChangeId.eq(saved.id))
                .exec(&*txn)
                .await?;
            change_service::Entity::insert_many(services.iter().map(|&service_id| {
                change_service::ActiveModel {
                    change_id: Set(saved.id),
                    service_id: Set(service_id),
                    started_secs: Set(saved.started_secs),
                }
            }))
            .exec(&*txn)
            .await?;
            saved
        }
    };
    if let Some(reverted) = saved.reverts_id {
        change::Entity::update_many()
            .col_expr(
                change::Column::Outcome,
                sea_orm::sea_query::Expr::value(ChangeOutcome::RolledBack.as_str()),
            )
            .filter(change::Column::Id.eq(reverted))
            .exec(&*txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Some((saved, created)))
}

/// Why the database refused a new change's insert, when it is not a failure.
enum Refused {
    /// A report of the same event was inserted meanwhile (the unique index).
    SentMeanwhile,
    /// A service it names was removed since it was looked up (the links' foreign key).
    ServiceRemoved,
}

fn refused(err: &DbErr) -> Option<Refused> {
    match err.sql_err()? {
        SqlErr::UniqueConstraintViolation(_) => Some(Refused::SentMeanwhile),
        SqlErr::ForeignKeyConstraintViolation(_) => Some(Refused::ServiceRemoved),
        _ => None,
    }
}

/// `row` as first recorded: by `actor`, now.
fn fresh(row: &change::ActiveModel, actor: Option<&CurrentUser>) -> change::ActiveModel {
    let mut fresh = row.clone();
    fresh.created_by = Set(actor.map(|a| a.id.0));
    fresh.created_at = Set(Utc::now());
    fresh
}

/// Inserts `row` with its services in one round trip to the database: on PostgreSQL one
/// statement (atomic on its own), on SQLite two statements in one call (inside the
/// caller's write transaction: SQLite has no writing subqueries). `None`, with nothing
/// written, when the sender's (source, external id) was recorded before.
async fn insert_new(
    db: &impl ConnectionTrait,
    row: change::ActiveModel,
    services: &[i64],
) -> Result<Option<change::Model>, DbErr> {
    let backend = db.get_database_backend();
    let (sql, values) = insert_sql(backend, &row, services);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.first()
        .map(|row| change::Model::from_query_result(row, ""))
        .transpose()
}

/// The SQL of [`insert_new`], and its parameters: it returns the change's row when it
/// was inserted, no row when it was sent before.
fn insert_sql(
    backend: DbBackend,
    row: &change::ActiveModel,
    services: &[i64],
) -> (String, Vec<Value>) {
    let mut insert = change::Entity::insert(row.clone())
        .on_conflict(
            OnConflict::columns([change::Column::Source, change::Column::ExternalId])
                .do_nothing()
                .to_owned(),
        )
        .into_query();
    insert.returning_all();
    let Statement { sql, values, .. } = backend.build(&insert);
    let mut values = values.map(|v| v.0).unwrap_or_default();
    // The ids as given, not joined with the services table: a service removed since it
    // was looked up fails the foreign key (and the whole write) instead of leaving the
    // change without it.
    let links = "INSERT INTO change_services (change_id, service_id, started_secs) \
                 SELECT c.id, s.id, c.started_secs";
    let sql = if backend == DbBackend::Postgres {
        let first = values.len() + 1;
        let ids: Vec<String> = (first..first + services.len())
            .map(|i| format!("(${i}::bigint)"))
            .collect();
        format!(
            "WITH c AS ({sql}), l AS ({links} FROM c CROSS JOIN (VALUES {}) AS s(id)) \
             SELECT * FROM c",
            ids.join(", ")
        )
    } else {
        // `changes() = 1`: the insert before added a row (it was no conflict), so
        // `last_insert_rowid()` is that row and not one an earlier statement added.
        let ids = vec!["SELECT ? AS id"; services.len()].join(" UNION ALL ");
        format!(
            "{sql}; {links} FROM changes c CROSS JOIN ({ids}) AS s \
             WHERE c.id = last_insert_rowid() AND changes() = 1"
        )
    };
    values.extend(services.iter().map(|id| Value::from(*id)));
    (sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_back_what_they_write() {
        let p = Position {
            started_secs: 1_700_000_000,
            id: 42,
        };
        assert_eq!(Position::parse(&p.to_string()), Some(p));
        assert_eq!(
            Position::parse("-5.3"),
            Some(Position {
                started_secs: -5,
                id: 3
            })
        );
        for bad in ["", "12", "a.b", "12.0", "12.-1", "1.2.3"] {
            assert_eq!(Position::parse(bad), None, "{bad:?}");
        }
    }
}
