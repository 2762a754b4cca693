//! What subscribers of the status page are sent, and the worker that sends it. A public
//! change writes one [`Announcement`] and a delivery per confirmed subscriber in the
//! change's own transaction; [`deliver_due`] sends them (mail over SMTP, or a signed
//! webhook post) and retries failures as notifications do.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};
use serde::{Deserialize, Serialize};

use super::entities::{announcement, delivery, subscriber};
use super::subscribers::SubscriberKind;
use super::{Maintenance, PublicIncident};
use crate::error::AppError;
use crate::named::named_enum;
use crate::notifications::DeliveryStatus;
use crate::notifications::outbox::{MAX_ATTEMPTS, Outcome, backoff, finish_sends};

mod hook;
mod mail;

pub use crate::notifications::outbox::{Mail, Mailer};

/// How long a claimed delivery is reserved for the worker sending it.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// Deliveries claimed per round; a worker that found a full batch goes again at once, so
/// a long list is sent as fast as the relay takes it.
pub const BATCH: usize = 50;

named_enum! {
    /// What happened, in the words webhook receivers read (`X-Vigil-Event`).
    pub enum AnnouncementEvent {
        IncidentCreated => "incident.created", "Incident published";
        IncidentUpdated => "incident.updated", "Incident updated";
        MaintenanceScheduled => "maintenance.scheduled", "Maintenance scheduled";
        MaintenanceUpdated => "maintenance.updated", "Maintenance changed";
        MaintenanceCompleted => "maintenance.completed", "Maintenance completed";
        MaintenanceCancelled => "maintenance.cancelled", "Maintenance cancelled";
    }
}

/// A public change as it was when made: only what the public page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub event: AnnouncementEvent,
    /// The page's name, for subjects and greetings.
    pub page: String,
    pub occurred_at: DateTime<Utc>,
    pub incident: Option<PublicIncident>,
    pub maintenance: Option<Maintenance>,
}

/// How the worker reaches subscribers: mail when the server has an SMTP relay, the
/// notification worker's HTTP client for webhooks.
#[derive(Clone)]
pub struct Senders {
    pub mail: Option<Mailer>,
    pub web: crate::notifications::outbox::Sender,
}

