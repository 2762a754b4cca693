//! The outbox: what a change writes (a [`Notice`] per subscribed channel, in the
//! change's own transaction) and what the worker does with it ([`deliver_due`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{ChannelKind, DeliveryStatus, NotifyEvent, channel, delivery};
use crate::accounts::CurrentUser;
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::{incident, severity};

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

/// The event as captured when it happened; the worker formats it per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub event: NotifyEvent,
    pub occurred_at: DateTime<Utc>,
    pub incident: Option<IncidentFacts>,
    pub change: Option<Change>,
    /// Who made the change.
    pub actor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentFacts {
    pub reference: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    /// The incident's path in Vigil; the worker prefixes the public URL.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub from: String,
    pub to: String,
}

fn subscribed(channel: &channel::Model, event: NotifyEvent) -> bool {
    channel.events.split(',').any(|e| e == event.as_str())
}

/// Queues `event` about an incident for every enabled channel subscribed to it. Call it
/// inside the transaction of the change, after the change: the notice and the change
/// commit together or not at all.
pub async fn notify_incident(
    db: &impl ConnectionTrait,
    event: NotifyEvent,
    incident_id: i64,
    change: Option<Change>,
    actor: &CurrentUser,
) -> Result<(), AppError> {
    let channels: Vec<channel::Model> = channel::Entity::find()
        .filter(channel::Column::DisabledAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|c| subscribed(c, event))
        .collect();
    if channels.is_empty() {
        return Ok(());
    }
    let Some(current) = incident::Entity::find_by_id(incident_id).one(db).await? else {
        return Ok(());
    };
    let levels = severity::Entity::find().all(db).await?;
    let position = |id: i64| levels.iter().find(|l| l.id == id).map(|l| l.position);
    let here = position(current.severity_id);
    // A threshold keeps a channel to severe incidents: a severity at or above it (a
    // lower position) is sent, including an incident escalated into range.
    let channels: Vec<&channel::Model> = channels
        .iter()
        .filter(|c| match c.min_severity_id {
            None => true,
            Some(min) => matches!((here, position(min)), (Some(h), Some(m)) if h <= m),
        })
        .collect();
    if channels.is_empty() {
        return Ok(());
    }
    let severity = levels
        .iter()
        .find(|l| l.id == current.severity_id)
        .map(|l| l.name.clone())
        .unwrap_or_default();
    let reference = IncidentRef(current.id);
    let path = match event {
        NotifyEvent::PostmortemPublished => format!("/incidents/{reference}/postmortem"),
        _ => format!("/incidents/{reference}"),
    };
    let status = current.status.label().to_owned();
    let notice = Notice {
        event,
        occurred_at: Utc::now(),
        incident: Some(IncidentFacts {
            reference: reference.to_string(),
            title: current.title.clone(),
            severity,
            status,
            path,
        }),
        change,
        actor: Some(actor.display_name.clone()),
    };
    for channel in &channels {
        insert(db, channel.id, &notice, Some(current.id)).await?;
    }
    Ok(())
}

