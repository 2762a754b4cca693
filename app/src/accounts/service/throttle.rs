//! Sign-in throttling, per account and per client address, counted from the audit log so
//! it holds across app replicas sharing one database.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::audit::entity::{self, Entity as AuditLog};
use crate::error::AppError;

pub const WINDOW_MINUTES: i64 = 15;
/// Failed attempts on one account within the window before it is throttled.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
/// Failed attempts from one address within the window (password spraying).
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;

pub const FAILED: &str = "sign_in.failed";
pub const SUCCEEDED: &str = "sign_in.succeeded";

/// Refuses a sign-in attempt when the account or the address failed too often lately.
/// A success resets the account's count.
pub async fn check(
    db: &impl ConnectionTrait,
    email: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let window_start = Utc::now() - Duration::minutes(WINDOW_MINUTES);
    let last_success = AuditLog::find()
        .filter(entity::Column::Action.eq(SUCCEEDED))
        .filter(entity::Column::Subject.eq(email))
        .filter(entity::Column::OccurredAt.gt(window_start))
        .order_by_desc(entity::Column::OccurredAt)
        .one(db)
        .await?
        .map(|row| row.occurred_at);
    let since = last_success.map_or(window_start, |t| t.max(window_start));

    let account_failures = AuditLog::find()
        .filter(entity::Column::Action.eq(FAILED))
        .filter(entity::Column::Subject.eq(email))
        .filter(entity::Column::OccurredAt.gt(since))
        .count(db)
        .await?;
    let address_failures = match ip {
        Some(ip) => {
            AuditLog::find()
                .filter(entity::Column::Action.eq(FAILED))
                .filter(entity::Column::Ip.eq(ip))
                .filter(entity::Column::OccurredAt.gt(window_start))
                .count(db)
                .await?
        }
        None => 0,
    };
    if account_failures >= MAX_FAILURES_PER_ACCOUNT || address_failures >= MAX_FAILURES_PER_ADDRESS
    {
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-in attempts. Wait {WINDOW_MINUTES} minutes and try again."
        )));
    }
    Ok(())
}

/// Refused credential attempts (alert-source or API tokens) from one address within
/// the window before the address is refused outright: guessing tokens stays hopeless.
pub const MAX_REJECTED_TOKENS_PER_ADDRESS: u64 = 20;

/// Refuses an address that presented too many wrong tokens lately (`action` is the
/// audit entry a rejection writes).
pub async fn check_token_guessing(
    db: &impl ConnectionTrait,
    action: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let Some(ip) = ip else {
        return Ok(());
    };
    let rejected = AuditLog::find()
        .filter(entity::Column::Action.eq(action))
        .filter(entity::Column::Ip.eq(ip))
        .filter(entity::Column::OccurredAt.gt(Utc::now() - Duration::minutes(WINDOW_MINUTES)))
        .count(db)
        .await?;
    if rejected >= MAX_REJECTED_TOKENS_PER_ADDRESS {
        return Err(AppError::TooManyRequests(format!(
            "Too many wrong tokens from this address. Wait {WINDOW_MINUTES} minutes and try again."
        )));
    }
    Ok(())
}
