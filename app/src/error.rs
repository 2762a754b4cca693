//! The one error type that crosses the wire.
//!
//! Policy:
//! - `NotFound`, `Unauthorized`, `Forbidden`, `Conflict`, `PayloadTooLarge`, `Invalid` and
//!   `TooManyRequests` describe the user's request; their message is shown to the user as
//!   is and maps to a 4xx status (404, 401, 403, 409, 413, 422, 429).
//! - `Busy` is the server shedding load it could not take on in time (too many password
//!   checks at once): 503, and the client may try again after [`AppError::retry_after`].
//! - `Internal` is everything the user cannot fix. Its details are logged on the server
//!   (with [`AppError::internal`]) and never echoed: the user sees a generic message and a 500.
//! - Server functions and the JSON API return `AppError`; the HTTP status is set from
//!   [`AppError::status`] so that no client ever sees a 500 for bad input. Outside server
//!   functions (the API, webhooks) an `AppError` is a response of its own:
//!   `{"error": {"code", "message", "field"}}` with that status.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A field-level validation problem, shown next to the field it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// Whether this error belongs to one item's form on a list page (see
    /// [`AppError::for_item`]), so a list-wide message leaves it to that form.
    pub fn is_for_item(&self) -> bool {
        self.field
            .split_once('.')
            .is_some_and(|(item, _)| !item.is_empty() && item.bytes().all(|b| b.is_ascii_digit()))
    }

    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("{message}")]
    Conflict { message: String },
    /// A request body over the limit of the route that read it, in KiB.
    #[error("Request bodies are limited to {0} KiB.")]
    PayloadTooLarge(usize),
    #[error("{}", first_message(.0))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Busy(String),
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Internal,
}

fn first_message(errors: &[FieldError]) -> String {
    errors
        .first()
        .map(|e| e.message.clone())
        .unwrap_or_else(|| "The request is not valid.".to_owned())
}

impl AppError {
    /// A single-field validation error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// The same error with field errors about `from` told about `to`: a form that asks
    /// by name (a search field) shows the rules' errors about the ids they resolve to
    /// beside its own field. Other errors pass unchanged.
    pub fn for_field(mut self, from: &str, to: &str) -> Self {
        if let Self::Invalid(errors) = &mut self {
            for e in errors.iter_mut().filter(|e| e.field == from) {
                e.field = to.to_owned();
            }
        }
        self
    }

    /// The same error with its field errors keyed to one item of a list (`{item}.{field}`).
    /// A list page's forms, one per item, post to one server function; the key lets the
    /// page show each message in the form that was sent, also without JavaScript, where
    /// the error comes back in the redirect's URL and nothing else says which form it was.
    pub fn for_item(mut self, item: i64) -> Self {
        if let Self::Invalid(errors) = &mut self {
            for e in errors.iter_mut() {
                e.field = format!("{item}.{}", e.field);
            }
        }
        self
    }

    /// The field errors [`for_item`](Self::for_item) keyed to `item`, under their own
    /// field names again; `None` when there are none.
    pub fn of_item(&self, item: i64) -> Option<Self> {
        let Self::Invalid(errors) = self else {
            return None;
        };
        let key = format!("{item}.");
        let mine: Vec<FieldError> = errors
            .iter()
            .filter_map(|e| Some(FieldError::new(e.field.strip_prefix(&key)?, &e.message)))
            .collect();
        (!mine.is_empty()).then_some(Self::Invalid(mine))
    }

    /// Logs `err` with its full detail and returns the opaque `Internal` variant.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        #[cfg(feature = "ssr")]
        tracing::error!(error = %err, "internal error");
        #[cfg(not(feature = "ssr"))]
        let _ = err;
        Self::Internal
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Conflict { .. } => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::Invalid(_) => "invalid",
            Self::TooManyRequests(_) => "too_many_requests",
            Self::Busy(_) => "busy",
            Self::Internal => "internal",
        }
    }

    /// Seconds after which trying again can succeed (the `Retry-After` header), for the
    /// refusals that pass with time.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests(_) => Some(60 * 15),
            Self::Busy(_) => Some(2),
            _ => None,
        }
    }

    /// The message for `field`, if this is a validation error that names it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request could not be decoded: the client sent something malformed.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                Self::invalid("request", msg)
            }
            other => Self::internal(other),
        }
    }
}

