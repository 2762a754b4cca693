//! Channels (admins add, pause, test and remove them) and the delivery log.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::json;

use super::entities::{channel, delivery};
use super::outbox::{self, CHANNELS, Notice};
use super::{ChannelKind, DeliveryStatus, IssuedSecret, NotifyEvent};
use crate::accounts::CurrentUser;
use crate::audit::service::record as audit;
use crate::db::Writer;
use crate::error::{AppError, FieldError};
use crate::incidents::entities::severity;

mod view;

pub use view::{admin_view, status_totals};

/// Signing secrets carry a recognisable prefix, so a leaked one is easy to grep for.
const SECRET_PREFIX: &str = "vigil_whsec_";

/// What an admin fills in to add a channel.
#[derive(Debug, Clone, Default)]
pub struct ChannelForm {
    pub name: String,
    pub kind: String,
    pub url: String,
    /// For e-mail: addresses separated by commas, spaces or lines.
    pub addresses: String,
    /// Event names, see [`NotifyEvent::as_str`].
    pub events: Vec<String>,
    /// A severity id, or empty for every severity.
    pub min_severity_id: String,
}

/// Checks a receiver address: http or https with a host, no credentials in it.
pub fn check_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("Paste the webhook address.".into());
    }
    if url.len() > 2000 {
        return Err("Keep the address under 2,000 characters.".into());
    }
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| "This is not a web address (it should start with https://).".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("Use an http:// or https:// address.".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("Leave user names and passwords out of the address.".into());
    }
    Ok(url.to_owned())
}

/// At most this many addresses on one e-mail channel (a team list belongs in the mail
/// system, not here).
const MAX_ADDRESSES: usize = 20;

/// Checks an e-mail channel's addresses (separated by commas, spaces or lines) and
/// answers them as the `mailto:` URI the channel keeps.
pub fn check_addresses(text: &str) -> Result<String, String> {
    let mut addresses: Vec<String> = Vec::new();
    for word in text.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        if word.is_empty() {
            continue;
        }
        if word.len() > 254
            || word.parse::<lettre::Address>().is_err()
            || word.contains(['?', '%', '&'])
        {
            return Err(format!(
                "“{}” is not an e-mail address.",
                crate::text::one_line(&word.chars().take(80).collect::<String>())
            ));
        }
        let word = word.to_lowercase();
        if !addresses.contains(&word) {
            addresses.push(word);
        }
    }
    if addresses.is_empty() {
        return Err("Give at least one e-mail address.".into());
    }
    if addresses.len() > MAX_ADDRESSES {
        return Err(format!(
            "Give at most {MAX_ADDRESSES} addresses; use a mailing list for more."
        ));
    }
    Ok(format!("mailto:{}", addresses.join(",")))
}

/// The address shortened for display: a Slack webhook's path is its secret; an e-mail
/// channel's addresses are not.
fn url_hint(url: &str) -> String {
    if url.starts_with("mailto:") {
        return outbox::email_addresses(url).collect::<Vec<_>>().join(", ");
    }
    match reqwest::Url::parse(url) {
        Ok(parsed) => {
            let path = parsed.path();
            let tail: String = path
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let host = parsed.host_str().unwrap_or_default();
            if path.len() > 8 {
                format!("{}://{host}/…{tail}", parsed.scheme())
            } else {
                format!("{}://{host}{path}", parsed.scheme())
            }
        }
        Err(_) => "…".into(),
    }
}

fn new_secret() -> String {
    crate::secrets::issue(SECRET_PREFIX).token
}

