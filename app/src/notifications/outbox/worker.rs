//! The outbox's worker: claims what is due, sends it through the channel's format and
//! records the outcome, retrying with [`backoff`] until [`MAX_ATTEMPTS`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::Notice;
use super::format::{
    Summary, discord_body, email, mattermost_body, signature, slack_body, teams_body,
    teams_connector_body, webhook_body,
};
use super::transport::{Outcome, Sender, post_json};
use crate::error::AppError;
use crate::notifications::entities::{channel, delivery};
use crate::notifications::{ChannelKind, DeliveryStatus};

/// After this many failed attempts a delivery is marked failed (about an hour of
/// retrying with [`backoff`]); an admin can still retry it.
pub const MAX_ATTEMPTS: i32 = 8;

/// How long a claimed delivery is reserved for the worker sending it, so another
/// replica does not send it too.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// A receiver gets this long to answer.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Deliveries claimed per round.
const BATCH: u64 = 20;

static FAILED_ATTEMPTS: AtomicU64 = AtomicU64::new(0);

/// Attempts that failed since this process started (for `/metrics`).
pub fn failed_attempts() -> u64 {
    FAILED_ATTEMPTS.load(Ordering::Relaxed)
}

/// The wait before the next attempt, after `attempts` failed ones: 30 s doubling, at
/// most an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let doublings = attempts.clamp(1, 8) - 1;
    let seconds = 30i64 << doublings;
    chrono::Duration::seconds(seconds.min(3600))
}

/// Sends what is due: claims up to a batch of pending deliveries whose time has come
/// (a claim moves `next_attempt_at` ahead, so a second replica skips them), sends them
/// concurrently and records each outcome. Returns how many were attempted.
pub async fn deliver_due(
    db: &DatabaseConnection,
    client: &Sender,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let paused: Vec<i64> = channel::Entity::find()
        .filter(channel::Column::DisabledAt.is_not_null())
        .select_only()
        .column(channel::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let due = delivery::Entity::find()
        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .filter(delivery::Column::ChannelId.is_not_in(paused))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut sends = tokio::task::JoinSet::new();
    for row in due {
        let claimed = delivery::Entity::update_many()
            .col_expr(delivery::Column::NextAttemptAt, Expr::value(now + LEASE))
            .filter(delivery::Column::Id.eq(row.id))
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(delivery::Column::NextAttemptAt.lte(now))
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            continue;
        }
        let Some(channel) = channel::Entity::find_by_id(row.channel_id).one(db).await? else {
            continue;
        };
        let (db, client, base_url) = (db.clone(), client.clone(), base_url.to_owned());
        sends.spawn(async move {
            let outcome = send(&client, &channel, &row, &base_url).await;
            record(&db, &row, outcome, Utc::now()).await
        });
    }
    Ok(finish_sends(sends, "notification").await)
}

/// Waits for a round's sends, each ending with its outcome recorded; how many there were.
/// A send that could not record its outcome is tried again when its lease runs out.
pub async fn finish_sends(
    mut sends: tokio::task::JoinSet<Result<(), AppError>>,
    what: &str,
) -> usize {
    let mut attempted = 0;
    while let Some(done) = sends.join_next().await {
        attempted += 1;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "could not record a {what} delivery"),
            Err(err) => tracing::error!(error = %err, "a {what} send panicked"),
        }
    }
    attempted
}

async fn send(
    sender: &Sender,
    channel: &channel::Model,
    row: &delivery::Model,
    base_url: &str,
) -> Outcome {
    let notice: Notice = match serde_json::from_str(&row.payload) {
        Ok(n) => n,
        Err(err) => return Outcome::failed(format!("stored event is unreadable: {err}")),
    };
    let summary = || Summary::of(&notice, base_url);
    let body = match channel.kind {
        ChannelKind::Email => {
            return match &sender.mail {
                Some(mailer) => {
                    let to: Vec<&str> = email_addresses(&channel.url).collect();
                    mailer.send(&to, &email(&summary())).await.0
                }
                None => Outcome::failed("this server sends no mail (start it with --smtp-url)"),
            };
        }
        ChannelKind::Slack => slack_body(&notice, base_url),
        ChannelKind::Mattermost => mattermost_body(&summary()),
        ChannelKind::Discord => discord_body(&summary()),
        ChannelKind::Teams => teams_body(&summary()),
        ChannelKind::TeamsConnector => teams_connector_body(&summary()),
        ChannelKind::Webhook => webhook_body(&notice, base_url, row.id),
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let mut headers = Vec::new();
    if channel.kind == ChannelKind::Webhook {
        let timestamp = Utc::now().timestamp();
        headers.push(("X-Vigil-Event", notice.event.as_str().to_owned()));
        headers.push(("X-Vigil-Delivery", row.id.to_string()));
        headers.push(("X-Vigil-Timestamp", timestamp.to_string()));
        if let Some(secret) = &channel.secret {
            headers.push(("X-Vigil-Signature", signature(secret, timestamp, &body)));
        }
    }
    post_json(sender, &channel.url, &headers, body).await
}

/// An e-mail channel keeps its addresses as a `mailto:` URI (RFC 6068) where other
/// channels keep a web address: `mailto:a@example.com,b@example.com`.
pub fn email_addresses(uri: &str) -> impl Iterator<Item = &str> {
    uri.strip_prefix("mailto:")
        .unwrap_or_default()
        .split(',')
        .filter(|a| !a.is_empty())
}

async fn record(
    db: &DatabaseConnection,
    row: &delivery::Model,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let attempts = row.attempts + 1;
    let mut changes = delivery::ActiveModel {
        id: Set(row.id),
        attempts: Set(attempts),
        last_attempt_at: Set(Some(now)),
        last_status_code: Set(outcome.status_code.map(i32::from)),
        ..Default::default()
    };
    match outcome.error {
        None => {
            changes.status = Set(DeliveryStatus::Delivered);
            changes.delivered_at = Set(Some(now));
            changes.last_error = Set(None);
        }
        Some(error) => {
            FAILED_ATTEMPTS.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(delivery = row.id, attempts, %error, "notification delivery failed");
            changes.last_error = Set(Some(error.chars().take(500).collect()));
            if attempts >= MAX_ATTEMPTS {
                changes.status = Set(DeliveryStatus::Failed);
            } else {
                changes.next_attempt_at = Set(now + backoff(attempts));
            }
        }
    }
    changes.update(db).await?;
    Ok(())
}
