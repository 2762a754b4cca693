//! Subscribing to the status page (anyone), confirming and ending a subscription (the
//! holder of its link), and the subscriber list (admins).
//!
//! Nothing is sent to an address until its owner confirms, and the form answers the
//! same whether the address was new, waiting or subscribed already, so it tells no one
//! who subscribes. Both the client and the address are throttled, so the form cannot be
//! used to flood someone's inbox.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::setup::stored;
use crate::accounts::CurrentUser;
use crate::accounts::service::throttle::{WINDOW_MINUTES, count_attempt};
use crate::audit::service::{self as audit, Actor};
use crate::error::{AppError, FieldError};
use crate::notifications::DeliveryStatus;
use crate::status::entities::{delivery, subscriber};
use crate::status::outbox::request_confirmation;
use crate::status::subscribers::{SubscriberBoard, SubscriberKind, SubscriberView};

/// Subscribe requests from one client within the throttle window.
pub const MAX_PER_CLIENT: i64 = 10;
/// Confirmation requests to one address within the throttle window.
pub const MAX_PER_ADDRESS: i64 = 3;
/// An unconfirmed subscription is forgotten after this long (its link stops working).
pub const UNCONFIRMED_DAYS: i64 = 7;

/// What this server can send to, for the form's checks.
#[derive(Debug, Clone, Copy)]
pub struct Reach {
    /// An SMTP relay is configured.
    pub mail: bool,
    /// Webhooks may be on private addresses (`--allow-private-webhooks`).
    pub private_webhooks: bool,
}

/// Records a subscription request and queues its confirmation; the same answer for a
/// new, waiting or confirmed address. `client` is the requester's IP address.
pub async fn subscribe(
    db: &impl crate::db::Writer,
    kind: &str,
    address: &str,
    client: Option<&str>,
    reach: Reach,
) -> Result<SubscriberKind, AppError> {
    if !stored(db).await?.enabled {
        return Err(AppError::NotFound("There is no status page here.".into()));
    }
    if let Some(client) = client
        && count_attempt(db, &format!("status_subscribe:client:{client}")).await? > MAX_PER_CLIENT
    {
        return Err(too_many());
    }
    let kind = match SubscriberKind::parse(kind) {
        Some(SubscriberKind::Email) if !reach.mail => {
            return Err(AppError::invalid(
                "kind",
                "This page does not send email: subscribe with a webhook or a feed.",
            ));
        }
        Some(kind) => kind,
        None => return Err(AppError::invalid("kind", "Choose email or webhook.")),
    };
    let address = match kind {
        SubscriberKind::Email => check_email(address),
        SubscriberKind::Webhook => check_webhook(address, reach.private_webhooks),
    }
    .map_err(|message| AppError::Invalid(vec![FieldError::new("address", message)]))?;

    let existing = find(db, kind, &address).await?;
    if existing.as_ref().is_some_and(|s| s.confirmed_at.is_some()) {
        return Ok(kind);
    }
    let digest = crate::secrets::hash(&address);
    if count_attempt(db, &format!("status_subscribe:address:{}", &digest[..32])).await?
        > MAX_PER_ADDRESS
    {
        return Err(too_many());
    }
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    forget_unconfirmed(&*txn, now).await?;
    let inserted = subscriber::Entity::insert(subscriber::ActiveModel {
        kind: Set(kind),
        address: Set(address.clone()),
        token: Set(crate::secrets::random()),
        secret: Set((kind == SubscriberKind::Webhook).then(crate::secrets::random)),
        created_at: Set(now),
        confirmed_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([subscriber::Column::Kind, subscriber::Column::Address])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&*txn)
    .await?;
    let row = find(&*txn, kind, &address)
        .await?
        .ok_or_else(|| AppError::internal("a subscriber just written is missing"))?;
    // Confirmed by someone else a moment ago: nothing to ask.
    if inserted == 1 || row.confirmed_at.is_none() {
        request_confirmation(&*txn, row.id).await?;
    }
    txn.commit().await?;
    Ok(kind)
}

fn too_many() -> AppError {
    AppError::TooManyRequests(format!(
        "Too many subscription requests. Wait {WINDOW_MINUTES} minutes and try again."
    ))
}

async fn find(
    db: &impl ConnectionTrait,
    kind: SubscriberKind,
    address: &str,
) -> Result<Option<subscriber::Model>, AppError> {
    Ok(subscriber::Entity::find()
        .filter(subscriber::Column::Kind.eq(kind))
        .filter(subscriber::Column::Address.eq(address))
        .one(db)
        .await?)
}

/// An email address as stored: trimmed and lower case, or why it is not one.
pub fn check_email(address: &str) -> Result<String, String> {
    let address = address.trim();
    if address.is_empty() {
        return Err("Enter your email address.".into());
    }
    if address.chars().count() > 254 {
        return Err("Use an address of at most 254 characters.".into());
    }
    let plain = !address
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','));
    if !plain || address.parse::<lettre::Address>().is_err() {
        return Err("This is not an email address (it looks like name@example.com).".into());
    }
    Ok(address.to_lowercase())
}

/// A webhook URL as stored, or why it cannot be used: http or https, no credentials,
/// and not a private address unless the server allows them.
pub fn check_webhook(url: &str, private_allowed: bool) -> Result<String, String> {
    let url = crate::notifications::service::check_url(url)?;
    if !private_allowed && let Ok(parsed) = url::Url::parse(&url) {
        let ip = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        let local = parsed
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case("localhost") || h.ends_with(".localhost"));
        if local || ip.is_some_and(crate::notifications::outbox::is_private) {
            return Err("Use a public address: updates are not posted to private ones.".into());
        }
    }
    Ok(url)
}