/// Another writer in the way is a 503 to try again (and `db::retrying` tries
/// itself first), never a 500; anything else from the database is internal.
#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if is_contention(&err) {
            tracing::warn!(error = %err, "a write met another writer");
            return Self::Busy(CONTENTION.to_owned());
        }
        if is_connection_lost(&err) {
            tracing::warn!(error = %err, "the database dropped a connection");
            connection_lost();
            return Self::Busy(CONNECTION_LOST.to_owned());
        }
        Self::internal(err)
    }
}

/// How long after a dropped connection every pooled connection is checked when taken.
#[cfg(feature = "ssr")]
const SUSPECT_AFTER_LOSS_MS: i64 = 10_000;

/// Until when (milliseconds since the Unix epoch) pooled connections are suspect.
#[cfg(feature = "ssr")]
static SUSPECT_UNTIL: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Notes that the database dropped a connection (a restart, a failover, an administrator
/// ending sessions): the pool's other connections are most likely gone too, and each
/// would fail one request before it is closed.
#[cfg(feature = "ssr")]
fn connection_lost() {
    let until = chrono::Utc::now().timestamp_millis() + SUSPECT_AFTER_LOSS_MS;
    SUSPECT_UNTIL.fetch_max(until, std::sync::atomic::Ordering::Relaxed);
}

/// Whether a connection was found dropped in the last ten seconds: the pool then pings
/// every connection it hands out, so a dead one is replaced instead of handed out.
#[cfg(feature = "ssr")]
pub fn connections_suspect() -> bool {
    chrono::Utc::now().timestamp_millis() < SUSPECT_UNTIL.load(std::sync::atomic::Ordering::Relaxed)
}

/// What a request answers when the database dropped its connection: it may be sent again
/// (the next one gets a checked connection).
pub const CONNECTION_LOST: &str =
    "Vigil lost its connection to the database; please try again in a moment.";

/// Whether `err` says the connection itself is gone (PostgreSQL restarted, failed over or
/// ended the session; the socket closed): not the request's fault, and not a bug.
#[cfg(feature = "ssr")]
pub fn is_connection_lost(err: &sea_orm::DbErr) -> bool {
    match driver_error(err) {
        Some(sea_orm::sqlx::Error::Io(_)) => true,
        // Class 08 (connection exception); 57P01-57P03: administrator or crash shutdown,
        // cannot connect now.
        Some(sea_orm::sqlx::Error::Database(db)) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        _ => false,
    }
}

/// The driver's own error inside `err`, where there is one.
#[cfg(feature = "ssr")]
fn driver_error(err: &sea_orm::DbErr) -> Option<&sea_orm::sqlx::Error> {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// What a write answers when other writers were still in the way after waiting and
/// trying again: the client may simply send it again.
pub const CONTENTION: &str = "Vigil is busy writing other changes; please try again in a moment.";

/// Whether `err` says another writer was in the way, so the same write can succeed when
/// tried again: SQLite still busy or locked after the busy timeout, a PostgreSQL
/// serialisation failure or deadlock, or no free connection in time.
#[cfg(feature = "ssr")]
pub fn is_contention(err: &sea_orm::DbErr) -> bool {
    let Some(e) = driver_error(err) else {
        return matches!(
            err,
            sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)
        );
    };
    match e {
        sea_orm::sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            // PostgreSQL: serialization_failure, deadlock_detected. SQLite: BUSY, LOCKED
            // and their extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT,
            // LOCKED_SHAREDCACHE).
            Some("40001" | "40P01" | "5" | "6" | "261" | "517" | "773" | "262")
        ),
        sea_orm::sqlx::Error::PoolTimedOut => true,
        _ => false,
    }
}

/// The JSON API's and the webhooks' answer for a refusal: the status of
/// [`AppError::status`], `Retry-After` where waiting helps, and
/// `{"error": {"code", "message", "field"}}` (`field` names the first field at fault).
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field: match &self {
                    Self::Invalid(errors) => errors.first().map(|e| e.field.clone()),
                    _ => None,
                },
            },
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        response
    }
}

