//! Slash commands from Slack (`/hooks/chat/slack`) and Mattermost
//! (`/hooks/chat/mattermost`): the request is verified (Slack's signing secret over the
//! timestamp and body, within five minutes; Mattermost's command token), the chat account
//! is looked up through the tool's API for its verified email, and the Vigil user with that
//! email runs the command ([`app::chat::service::run`]). Unconfigured, both answer 404.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::chat::service::{Reply, run, user_by_email};
use app::error::AppError;
use app::notifications::outbox::{markdown_escape, slack_escape};
use app::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::delivery::read_body;

/// How far Slack's request timestamp may be from now: older requests are replays.
const SLACK_WINDOW_SECONDS: i64 = 300;

/// How long a chat account's email is kept before the tool is asked again.
const EMAIL_CACHE: Duration = Duration::from_secs(600);

/// The chat tools' settings (flags and environment, see `vigil serve --help`).
#[derive(Debug, Clone, Default)]
pub struct ChatConfig {
    pub slack_signing_secret: Option<String>,
    /// A bot token with `users:read.email`, to read who typed a command.
    pub slack_bot_token: Option<String>,
    /// Slack's Web API (`https://slack.com/api`).
    pub slack_api_url: String,
    /// The Mattermost server (`https://chat.example.com`).
    pub mattermost_url: Option<String>,
    pub mattermost_command_token: Option<String>,
    /// A bot or personal access token that may read users' emails.
    pub mattermost_bot_token: Option<String>,
}

/// The settings, an HTTP client for the tools' APIs, and the emails read lately.
pub struct Chat {
    config: ChatConfig,
    client: reqwest::Client,
    emails: Mutex<HashMap<String, (Option<String>, Instant)>>,
}