/// Queues a delivery of `notice` to one channel.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    channel_id: i64,
    notice: &Notice,
    incident_id: Option<i64>,
) -> Result<delivery::Model, AppError> {
    let now = Utc::now();
    Ok(delivery::ActiveModel {
        channel_id: Set(channel_id),
        event: Set(notice.event),
        incident_id: Set(incident_id),
        payload: Set(serde_json::to_string(notice).map_err(AppError::internal)?),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_attempt_at: Set(None),
        last_error: Set(None),
        last_status_code: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Text for Slack and its look-alikes: `&`, `<` and `>` escaped (so nobody can write a
/// `<!channel>` or a `<@user>` into a title), and `@` followed by a word joiner (so
/// `@here` in plain text does not notify anyone either).
pub fn slack_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("@\u{2060}"),
            c => out.push(c),
        }
    }
    out
}

/// A link Slack renders, from a URL we made and a label we escape.
fn slack_link(url: &str, label: &str) -> String {
    let url = url
        .replace('|', "%7C")
        .replace('>', "%3E")
        .replace('<', "%3C");
    format!("<{url}|{}>", slack_escape(label))
}

/// The message a Slack-compatible webhook receives.
pub fn slack_body(notice: &Notice, base_url: &str) -> serde_json::Value {
    let by = notice
        .actor
        .as_deref()
        .map(|a| format!(" (by {})", slack_escape(a)))
        .unwrap_or_default();
    let text = match (&notice.incident, Some(notice.event)) {
        (Some(i), Some(event)) => {
            let link = slack_link(&format!("{base_url}{}", i.path), &i.reference);
            let title = slack_escape(&i.title);
            let change = notice.change.as_ref();
            let from_to = |c: Option<&Change>| {
                c.map(|c| format!(" from {} to {}", slack_escape(&c.from), slack_escape(&c.to)))
                    .unwrap_or_default()
            };
            match event {
                NotifyEvent::Declared => format!(
                    ":rotating_light: {link} declared at {}: *{title}*{by}",
                    slack_escape(&i.severity)
                ),
                NotifyEvent::SeverityChanged => {
                    format!("{link} severity changed{}: *{title}*{by}", from_to(change))
                }
                NotifyEvent::StatusChanged => {
                    format!("{link} status changed{}: *{title}*{by}", from_to(change))
                }
                NotifyEvent::PostmortemPublished => {
                    format!(":memo: Postmortem published for {link}: *{title}*{by}")
                }
                NotifyEvent::Test => format!("Test notification from Vigil{by}"),
            }
        }
        _ => format!("Test notification from Vigil: this channel works{by}."),
    };
    serde_json::json!({ "text": text })
}

/// The body a JSON webhook receives: the notice, with absolute links and the delivery's
/// id (receivers deduplicate on it: a retry after a lost answer repeats the id).
pub fn webhook_body(notice: &Notice, base_url: &str, delivery_id: i64) -> serde_json::Value {
    let mut body = serde_json::to_value(notice).unwrap_or_default();
    if let Some(incident) = body.get_mut("incident").and_then(|i| i.as_object_mut()) {
        let path = incident
            .remove("path")
            .and_then(|p| p.as_str().map(str::to_owned))
            .unwrap_or_default();
        incident.insert("url".into(), format!("{base_url}{path}").into());
    }
    body["delivery_id"] = delivery_id.into();
    body
}

/// `sha256=` and the hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`. The
/// timestamp is signed too, so a receiver can refuse old replays.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// How the worker sends: its HTTP client, and whether receivers on private addresses are
/// allowed (`--allow-private-webhooks`).
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

/// At most this much of a receiver's answer is read (for the delivery log).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// True for addresses a webhook must not reach unless the operator allows it: loopback,
/// private, link-local (cloud metadata at 169.254.169.254), unique-local, unspecified,
/// broadcast, documentation and shared (CGNAT) ranges, and IPv4 inside IPv6.
pub fn is_private(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 224
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Resolves receivers' names and drops private addresses, at connect time: a name that
/// answered with a public address when the channel was saved and a private one now (DNS
/// rebinding) still reaches nothing.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| !is_private(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(
                    "the receiver's address is private (see --allow-private-webhooks)".into(),
                );
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client the worker sends with: short timeout, no redirects (a receiver that
/// moved must be reconfigured, not followed blindly), and unless `allow_private`, only
/// public addresses.
pub fn client(allow_private: bool) -> Result<Sender, AppError> {
    let mut builder = reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Vigil/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(std::sync::Arc::new(PublicOnly));
    }
    Ok(Sender {
        client: builder.build().map_err(AppError::internal)?,
        allow_private,
    })
}

/// Refuses a URL whose host is a private IP literal (names are checked by the resolver).
fn refused_address(sender: &Sender, url: &str) -> Option<String> {
    if sender.allow_private {
        return None;
    }
    let host = url::Url::parse(url).ok()?.host()?.to_owned();
    let ip = match host {
        url::Host::Ipv4(ip) => std::net::IpAddr::V4(ip),
        url::Host::Ipv6(ip) => std::net::IpAddr::V6(ip),
        url::Host::Domain(_) => return None,
    };
    is_private(ip).then(|| {
        format!("{ip} is a private address; Vigil sends only to public ones unless started with --allow-private-webhooks")
    })
}

/// A receiver's answer, read up to [`MAX_ANSWER_BYTES`].
async fn answer_text(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= MAX_ANSWER_BYTES {
            bytes.truncate(MAX_ANSWER_BYTES);
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
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
    let mut attempted = 0;
    while let Some(done) = sends.join_next().await {
        attempted += 1;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "could not record a notification delivery")
            }
            Err(err) => tracing::error!(error = %err, "a notification send panicked"),
        }
    }
    Ok(attempted)
}

/// What an attempt came to: the HTTP status if the receiver answered, and the error if
/// it was not a success.
struct Outcome {
    status_code: Option<u16>,
    error: Option<String>,
}