/// The body of every refusal outside server functions.
#[cfg(feature = "ssr")]
#[derive(Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[cfg(feature = "ssr")]
#[derive(Serialize)]
pub struct ErrorDetail {
    /// Stable, for programs: [`AppError::code`].
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// The input at fault, for `invalid`.
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn a_pool_timeout_is_contention_and_a_missing_row_is_not() {
        use sea_orm::DbErr;
        assert!(is_contention(&DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout
        )));
        assert!(!is_contention(&DbErr::RecordNotFound("x".into())));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_dropped_connection_is_a_503_to_try_again_and_a_bad_statement_is_not() {
        use sea_orm::{DbErr, RuntimeErr};
        let sqlx = |e| DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(e)));
        let reset = sqlx(sea_orm::sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert!(is_connection_lost(&reset));
        let answer = AppError::from(reset);
        assert_eq!(answer.status(), 503);
        assert!(answer.retry_after().is_some());
        assert_eq!(answer.to_string(), CONNECTION_LOST);

        let bad = sqlx(sea_orm::sqlx::Error::ColumnNotFound("x".into()));
        assert!(!is_connection_lost(&bad));
        assert_eq!(AppError::from(bad).status(), 500);
    }

    #[test]
    fn an_items_field_errors_reach_its_form_and_no_other() {
        let err = AppError::Invalid(vec![
            FieldError::new("name", "Too long."),
            FieldError::new("description", "Control characters."),
        ])
        .for_item(7);
        let AppError::Invalid(errors) = &err else {
            panic!("still invalid")
        };
        assert!(errors.iter().all(FieldError::is_for_item));
        assert_eq!(err.field_message("name"), None);
        let mine = err.of_item(7).expect("item 7's errors");
        assert_eq!(mine.field_message("name").as_deref(), Some("Too long."));
        assert_eq!(
            mine.field_message("description").as_deref(),
            Some("Control characters.")
        );
        assert_eq!(err.of_item(70), None);
        assert_eq!(err.of_item(0), None);
        assert_eq!(AppError::Forbidden.for_item(7), AppError::Forbidden);
        assert_eq!(AppError::Forbidden.of_item(7), None);
        assert!(!FieldError::new("name", "x").is_for_item());
        assert!(!FieldError::new("form.name", "x").is_for_item());
        assert!(!FieldError::new(".name", "x").is_for_item());
    }

    #[test]
    fn field_errors_move_to_the_field_the_form_shows() {
        let err = AppError::Invalid(vec![
            FieldError::new("reviewer_ids", "Unknown person."),
            FieldError::new("version", "Stale."),
        ])
        .for_field("reviewer_ids", "reviewers");
        let AppError::Invalid(errors) = err else {
            panic!("still invalid")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["reviewers", "version"]);
        assert_eq!(
            AppError::Forbidden.for_field("reviewer_ids", "reviewers"),
            AppError::Forbidden
        );
    }

    #[test]
    fn every_user_error_maps_to_a_4xx_and_internal_to_500() {
        let cases = [
            (AppError::NotFound("x".into()), 404),
            (AppError::Unauthorized, 401),
            (AppError::Forbidden, 403),
            (
                AppError::Conflict {
                    message: "x".into(),
                },
                409,
            ),
            (AppError::PayloadTooLarge(64), 413),
            (AppError::invalid("title", "Title is required."), 422),
            (AppError::TooManyRequests("x".into()), 429),
            (AppError::Busy("x".into()), 503),
            (AppError::Internal, 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
        }
    }

    #[test]
    fn validation_errors_are_found_by_field() {
        let err = AppError::invalid("title", "Title is required.");
        assert_eq!(
            err.field_message("title").as_deref(),
            Some("Title is required.")
        );
        assert_eq!(err.field_message("summary"), None);
        assert_eq!(err.to_string(), "Title is required.");
    }

    #[test]
    fn internal_errors_never_echo_their_cause() {
        let err = AppError::internal("password=hunter2 connection refused");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn errors_round_trip_through_the_wire_encoding() {
        let err = AppError::invalid("email", "Enter an email address.");
        let back = AppError::de(err.ser());
        assert_eq!(back, err);
    }
}