/// Queues `announcement` for every confirmed subscriber, inside the change's
/// transaction: one row for the announcement, one statement for the deliveries.
pub async fn announce(
    db: &impl ConnectionTrait,
    announcement: &Announcement,
) -> Result<(), AppError> {
    let anyone = subscriber::Entity::find()
        .filter(subscriber::Column::ConfirmedAt.is_not_null())
        .select_only()
        .column(subscriber::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some();
    if !anyone {
        return Ok(());
    }
    let now = Utc::now();
    let saved = announcement::ActiveModel {
        event: Set(announcement.event.as_str().to_owned()),
        payload: Set(serde_json::to_string(announcement).map_err(AppError::internal)?),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        sea_orm::DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let sql = format!(
        "INSERT INTO status_deliveries (subscriber_id, announcement_id, status, attempts, next_attempt_at, created_at) \
         SELECT id, {}, {}, 0, {}, {} FROM status_subscribers WHERE confirmed_at IS NOT NULL",
        p(1),
        p(2),
        p(3),
        p(4)
    );
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [
            saved.id.into(),
            DeliveryStatus::Pending.as_str().into(),
            now.into(),
            now.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Queues the request to confirm subscription `subscriber_id`.
pub async fn request_confirmation(
    db: &impl ConnectionTrait,
    subscriber_id: i64,
) -> Result<(), AppError> {
    let now = Utc::now();
    delivery::ActiveModel {
        subscriber_id: Set(subscriber_id),
        announcement_id: Set(None),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_attempt_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// What one message to one subscriber is about.
pub(crate) enum Message {
    Confirm,
    Announce(Box<Announcement>),
}

/// Where a subscriber's links lead: its page (confirm or unsubscribe with a button), and
/// the one-click unsubscribe address mail clients post to (RFC 8058).
pub(crate) struct Links {
    pub base: String,
    pub manage: String,
    pub confirm: String,
    pub unsubscribe: String,
}

impl Links {
    pub(crate) fn new(base_url: &str, token: &str) -> Self {
        let manage = format!("{base_url}/status/subscriptions/{token}");
        Self {
            base: base_url.to_owned(),
            confirm: format!("{manage}/confirm"),
            unsubscribe: format!("{manage}/unsubscribe"),
            manage,
        }
    }
}

/// Sends what is due: claims up to a batch of pending deliveries whose time has come
/// (a claim moves `next_attempt_at` ahead, so a second replica skips them), sends them
/// concurrently and records each outcome. Returns how many were attempted.
pub async fn deliver_due(
    db: &DatabaseConnection,
    senders: &Senders,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let due = delivery::Entity::find()
        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(delivery::Column::NextAttemptAt)
        .order_by_asc(delivery::Column::Id)
        .limit(BATCH as u64)
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
        // Gone: unsubscribed since (its deliveries went with it) or never there.
        let Some(to) = subscriber::Entity::find_by_id(row.subscriber_id)
            .one(db)
            .await?
        else {
            continue;
        };
        let message = match row.announcement_id {
            None => Message::Confirm,
            Some(id) => match announcement::Entity::find_by_id(id).one(db).await? {
                Some(a) => match serde_json::from_str::<Announcement>(&a.payload) {
                    Ok(a) => Message::Announce(Box::new(a)),
                    Err(err) => {
                        let outcome =
                            Outcome::failed(format!("stored announcement is unreadable: {err}"));
                        record(db, &row, outcome, true, now).await?;
                        continue;
                    }
                },
                None => continue,
            },
        };
        let (db, senders, base_url) = (db.clone(), senders.clone(), base_url.to_owned());
        sends.spawn(async move {
            let links = Links::new(&base_url, &to.token);
            let (outcome, permanent) = match to.kind {
                SubscriberKind::Email => match &senders.mail {
                    Some(mailer) => mail::send(mailer, &to.address, &message, &links).await,
                    None => (
                        Outcome::failed("this server sends no mail (start it with --smtp-url)"),
                        true,
                    ),
                },
                SubscriberKind::Webhook => (
                    hook::send(&senders.web, &to, &message, &links, row.id).await,
                    false,
                ),
            };
            // Recorded at the round's time, so retries follow the worker's clock.
            record(&db, &row, outcome, permanent, now).await
        });
    }
    Ok(finish_sends(sends, "status page").await)
}

/// Records an attempt: delivered, retried later, or failed for good after
/// [`MAX_ATTEMPTS`] (or at once when the receiver refused it for good).
async fn record(
    db: &DatabaseConnection,
    row: &delivery::Model,
    outcome: Outcome,
    permanent: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let attempts = row.attempts + 1;
    let mut changes = delivery::ActiveModel {
        id: Set(row.id),
        attempts: Set(attempts),
        last_attempt_at: Set(Some(now)),
        ..Default::default()
    };
    match outcome.error {
        None => {
            changes.status = Set(DeliveryStatus::Delivered);
            changes.delivered_at = Set(Some(now));
            changes.last_error = Set(None);
        }
        Some(error) => {
            tracing::warn!(delivery = row.id, attempts, %error, "status page delivery failed");
            changes.last_error = Set(Some(error.chars().take(500).collect()));
            if permanent || attempts >= MAX_ATTEMPTS {
                changes.status = Set(DeliveryStatus::Failed);
            } else {
                changes.next_attempt_at = Set(now + backoff(attempts));
            }
        }
    }
    // The subscriber may have left meanwhile, taking the row with it: nothing to record.
    match changes.update(db).await {
        Ok(_) | Err(sea_orm::DbErr::RecordNotUpdated) => Ok(()),
        Err(err) => Err(err.into()),
    }
}