/// Forgets subscriptions not confirmed within [`UNCONFIRMED_DAYS`], with their queued
/// confirmations.
async fn forget_unconfirmed(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), AppError> {
    let before = now - chrono::Duration::days(UNCONFIRMED_DAYS);
    let stale: Vec<i64> = subscriber::Entity::find()
        .filter(subscriber::Column::ConfirmedAt.is_null())
        .filter(subscriber::Column::CreatedAt.lt(before))
        .select_only()
        .column(subscriber::Column::Id)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    remove_all(db, &stale).await
}

async fn remove_all(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    delivery::Entity::delete_many()
        .filter(delivery::Column::SubscriberId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    subscriber::Entity::delete_many()
        .filter(subscriber::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// The subscription a link names, if it is still there.
pub async fn by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<subscriber::Model>, AppError> {
    // Tokens are 64 hex characters: anything else names nothing, without a query.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(subscriber::Entity::find()
        .filter(subscriber::Column::Token.eq(token))
        .one(db)
        .await?)
}

/// Confirms the subscription `token` names (again is fine); `None` when there is none.
pub async fn confirm(
    db: &impl crate::db::Writer,
    token: &str,
) -> Result<Option<subscriber::Model>, AppError> {
    let Some(found) = by_token(db, token).await? else {
        return Ok(None);
    };
    if found.confirmed_at.is_some() {
        return Ok(Some(found));
    }
    let now = Utc::now();
    // Expired, though not forgotten yet (that happens with the next request).
    if found.created_at < now - chrono::Duration::days(UNCONFIRMED_DAYS) {
        return Ok(None);
    }
    let txn = crate::db::begin_write(db).await?;
    subscriber::Entity::update_many()
        .col_expr(
            subscriber::Column::ConfirmedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(subscriber::Column::Id.eq(found.id))
        .filter(subscriber::Column::ConfirmedAt.is_null())
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(Some(subscriber::Model {
        confirmed_at: Some(now),
        ..found
    }))
}

/// Ends the subscription `token` names, with anything still queued for it; `false`
/// when there was none (ended already).
pub async fn unsubscribe(db: &impl crate::db::Writer, token: &str) -> Result<bool, AppError> {
    let Some(found) = by_token(db, token).await? else {
        return Ok(false);
    };
    let txn = crate::db::begin_write(db).await?;
    remove_all(&*txn, &[found.id]).await?;
    txn.commit().await?;
    Ok(true)
}

/// The subscribers at a glance, for admins.
pub async fn board(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    mail_enabled: bool,
) -> Result<SubscriberBoard, AppError> {
    admin.require_admin()?;
    let confirmed = |kind: SubscriberKind| {
        subscriber::Entity::find()
            .filter(subscriber::Column::Kind.eq(kind))
            .filter(subscriber::Column::ConfirmedAt.is_not_null())
            .count(db)
    };
    let email = confirmed(SubscriberKind::Email).await?;
    let webhook = confirmed(SubscriberKind::Webhook).await?;
    let pending = subscriber::Entity::find()
        .filter(subscriber::Column::ConfirmedAt.is_null())
        .count(db)
        .await?;
    let latest = subscriber::Entity::find()
        .filter(subscriber::Column::ConfirmedAt.is_not_null())
        .order_by_desc(subscriber::Column::ConfirmedAt)
        .order_by_desc(subscriber::Column::Id)
        .limit(SubscriberBoard::SHOWN)
        .all(db)
        .await?
        .into_iter()
        .map(|s| SubscriberView {
            id: s.id,
            kind: s.kind,
            address: s.address,
            created_at: s.created_at,
            confirmed_at: s.confirmed_at,
        })
        .collect();
    let failed = delivery::Entity::find()
        .filter(delivery::Column::Status.eq(DeliveryStatus::Failed))
        .filter(delivery::Column::CreatedAt.gte(Utc::now() - chrono::Duration::days(7)))
        .count(db)
        .await?;
    Ok(SubscriberBoard {
        email,
        webhook,
        pending,
        latest,
        failed,
        mail_enabled,
    })
}

/// Removes a subscriber (an admin acting on a complaint or a dead address).
pub async fn remove_subscriber(
    db: &impl crate::db::Writer,
    admin: &CurrentUser,
    actor: &Actor,
    id: i64,
) -> Result<(), AppError> {
    admin.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let found = subscriber::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no subscriber {id}.")))?;
    remove_all(&*txn, &[id]).await?;
    audit::record(
        &*txn,
        actor,
        "status_subscriber.removed",
        None,
        json!({ "id": id, "kind": found.kind.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_checked_and_kept_in_lower_case() {
        assert_eq!(
            check_email("  Ops@Example.COM "),
            Ok("ops@example.com".into())
        );
        for bad in [
            "",
            "ops",
            "ops@",
            "@example.com",
            "a b@example.com",
            "ops@example.com\r\nBcc: x@example.com",
            "Ops <ops@example.com>",
            "a@example.com,b@example.com",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
        assert!(check_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn webhooks_must_be_public_unless_allowed() {
        assert!(check_webhook("https://hooks.example.com/status", false).is_ok());
        for private in [
            "http://127.0.0.1:9000/x",
            "http://10.0.0.8/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest",
            "http://localhost:8080/",
        ] {
            assert!(check_webhook(private, false).is_err(), "{private}");
            assert!(check_webhook(private, true).is_ok(), "{private}");
        }
        assert!(check_webhook("ftp://example.com", true).is_err());
        assert!(check_webhook("https://user:pw@example.com", true).is_err());
    }
}
