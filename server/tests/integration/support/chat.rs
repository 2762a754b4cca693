//! A stand-in for the chat tools' user APIs on a free port: Slack's `users.info` and
//! Mattermost's `GET /api/v4/users/{id}`, answering from accounts a test adds, to the
//! bot tokens the test server is configured with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub const SLACK_SECRET: &str = "slack-signing-secret-for-tests";
pub const SLACK_BOT_TOKEN: &str = "xoxb-test";
pub const MATTERMOST_TOKEN: &str = "mattermost-command-token";
pub const MATTERMOST_BOT_TOKEN: &str = "mattermost-bot-token";

/// Chat accounts by id: (email, verified).
type Accounts = Arc<Mutex<HashMap<String, (String, bool)>>>;

#[derive(Clone)]
pub struct ChatDirectory {
    pub url: String,
    accounts: Accounts,
}

fn bearer_is(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {token}"))
}

impl ChatDirectory {
    pub async fn start() -> Self {
        let accounts: Accounts = Arc::default();
        let (slack, mattermost) = (accounts.clone(), accounts.clone());
        let router = Router::new()
            .route(
                "/api/users.info",
                get(move |headers: HeaderMap, Query(q): Query<HashMap<String, String>>| {
                    let accounts = slack.clone();
                    async move {
                        if !bearer_is(&headers, SLACK_BOT_TOKEN) {
                            return Json(json!({ "ok": false, "error": "invalid_auth" }));
                        }
                        let id = q.get("user").cloned().unwrap_or_default();
                        match accounts.lock().unwrap().get(&id) {
                            Some((email, _)) => Json(json!({
                                "ok": true,
                                "user": { "id": id, "deleted": false, "is_bot": false, "profile": { "email": email } },
                            })),
                            None => Json(json!({ "ok": false, "error": "user_not_found" })),
                        }
                    }
                }),
            )
            .route(
                "/api/v4/users/{id}",
                get(move |headers: HeaderMap, Path(id): Path<String>| {
                    let accounts = mattermost.clone();
                    async move {
                        if !bearer_is(&headers, MATTERMOST_BOT_TOKEN) {
                            return (StatusCode::UNAUTHORIZED, Json(Value::Null));
                        }
                        match accounts.lock().unwrap().get(&id) {
                            Some((email, verified)) => (
                                StatusCode::OK,
                                Json(json!({ "id": id, "email": email, "email_verified": verified, "delete_at": 0 })),
                            ),
                            None => (StatusCode::NOT_FOUND, Json(Value::Null)),
                        }
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, accounts }
    }

    /// A chat account `id` with `email`, verified or not.
    pub fn add(&self, id: &str, email: &str, verified: bool) {
        self.accounts
            .lock()
            .unwrap()
            .insert(id.to_owned(), (email.to_owned(), verified));
    }
}
