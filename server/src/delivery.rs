//! What a webhook endpoint receives (alert and change senders): the sender's
//! address, its headers and the body, read up to [`MAX_BODY`] (a larger one is a 413
//! with the JSON error, never a cut payload).

use app::error::AppError;
use app::state::AppState;
use app::web::ClientIp;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;

/// The largest payload accepted; Alertmanager groups of hundreds of alerts fit easily.
pub const MAX_BODY: usize = 1024 * 1024;

/// One webhook delivery, as its handler needs it.
pub(crate) struct Delivery {
    pub state: AppState,
    pub ip: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Delivery {
    /// A header's text, if it is there and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The token of an `Authorization: Bearer` header.
    pub fn bearer(&self) -> Option<String> {
        crate::auth::bearer(&self.headers)
    }
}

impl FromRequest<AppState> for Delivery {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let (parts, body) = request.into_parts();
        let body = read_body(body).await?;
        Ok(Delivery {
            state: state.clone(),
            ip: parts
                .extensions
                .get::<ClientIp>()
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            headers: parts.headers,
            body,
        })
    }
}

/// A request body up to [`MAX_BODY`]; a larger one is the JSON 413. For an endpoint that
/// must refuse before reading (a chat command that is not set up).
pub(crate) async fn read_body(body: Body) -> Result<Bytes, AppError> {
    to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| AppError::PayloadTooLarge(MAX_BODY / 1024))
}
