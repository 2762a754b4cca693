//! What every API handler takes from a request before it runs: who calls (and whether
//! their role lets them), the incident the path names, and the query or body. Each
//! refuses in the API's error shape, so a handler only sees what it can use.
//!
//! Authorisation lives here and in the services: the role a route needs is checked by
//! its extractor before the body is read (without the role the answer is 401 or 403
//! whatever the body); rules about the thing itself (a closed incident, a stale version)
//! are the services'.

use app::accounts::{CurrentUser, Role};
use app::audit::service::Actor;
use app::error::AppError;
use app::incidents::IncidentRef;
use app::web::ClientIp;
use axum::body::to_bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use super::MAX_BODY;

fn caller(parts: &Parts, role: Role) -> Result<CurrentUser, AppError> {
    let user = parts
        .extensions
        .get::<CurrentUser>()
        .cloned()
        .ok_or(AppError::Unauthorized)?;
    if user.role.includes(role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Any signed-in caller (a token or a session): every read.
pub struct Viewer(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        caller(parts, Role::Viewer).map(Viewer)
    }
}

/// A caller who may write: a responder or an admin.
pub struct Responder(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for Responder {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        caller(parts, Role::Responder).map(Responder)
    }
}

/// A responder or admin, with what the audit log records of them (their address
/// included).
pub struct AuditedResponder(pub CurrentUser, pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for AuditedResponder {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let user = caller(parts, Role::Responder)?;
        let actor = user.actor(parts.extensions.get::<ClientIp>().map(|c| c.0.clone()));
        Ok(AuditedResponder(user, actor))
    }
}

/// An admin, with what the audit log records of them (their address included).
pub struct Admin(pub CurrentUser, pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let user = caller(parts, Role::Admin)?;
        let actor = user.actor(parts.extensions.get::<ClientIp>().map(|c| c.0.clone()));
        Ok(Admin(user, actor))
    }
}

/// Lets a PATCH tell "set to null" (`Some(None)`) from "leave alone" (`None`).
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// The incident a path names (`INC-12`, `inc-12` or `12`); one it cannot name is a 404,
/// as for an incident that does not exist. Documents itself as the `reference` parameter.
#[derive(utoipa::IntoParams)]
#[into_params(names("reference"), parameter_in = Path)]
pub struct IncidentPath(
    /// The incident, like INC-12.
    #[param(value_type = String, example = "INC-12")]
    pub IncidentRef,
);

/// The service a path names by its slug. Documents itself as the `slug` parameter.
#[derive(utoipa::IntoParams)]
#[into_params(names("slug"), parameter_in = Path)]
pub struct ServicePath(
    /// The service, like checkout.
    #[param(example = "checkout")]
    pub String,
);

impl<S: Send + Sync> FromRequestParts<S> for ServicePath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(slug) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound("There is no such service.".into()))?;
        Ok(ServicePath(slug))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IncidentPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(value) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound("There is no such incident.".into()))?;
        IncidentRef::parse_or_not_found(&value).map(IncidentPath)
    }
}

/// A note on an incident's timeline (`.../incidents/{reference}/timeline/{event_id}`);
/// a path naming no incident or no number is a 404.
#[derive(utoipa::IntoParams)]
#[into_params(names("reference", "event_id"), parameter_in = Path)]
pub struct NotePath(
    /// The incident, like INC-12.
    #[param(value_type = String, example = "INC-12")]
    pub IncidentRef,
    /// The note's `id`, as the timeline lists it.
    pub i64,
);

impl<S: Send + Sync> FromRequestParts<S> for NotePath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let missing = app::incidents::service::timeline::note_missing;
        let Path((reference, id)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| missing())?;
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let id = id.parse().map_err(|_| missing())?;
        Ok(NotePath(reference, id))
    }
}

/// The one number a path names (`.../{id}`); a path naming none is `missing` (a 404).
pub async fn path_number<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    missing: fn() -> AppError,
) -> Result<i64, AppError> {
    let Path(id) = Path::<String>::from_request_parts(parts, state)
        .await
        .map_err(|_| missing())?;
    id.parse().map_err(|_| missing())
}

/// A change (`.../changes/{id}`); a path naming no number is a 404.
#[derive(utoipa::IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct ChangePath(
    /// The change's `id`.
    pub i64,
);

fn change_missing() -> AppError {
    AppError::NotFound("There is no such change.".into())
}

impl<S: Send + Sync> FromRequestParts<S> for ChangePath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        path_number(parts, state, change_missing)
            .await
            .map(ChangePath)
    }
}

/// A maintenance window (`.../maintenance/{id}`); a path naming no number is a 404.
#[derive(utoipa::IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct MaintenancePath(
    /// The window's `id`.
    pub i64,
);

impl<S: Send + Sync> FromRequestParts<S> for MaintenancePath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let missing = || AppError::NotFound("There is no such maintenance.".into());
        path_number(parts, state, missing)
            .await
            .map(MaintenancePath)
    }
}