/// Adds a channel. A JSON webhook gets a signing secret, returned here and shown once.
/// An e-mail channel needs the server to have an SMTP relay (`mail_enabled`).
pub async fn create_channel(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    form: ChannelForm,
    mail_enabled: bool,
    ip: Option<String>,
) -> Result<Option<IssuedSecret>, AppError> {
    admin.require_admin()?;
    let mut errors = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "Give the channel a name, like “#incidents”.",
        ));
    } else if name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "Keep the name under 100 characters.",
        ));
    } else if channel::Entity::find()
        .filter(channel::Column::Name.eq(name.clone()))
        .count(db)
        .await?
        > 0
    {
        errors.push(FieldError::new("name", "Another channel has this name."));
    }
    let kind = ChannelKind::parse(&form.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Choose where to send."));
    }
    let url = match kind {
        Some(ChannelKind::Email) if !mail_enabled => {
            errors.push(FieldError::new(
                "kind",
                "This server sends no mail: start Vigil with --smtp-url (and --mail-from) first.",
            ));
            None
        }
        Some(ChannelKind::Email) => check_addresses(&form.addresses)
            .map_err(|m| errors.push(FieldError::new("addresses", &m)))
            .ok(),
        _ => check_url(&form.url)
            .map_err(|m| errors.push(FieldError::new("url", &m)))
            .ok(),
    };
    let mut events: Vec<NotifyEvent> = Vec::new();
    for name in &form.events {
        match NotifyEvent::parse(name).filter(|e| NotifyEvent::SUBSCRIBABLE.contains(e)) {
            Some(e) if !events.contains(&e) => events.push(e),
            Some(_) => {}
            None => errors.push(FieldError::new("events", "Choose among the listed events.")),
        }
    }
    if form.events.is_empty() {
        errors.push(FieldError::new(
            "events",
            "Choose at least one event to send.",
        ));
    }
    let min_severity_id = match form.min_severity_id.trim() {
        "" => None,
        id => {
            let known = match id.parse::<i64>() {
                Ok(id) => severity::Entity::find_by_id(id).one(db).await?,
                Err(_) => None,
            };
            if known.is_none() {
                errors.push(FieldError::new(
                    "min_severity_id",
                    "Choose a severity from the list.",
                ));
            }
            known.map(|s| s.id)
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let (kind, url) = (kind.expect("checked"), url.expect("checked"));
    let secret = (kind == ChannelKind::Webhook).then(new_secret);
    let events: Vec<&str> = NotifyEvent::SUBSCRIBABLE
        .into_iter()
        .filter(|e| events.contains(e))
        .map(NotifyEvent::as_str)
        .collect();
    let created = channel::ActiveModel {
        name: Set(name.clone()),
        kind: Set(kind),
        url: Set(url),
        secret: Set(secret.clone()),
        events: Set(events.join(",")),
        min_severity_id: Set(min_severity_id),
        created_by: Set(admin.id.0),
        created_at: Set(Utc::now()),
        disabled_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit(
        db,
        &admin.actor(ip),
        "notification_channel.created",
        Some(&format!("notification channel {}", created.id)),
        json!({ "name": name, "kind": kind.as_str(), "events": events }),
    )
    .await?;
    CHANNELS.wrote();
    Ok(secret.map(|secret| IssuedSecret {
        channel_name: name,
        secret,
    }))
}

async fn find(db: &impl ConnectionTrait, id: i64) -> Result<channel::Model, AppError> {
    channel::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(no_such_channel)
}

fn no_such_channel() -> AppError {
    AppError::NotFound("There is no such notification channel.".into())
}

/// Issues a new signing secret for a JSON webhook; the old one stops at once.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    id: i64,
    ip: Option<String>,
) -> Result<IssuedSecret, AppError> {
    admin.require_admin()?;
    let current = find(db, id).await?;
    if current.kind != ChannelKind::Webhook {
        return Err(AppError::invalid(
            "id",
            "Only JSON webhooks are signed; a chat webhook's address is its secret.",
        ));
    }
    let secret = new_secret();
    let name = current.name.clone();
    let mut changes: channel::ActiveModel = current.into();
    changes.secret = Set(Some(secret.clone()));
    changes.update(db).await?;
    CHANNELS.wrote();
    audit(
        db,
        &admin.actor(ip),
        "notification_channel.secret_rotated",
        Some(&format!("notification channel {id}")),
        json!({ "name": name }),
    )
    .await?;
    Ok(IssuedSecret {
        channel_name: name,
        secret,
    })
}

/// Pauses or resumes a channel. A paused channel queues nothing new, and what it had
/// queued waits until it resumes.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    id: i64,
    disabled: bool,
    ip: Option<String>,
) -> Result<(), AppError> {
    admin.require_admin()?;
    let current = find(db, id).await?;
    if current.disabled_at.is_some() == disabled {
        return Ok(());
    }
    let name = current.name.clone();
    let mut changes: channel::ActiveModel = current.into();
    changes.disabled_at = Set(disabled.then(Utc::now));
    changes.update(db).await?;
    CHANNELS.wrote();
    audit(
        db,
        &admin.actor(ip),
        if disabled {
            "notification_channel.paused"
        } else {
            "notification_channel.resumed"
        },
        Some(&format!("notification channel {id}")),
        json!({ "name": name }),
    )
    .await
}