async fn send(
    sender: &Sender,
    channel: &channel::Model,
    row: &delivery::Model,
    base_url: &str,
) -> Outcome {
    let notice: Notice = match serde_json::from_str(&row.payload) {
        Ok(n) => n,
        Err(err) => {
            return Outcome {
                status_code: None,
                error: Some(format!("stored event is unreadable: {err}")),
            };
        }
    };
    let kind = channel.kind;
    let body = match kind {
        ChannelKind::Slack => slack_body(&notice, base_url),
        ChannelKind::Webhook => webhook_body(&notice, base_url, row.id),
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    if let Some(refusal) = refused_address(sender, &channel.url) {
        return Outcome {
            status_code: None,
            error: Some(refusal),
        };
    }
    let mut request = sender
        .client
        .post(&channel.url)
        .header(http::header::CONTENT_TYPE, "application/json");
    if kind == ChannelKind::Webhook {
        let timestamp = Utc::now().timestamp();
        request = request
            .header("X-Vigil-Event", notice.event.as_str())
            .header("X-Vigil-Delivery", row.id.to_string())
            .header("X-Vigil-Timestamp", timestamp.to_string());
        if let Some(secret) = &channel.secret {
            request = request.header("X-Vigil-Signature", signature(secret, timestamp, &body));
        }
    }
    match request.body(body).send().await {
        Ok(response) if response.status().is_success() => Outcome {
            status_code: Some(response.status().as_u16()),
            error: None,
        },
        Ok(response) => {
            let status = response.status();
            let text = answer_text(response).await;
            let text: String = text.chars().take(200).collect();
            Outcome {
                status_code: Some(status.as_u16()),
                error: Some(
                    format!("HTTP {status}: {}", text.trim())
                        .trim_end_matches(": ")
                        .to_owned(),
                ),
            }
        }
        Err(err) => Outcome {
            status_code: None,
            error: Some(if err.is_timeout() {
                format!("no answer within {} s", SEND_TIMEOUT.as_secs())
            } else if err.is_connect() {
                if !sender.allow_private && format!("{err:?}").contains("private") {
                    "the receiver's address is private; Vigil sends only to public ones unless started with --allow-private-webhooks".to_owned()
                } else {
                    "could not connect".to_owned()
                }
            } else {
                "the request failed".to_owned()
            }),
        },
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(event: NotifyEvent, title: &str) -> Notice {
        Notice {
            event,
            occurred_at: DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
                .unwrap()
                .to_utc(),
            incident: Some(IncidentFacts {
                reference: "INC-7".into(),
                title: title.into(),
                severity: "SEV1".into(),
                status: "Triage".into(),
                path: "/incidents/INC-7".into(),
            }),
            change: None,
            actor: Some("Ada".into()),
        }
    }

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        // Eight attempts span a little over an hour of trying.
        let total: i64 = (1..MAX_ATTEMPTS).map(|n| backoff(n).num_seconds()).sum();
        assert_eq!(total, 3810);
    }

    #[test]
    fn slack_text_cannot_mention_or_link() {
        assert_eq!(
            slack_escape("<!channel> & <@U123> @here <https://evil|x>"),
            "&lt;!channel&gt; &amp; &lt;@\u{2060}U123&gt; @\u{2060}here &lt;https://evil|x&gt;"
        );
    }

    #[test]
    fn slack_messages_link_the_incident_and_escape_the_title() {
        let body = slack_body(
            &notice(NotifyEvent::Declared, "DB down <!everyone>"),
            "https://vigil.example",
        );
        assert_eq!(
            body["text"],
            ":rotating_light: <https://vigil.example/incidents/INC-7|INC-7> declared at SEV1: *DB down &lt;!everyone&gt;* (by Ada)"
        );
        let mut changed = notice(NotifyEvent::StatusChanged, "DB down");
        changed.change = Some(Change {
            from: "Triage".into(),
            to: "Mitigated".into(),
        });
        assert_eq!(
            slack_body(&changed, "https://v")["text"],
            "<https://v/incidents/INC-7|INC-7> status changed from Triage to Mitigated: *DB down* (by Ada)"
        );
    }

    #[test]
    fn webhook_bodies_carry_absolute_links_and_the_delivery_id() {
        let body = webhook_body(&notice(NotifyEvent::Declared, "DB"), "https://v", 42);
        assert_eq!(body["event"], "incident.declared");
        assert_eq!(body["delivery_id"], 42);
        assert_eq!(body["incident"]["url"], "https://v/incidents/INC-7");
        assert!(body["incident"].get("path").is_none());
    }

    #[test]
    fn signatures_are_hmac_sha256_over_timestamp_and_body() {
        // Computed independently: Python's hmac.new(b"Jefe", b"1700000000.{}", sha256).
        assert_eq!(
            signature("Jefe", 1_700_000_000, b"{}"),
            "sha256=d3793e2b4103edfbd98cc19591832f5fad701d413db9fcae0ae7dab8184ed207"
        );
        assert_ne!(
            signature("Jefe", 1_700_000_000, b"{}"),
            signature("Jefe", 1_700_000_001, b"{}")
        );
    }
}