pub fn routes(config: ChatConfig) -> Router<AppState> {
    let chat = Arc::new(Chat {
        config,
        client: reqwest::Client::builder()
            // Slack waits three seconds for the answer: the lookup must leave room.
            .timeout(Duration::from_secs(2))
            .user_agent(concat!("Vigil/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a plain HTTP client builds"),
        emails: Mutex::default(),
    });
    Router::new()
        .route("/hooks/chat/slack", post(slack))
        .route("/hooks/chat/mattermost", post(mattermost))
        .layer(Extension(chat))
}

fn refused(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error": { "code": "refused", "message": message } });
    (status, Json(body)).into_response()
}

/// Slack's scheme: `v0=` and the hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
pub fn slack_signature_holds(
    secret: &str,
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now: i64,
) -> bool {
    let Ok(at) = timestamp.parse::<i64>() else {
        return false;
    };
    if (now - at).abs() > SLACK_WINDOW_SECONDS {
        return false;
    }
    let Some(Ok(given)) = signature.strip_prefix("v0=").map(hex::decode) else {
        return false;
    };
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

async fn slack(
    State(state): State<AppState>,
    Extension(chat): Extension<Arc<Chat>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let Some(secret) = chat.config.slack_signing_secret.as_deref() else {
        return Ok(refused(
            StatusCode::NOT_FOUND,
            "Slack commands are not set up.",
        ));
    };
    let body = read_body(body).await?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let now = chrono::Utc::now().timestamp();
    if !slack_signature_holds(
        secret,
        header("x-slack-request-timestamp"),
        &body,
        header("x-slack-signature"),
        now,
    ) {
        tracing::warn!("refused a Slack command: bad or stale signature");
        return Ok(refused(
            StatusCode::UNAUTHORIZED,
            "The request signature does not hold.",
        ));
    }
    let fields = form(&body);
    let user_id = fields.get("user_id").cloned().unwrap_or_default();
    let email = chat.email(Tool::Slack, &user_id).await;
    let reply = answer(&state, email, fields.get("text").map_or("", String::as_str)).await?;
    Ok(Json(message(&reply, Tool::Slack)).into_response())
}

async fn mattermost(
    State(state): State<AppState>,
    Extension(chat): Extension<Arc<Chat>>,
    body: Body,
) -> Result<Response, AppError> {
    let Some(token) = chat.config.mattermost_command_token.as_deref() else {
        return Ok(refused(
            StatusCode::NOT_FOUND,
            "Mattermost commands are not set up.",
        ));
    };
    let body = read_body(body).await?;
    let fields = form(&body);
    let given = fields.get("token").map_or("", String::as_str);
    // Compared as hashes, so the time taken says nothing about the token.
    if app::secrets::hash(given) != app::secrets::hash(token) {
        tracing::warn!("refused a Mattermost command: wrong token");
        return Ok(refused(
            StatusCode::UNAUTHORIZED,
            "The command token is wrong.",
        ));
    }
    let user_id = fields.get("user_id").cloned().unwrap_or_default();
    let email = chat.email(Tool::Mattermost, &user_id).await;
    let reply = answer(&state, email, fields.get("text").map_or("", String::as_str)).await?;
    Ok(Json(message(&reply, Tool::Mattermost)).into_response())
}

/// Runs the command as the person the email names, or says why it cannot.
async fn answer(state: &AppState, email: Option<String>, text: &str) -> Result<Reply, AppError> {
    let Some(email) = email else {
        return Ok(Reply::private(
            "Vigil could not read a verified email for your chat account, so it cannot tell who you are in Vigil.",
        ));
    };
    let Some(user) = user_by_email(&state.db, &email).await? else {
        return Ok(Reply::private(format!(
            "No active Vigil responder has the email {email}. Ask an admin to add you."
        )));
    };
    run(&state.db, &user, text, &state.public_url).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Tool {
    Slack,
    Mattermost,
}

/// The answer as both tools read it: `in_channel` for everyone, `ephemeral` for the
/// person who typed the command; the text escaped for the tool.
fn message(reply: &Reply, tool: Tool) -> Value {
    let text = match tool {
        Tool::Slack => slack_escape(&reply.text),
        Tool::Mattermost => reply
            .text
            .lines()
            .map(markdown_escape)
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let text = match &reply.link {
        Some(link) => format!("{text}\n{link}"),
        None => text,
    };
    json!({
        "response_type": if reply.in_channel { "in_channel" } else { "ephemeral" },
        "text": text,
    })
}

impl Chat {
    /// The verified email of a chat account, asked of the tool and kept for a while.
    async fn email(&self, tool: Tool, user_id: &str) -> Option<String> {
        if user_id.is_empty()
            || user_id.len() > 64
            || !user_id.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return None;
        }
        let key = format!("{tool:?}:{user_id}");
        if let Some((email, at)) = self.emails.lock().unwrap().get(&key)
            && at.elapsed() < EMAIL_CACHE
        {
            return email.clone();
        }
        let email = match tool {
            Tool::Slack => self.slack_email(user_id).await,
            Tool::Mattermost => self.mattermost_email(user_id).await,
        };
        let mut kept = self.emails.lock().unwrap();
        kept.retain(|_, (_, at)| at.elapsed() < EMAIL_CACHE);
        kept.insert(key, (email.clone(), Instant::now()));
        email
    }

    /// `users.info`: Slack shows an account's email only once it is confirmed.
    async fn slack_email(&self, user_id: &str) -> Option<String> {
        let token = self.config.slack_bot_token.as_deref()?;
        let url = format!(
            "{}/users.info",
            self.config.slack_api_url.trim_end_matches('/')
        );
        let answer: Value = self
            .client
            .get(url)
            .query(&[("user", user_id)])
            .bearer_auth(token)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let user = answer.get("user").filter(|_| answer["ok"] == true)?;
        if user["deleted"] == true || user["is_bot"] == true {
            return None;
        }
        user["profile"]["email"].as_str().map(str::to_owned)
    }

    /// `GET /api/v4/users/{id}`: only an email Mattermost marks verified counts.
    async fn mattermost_email(&self, user_id: &str) -> Option<String> {
        let base = self.config.mattermost_url.as_deref()?;
        let token = self.config.mattermost_bot_token.as_deref()?;
        let url = format!("{}/api/v4/users/{user_id}", base.trim_end_matches('/'));
        let answer: Value = self
            .client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .ok()?
            .error_for_status()
            .ok()?
            .json()
            .await
            .ok()?;
        if answer["email_verified"] != true || answer["delete_at"].as_i64().unwrap_or(0) != 0 {
            return None;
        }
        answer["email"].as_str().map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_signatures_hold_only_for_the_secret_body_and_recent_time() {
        // Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        let at = 1_531_420_618;
        assert!(slack_signature_holds(
            secret,
            "1531420618",
            body,
            signature,
            at
        ));
        assert!(
            !slack_signature_holds(secret, "1531420618", body, signature, at + 301),
            "a replay"
        );
        assert!(!slack_signature_holds(
            "other",
            "1531420618",
            body,
            signature,
            at
        ));
        assert!(!slack_signature_holds(
            secret,
            "1531420618",
            b"token=x",
            signature,
            at
        ));
        assert!(!slack_signature_holds(
            secret,
            "1531420618",
            body,
            "v0=zz",
            at
        ));
        assert!(!slack_signature_holds(secret, "soon", body, signature, at));
    }

    #[test]
    fn answers_are_escaped_for_each_tool() {
        let reply = Reply {
            text: "Ada declared INC-4: <!channel> **down** @here".into(),
            link: Some("https://v/incidents/INC-4".into()),
            in_channel: true,
        };
        let slack = message(&reply, Tool::Slack);
        assert_eq!(slack["response_type"], "in_channel");
        assert_eq!(
            slack["text"],
            "Ada declared INC-4: &lt;!channel&gt; **down** @\u{2060}here\nhttps://v/incidents/INC-4"
        );
        let mattermost = message(&Reply::private("Use `help`"), Tool::Mattermost);
        assert_eq!(mattermost["response_type"], "ephemeral");
        assert_eq!(mattermost["text"], "Use \\`help\\`");
    }
}