/// Removes a channel and its delivery log.
pub async fn delete_channel(
    db: &impl Writer,
    admin: &CurrentUser,
    id: i64,
    ip: Option<String>,
) -> Result<(), AppError> {
    admin.require_admin()?;
    let current = find(db, id).await?;
    // One transaction: a channel never goes without its delivery log, or the audit
    // without the deletion it records.
    let txn = crate::db::begin_write(db).await?;
    delivery::Entity::delete_many()
        .filter(delivery::Column::ChannelId.eq(id))
        .exec(&txn)
        .await?;
    // Two admins deleting at once: the second finds nothing to delete inside its own
    // transaction, is told so, and writes no second audit entry.
    let deleted = channel::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(no_such_channel());
    }
    audit(
        &txn,
        &admin.actor(ip),
        "notification_channel.deleted",
        Some(&format!("notification channel {id}")),
        json!({ "name": current.name }),
    )
    .await?;
    txn.commit().await?;
    CHANNELS.wrote();
    Ok(())
}

/// Queues a test message to one channel; the delivery log shows how it went.
pub async fn send_test(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    id: i64,
) -> Result<(), AppError> {
    admin.require_admin()?;
    let current = find(db, id).await?;
    let notice = Notice {
        event: NotifyEvent::Test,
        occurred_at: Utc::now(),
        incident: None,
        change: None,
        actor: Some(admin.display_name.clone()),
        rule: None,
        digest: None,
    };
    outbox::insert(db, current.id, &notice, None).await?;
    Ok(())
}

/// Sends a delivery again at the next round, failed or still waiting.
pub async fn retry_delivery(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    id: i64,
) -> Result<(), AppError> {
    admin.require_admin()?;
    let updated = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Pending),
        )
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(Utc::now()))
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Status.ne(DeliveryStatus::Delivered))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::invalid(
            "id",
            "This delivery was already delivered, or no longer exists.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_addresses_must_be_plain_web_addresses() {
        assert!(check_url("https://hooks.slack.com/services/T/B/x").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("").is_err());
        assert!(check_url("ftp://example.com/x").is_err());
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("https://user:pw@example.com/").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn email_channels_keep_checked_addresses_as_one_mailto_uri() {
        assert_eq!(
            check_addresses("Ops@Example.com, sre@example.com\nops@example.com"),
            Ok("mailto:ops@example.com,sre@example.com".into())
        );
        assert!(check_addresses("").is_err());
        assert!(check_addresses("not-an-address").is_err());
        // Nothing that would add headers or a body to the URI, nor a second line.
        assert!(check_addresses("a@example.com?bcc=x@evil.example").is_err());
        assert!(check_addresses("a%0d@example.com").is_err());
        let many: Vec<String> = (0..21).map(|n| format!("p{n}@example.com")).collect();
        assert!(check_addresses(&many.join(",")).is_err());
        assert_eq!(
            url_hint("mailto:ops@example.com,sre@example.com"),
            "ops@example.com, sre@example.com"
        );
    }

    #[test]
    fn addresses_are_shortened_so_the_secret_path_stays_hidden() {
        assert_eq!(
            url_hint("https://hooks.slack.com/services/T000/B000/XXXXabcd"),
            "https://hooks.slack.com/…abcd"
        );
        assert_eq!(url_hint("http://h:9/hook"), "http://h/hook");
    }
}
