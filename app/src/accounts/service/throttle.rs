//! Throttling of sign-ins and token guessing, kept in the `throttle_counters` table so it
//! holds across app replicas sharing one database.
//!
//! A sign-in *reserves* its attempt before the password is checked: one upsert bumps the
//! counter and returns the new count, so 150 parallel guesses see 1, 2, … 150 and only the
//! first few reach the (expensive) password check. Tokens are the other way round: the
//! token is checked first (a hash lookup), and only a wrong one is counted, so a valid alert
//! source is never refused because somebody else guessed from the same address.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::error::AppError;

pub const WINDOW_MINUTES: i64 = 15;
const WINDOW_SECS: i64 = WINDOW_MINUTES * 60;
/// Sign-in attempts on one account within the window; a success starts the count again.
pub const MAX_ATTEMPTS_PER_ACCOUNT: i64 = 5;
/// Failed sign-ins from one address within the window (password spraying).
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// Refused credential attempts (alert-source or API tokens) from one address within the
/// window before the address is refused outright: guessing tokens stays hopeless.
pub const MAX_REJECTED_TOKENS_PER_ADDRESS: i64 = 20;

pub const FAILED: &str = "sign_in.failed";
pub const SUCCEEDED: &str = "sign_in.succeeded";

fn placeholder(backend: DatabaseBackend, n: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

/// Counts one more attempt for `key` and returns the count including it. A window that
/// has run out starts again at 1. One statement, so concurrent callers never share a count.
pub async fn count_attempt(db: &impl ConnectionTrait, key: &str) -> Result<i64, AppError> {
    let backend = db.get_database_backend();
    let (p1, p2) = (placeholder(backend, 1), placeholder(backend, 2));
    let expired =
        format!("throttle_counters.window_started <= excluded.window_started - {WINDOW_SECS}");
    let sql = format!(
        "INSERT INTO throttle_counters (\"key\", \"count\", window_started) VALUES ({p1}, 1, {p2}) \
         ON CONFLICT (\"key\") DO UPDATE SET \
         \"count\" = CASE WHEN {expired} THEN 1 ELSE throttle_counters.\"count\" + 1 END, \
         window_started = CASE WHEN {expired} THEN excluded.window_started \
         ELSE throttle_counters.window_started END \
         RETURNING \"count\""
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [key.into(), Utc::now().timestamp().into()],
        ))
        .await?
        .ok_or_else(|| AppError::internal("throttle upsert returned no row"))?;
    Ok(row.try_get::<i64>("", "count")?)
}

/// Takes one attempt back from `key` (a reserved slot that turned out to be no guess).
async fn give_back(db: &impl ConnectionTrait, key: &str) -> Result<(), AppError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "UPDATE throttle_counters SET \"count\" = \"count\" - 1 WHERE \"key\" = {} AND \"count\" > 0",
        placeholder(backend, 1)
    );
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [key.into()]))
        .await?;
    Ok(())
}

async fn forget(db: &impl ConnectionTrait, key: &str) -> Result<(), AppError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "DELETE FROM throttle_counters WHERE \"key\" = {}",
        placeholder(backend, 1)
    );
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [key.into()]))
        .await?;
    Ok(())
}

fn account_key(email: &str) -> String {
    format!("sign_in:account:{}", email.to_lowercase())
}

fn address_key(ip: &str) -> String {
    format!("sign_in:address:{ip}")
}

fn too_many_sign_ins() -> AppError {
    AppError::TooManyRequests(format!(
        "Too many failed sign-in attempts. Wait {WINDOW_MINUTES} minutes and try again."
    ))
}

/// A sign-in attempt that may go on to check the password. Settle it with
/// [`succeeded`] when the password was right; a failure needs nothing more.
#[derive(Debug)]
pub struct Reservation {
    email: String,
    ip: Option<String>,
}

/// Reserves a sign-in attempt for `email` from `ip`, or refuses it with 429 when the
/// account or the address has used up its attempts in this window.
pub async fn reserve_sign_in(
    db: &impl ConnectionTrait,
    email: &str,
    ip: Option<&str>,
) -> Result<Reservation, AppError> {
    if count_attempt(db, &account_key(email)).await? > MAX_ATTEMPTS_PER_ACCOUNT {
        return Err(too_many_sign_ins());
    }
    if let Some(ip) = ip
        && count_attempt(db, &address_key(ip)).await? > MAX_FAILURES_PER_ADDRESS
    {
        return Err(too_many_sign_ins());
    }
    Ok(Reservation {
        email: email.to_owned(),
        ip: ip.map(str::to_owned),
    })
}

/// The reserved attempt was the right password: the account starts afresh, and the
/// address keeps its count of failures only.
pub async fn succeeded(
    db: &impl ConnectionTrait,
    reservation: Reservation,
) -> Result<(), AppError> {
    forget(db, &account_key(&reservation.email)).await?;
    if let Some(ip) = &reservation.ip {
        give_back(db, &address_key(ip)).await?;
    }
    Ok(())
}

/// Counts a wrong token from `ip` (`kind` names the credential, e.g. `api_token`).
/// `Ok` means the caller refuses with 401 and records the attempt; past the limit it is
/// `Err` (429), and nothing more is recorded (a flood must not fill the audit log).
pub async fn token_rejected(
    db: &impl ConnectionTrait,
    kind: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let Some(ip) = ip else {
        return Ok(());
    };
    if count_attempt(db, &format!("token:{kind}:{ip}")).await? > MAX_REJECTED_TOKENS_PER_ADDRESS {
        return Err(AppError::TooManyRequests(format!(
            "Too many wrong tokens from this address. Wait {WINDOW_MINUTES} minutes and try again."
        )));
    }
    Ok(())
}