/// A change as a cause of an incident (`.../incidents/{reference}/changes/{id}`); a path
/// naming no incident or no number is a 404.
#[derive(utoipa::IntoParams)]
#[into_params(names("reference", "id"), parameter_in = Path)]
pub struct IncidentChangePath(
    /// The incident, like INC-12.
    #[param(value_type = String, example = "INC-12")]
    pub IncidentRef,
    /// The change's `id`.
    pub i64,
);

impl<S: Send + Sync> FromRequestParts<S> for IncidentChangePath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path((reference, id)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| change_missing())?;
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let id = id.parse().map_err(|_| change_missing())?;
        Ok(IncidentChangePath(reference, id))
    }
}

/// A query string; one that does not parse is a 422 naming `query`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| AppError::invalid("query", format!("Bad query string: {e}")))
    }
}

/// A JSON body of at most `LIMIT` bytes ([`MAX_BODY`] unless an endpoint takes whole
/// documents): a larger one is a 413, a malformed one a 422 naming `body`.
pub struct ApiJson<T, const LIMIT: usize = MAX_BODY>(pub T);

impl<T: DeserializeOwned, S: Send + Sync, const LIMIT: usize> FromRequest<S> for ApiJson<T, LIMIT> {
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, _: &S) -> Result<Self, AppError> {
        let bytes = to_bytes(request.into_body(), LIMIT)
            .await
            .map_err(|_| AppError::PayloadTooLarge(LIMIT / 1024))?;
        if let Some(field) = nul_field(&bytes) {
            return Err(AppError::invalid(
                field,
                "Text may not contain NUL characters (\\u0000).",
            ));
        }
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            AppError::invalid(
                "body",
                format!("The body is not the JSON this endpoint takes: {e}"),
            )
        })
    }
}

/// The top-level field of a JSON body whose text (a key or a value, at any depth) holds
/// a NUL, or `body`: no text in Vigil holds one, and PostgreSQL refuses it in a
/// parameter. Only a body that spells `\u0000` is parsed twice.
fn nul_field(bytes: &[u8]) -> Option<String> {
    let spelled = bytes
        .windows(6)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|&b| b == b'0'));
    if !spelled {
        return None;
    }
    fn holds(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(holds),
            serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds(v)),
            _ => false,
        }
    }
    match serde_json::from_slice::<serde_json::Value>(bytes).ok()? {
        serde_json::Value::Object(map) => map
            .iter()
            .find(|(k, v)| k.contains('\0') || holds(v))
            .map(|(k, _)| {
                if k.contains('\0') {
                    "body".to_owned()
                } else {
                    k.clone()
                }
            }),
        other => holds(&other).then(|| "body".to_owned()),
    }
}

/// Where a newest-first page of ids starts (`before`, an earlier answer's `next`) and
/// how many rows it holds: the audit log's and the alerts' paging.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    pub before: Option<i64>,
    pub limit: u64,
}

impl Cursor {
    /// The most rows one answer holds.
    pub const MAX: u64 = 200;

    /// Checks the two parameters; `rows` names what is paged in the error.
    pub fn new(before: Option<i64>, limit: Option<u64>, rows: &str) -> Result<Self, AppError> {
        if before.is_some_and(|b| b < 1) {
            return Err(AppError::invalid(
                "before",
                "Pass an answer's `next` as given.",
            ));
        }
        let limit = limit.unwrap_or(50);
        if !(1..=Self::MAX).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("Ask for 1 to {} {rows}.", Self::MAX),
            ));
        }
        Ok(Self { before, limit })
    }

    /// How many rows to read: one more than shown says whether older ones remain.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }

    /// The page out of the rows read, and the `next` cursor (none at the oldest).
    pub fn page<T>(&self, mut rows: Vec<T>, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<i64>) {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let next = more.then(|| rows.last().map(id)).flatten();
        (rows, next)
    }
}

/// The `after` query parameter of the lists that page by position.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterParam {
    /// The items after this position (an answer's `next`), instead of a numbered page.
    pub after: Option<String>,
}

/// A list position from an answer's `next` (or `previous`), read with the list's own
/// `parse`; anything else is 422 on `field`.
pub fn position<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, AppError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            parse(v).ok_or_else(|| {
                AppError::invalid(
                    field,
                    "Not a position from this list: pass `next` or `previous` as given.",
                )
            })
        })
        .transpose()
}

/// The last page number a list answers (25 items a page: 2.5 million items).
pub const MAX_PAGE: u64 = 100_000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParam {
    /// From 1 (without it) to 100000.
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<u64>,
}

/// The `page` query parameter ([`PageParam`] in the document), checked against the
/// bounds the document gives: 1 without it, 422 on `page` outside 1..=[`MAX_PAGE`].
pub struct PageNumber(pub u64);

impl<S: Send + Sync> FromRequestParts<S> for PageNumber {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let ApiQuery(PageParam { page }) = ApiQuery::from_request_parts(parts, state).await?;
        match page {
            None => Ok(PageNumber(1)),
            Some(n @ 1..=MAX_PAGE) => Ok(PageNumber(n)),
            Some(_) => Err(AppError::invalid("page", "Pages run from 1 to 100000.")),
        }
    }
}
