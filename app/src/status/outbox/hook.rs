//! Webhook subscribers: a JSON post in the shape of Atlassian Statuspage's webhooks
//! (`meta`, `page`, and `incident` for incidents and maintenance alike), signed with the
//! subscription's own key the way notifications are (`X-Vigil-Signature`).

use chrono::Utc;
use serde_json::{Value, json};

use super::{Links, Message};
use crate::notifications::outbox::{Outcome, Sender, post_json, signature};
use crate::status::entities::subscriber;
use crate::status::statuspage;

/// The body posted for `message`.
pub(super) fn body(message: &Message, links: &Links, secret: &str) -> (String, Value) {
    match message {
        // The key reaches only the receiver itself: a form answer would show it to
        // whoever typed the address.
        Message::Confirm => (
            "subscription.confirm".to_owned(),
            json!({
                "meta": { "documentation": format!("{}/status/subscribe", links.base) },
                "subscription": {
                    "confirm_url": links.confirm,
                    "manage_url": links.manage,
                    "signing_secret": secret,
                },
            }),
        ),
        Message::Announce(a) => {
            let incident = match (&a.incident, &a.maintenance) {
                (Some(i), _) => serde_json::to_value(statuspage::incident(i, &links.base)),
                (None, Some(m)) => {
                    serde_json::to_value(statuspage::maintenance(m, &links.base).incident)
                }
                (None, None) => Ok(Value::Null),
            }
            .unwrap_or(Value::Null);
            (
                a.event.as_str().to_owned(),
                json!({
                    "meta": {
                        "unsubscribe": links.unsubscribe,
                        "generated_at": a.occurred_at,
                    },
                    "page": statuspage::page(&a.page, &links.base, a.occurred_at),
                    "incident": incident,
                }),
            )
        }
    }
}

/// Posts `message` to the subscriber's URL, signed.
pub(super) async fn send(
    sender: &Sender,
    to: &subscriber::Model,
    message: &Message,
    links: &Links,
    delivery_id: i64,
) -> Outcome {
    let secret = to.secret.clone().unwrap_or_default();
    let (event, body) = body(message, links, &secret);
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let timestamp = Utc::now().timestamp();
    let headers = [
        ("X-Vigil-Event", event),
        ("X-Vigil-Delivery", format!("s{delivery_id}")),
        ("X-Vigil-Timestamp", timestamp.to_string()),
        ("X-Vigil-Signature", signature(&secret, timestamp, &body)),
    ];
    post_json(sender, &to.address, &headers, body).await
}
