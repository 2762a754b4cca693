//! Sessions: a tower-sessions store over sea-orm (so sessions survive restarts and are
//! shared by replicas on one PostgreSQL), and signing in and out.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_sessions::Session;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::{throttle, users};
use crate::accounts::entities::session::{self, Entity as SessionRow};
use crate::accounts::entities::user;
use crate::accounts::{CurrentUser, UserId, validate};
use crate::audit::service::{self as audit, Actor};
use crate::error::AppError;
use crate::secrets::hash as sha256_hex;

/// Session keys. The user id is also copied into its own column so that all of a user's
/// sessions can be ended at once.
pub const USER_ID_KEY: &str = "user_id";
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// When the session's expiry was last moved forward (epoch seconds). The store keeps the
/// expiry of the last save, and a session is saved only when its data changes: without
/// this mark an active responder would be signed out one idle timeout after signing in.
pub const SEEN_AT_KEY: &str = "seen_at";
/// How this session signed in, when through an OpenID provider ([`SsoSignIn`]): what
/// signing out needs to end the provider's session too.
pub const SSO_KEY: &str = "sso";
/// The single sign-ons this browser has begun and not finished ([`Pending`]).
pub const SSO_PENDING_KEY: &str = "sso_pending";
/// The session's user as the store read it with the session, in the same statement
/// ([`LoadedUser`]). Never saved: `row` drops it, so it is current on every request.
const LOADED_USER_KEY: &str = "_loaded_user";

/// The account behind a session's `user_id`, read by the store's `load` in the statement
/// that reads the session: every signed-in request was two statements before any page's
/// own reads.
#[derive(Debug, Serialize, Deserialize)]
struct LoadedUser {
    id: i64,
    /// `None` when the account is gone or deactivated.
    user: Option<CurrentUser>,
}

/// A session signed in through an OpenID provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoSignIn {
    pub provider: String,
    /// Sent back as `id_token_hint` when signing out at the provider.
    pub id_token: String,
}

/// A single sign-on begun in this browser: checked and used up by its callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where to go afterwards (a checked same-origin path).
    pub next: String,
    /// Epoch seconds.
    pub started_at: i64,
}

/// How long a begun single sign-on may take.
pub const PENDING_SECONDS: i64 = 600;
/// At most this many at once (sign-ins begun in several tabs); the oldest goes first.
const MAX_PENDING: usize = 4;

/// Remembers a begun single sign-on.
pub async fn add_pending(session: &Session, pending: Pending) -> Result<(), AppError> {
    let mut all: Vec<Pending> = session
        .get(SSO_PENDING_KEY)
        .await
        .map_err(session_error)?
        .unwrap_or_default();
    all.retain(|p| pending.started_at - p.started_at < PENDING_SECONDS);
    all.push(pending);
    if all.len() > MAX_PENDING {
        all.remove(0);
    }
    session
        .insert(SSO_PENDING_KEY, all)
        .await
        .map_err(session_error)
}

/// Takes the begun sign-in with `state` for `provider`, if it is this browser's and not
/// too old: taken, it cannot be used again.
pub async fn take_pending(
    session: &Session,
    provider: &str,
    state: &str,
    now: i64,
) -> Result<Option<Pending>, AppError> {
    let mut all: Vec<Pending> = session
        .get(SSO_PENDING_KEY)
        .await
        .map_err(session_error)?
        .unwrap_or_default();
    let found = all
        .iter()
        .position(|p| crate::secrets::same(&p.state, state) && p.provider == provider)
        .map(|at| all.remove(at));
    // Only a found one changes the session: a stray callback must not create one.
    if found.is_some() {
        session
            .insert(SSO_PENDING_KEY, all)
            .await
            .map_err(session_error)?;
    }
    Ok(found.filter(|p| now - p.started_at < PENDING_SECONDS && now >= p.started_at - 60))
}

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Without a request.
    pub idle: chrono::Duration,
    /// At most, however active (the absolute lifetime).
    pub max_age: chrono::Duration,
}

/// Whether a request at `now` should push the session's expiry forward, given when that
/// last happened: at most once a minute (a write per user per minute, not per request),
/// and sooner for very short idle timeouts so that they still slide.
pub fn needs_touch(last: i64, now: i64, idle: chrono::Duration) -> bool {
    let every = (idle.num_seconds() / 4).clamp(1, 60);
    now - last >= every
}

/// The `SessionStore` over the `sessions` table. Ids are stored hashed.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The store's error for a failed statement, classified as every other database error
/// is (another writer in the way, a dropped connection), so that [`session_error`] can
/// tell "try again" from a fault.
fn backend(err: sea_orm::DbErr) -> session_store::Error {
    session_store::Error::Backend(AppError::from(err).to_string())
}

fn key(id: &Id) -> String {
    sha256_hex(&id.to_string())
}

fn to_chrono(t: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

fn to_time(t: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn row(record: &Record) -> Result<session::ActiveModel, session_store::Error> {
    let data: HashMap<&String, &serde_json::Value> = record
        .data
        .iter()
        .filter(|(k, _)| k.as_str() != LOADED_USER_KEY)
        .collect();
    Ok(session::ActiveModel {
        id: Set(key(&record.id)),
        user_id: Set(record.data.get(USER_ID_KEY).and_then(|v| v.as_i64())),
        data: Set(serde_json::to_string(&data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?),
        expires_at: Set(to_chrono(record.expiry_date)),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A collision of 128-bit random ids is practically impossible; still, never reuse one.
        while SessionRow::find_by_id(key(&record.id))
            .one(&self.db)
            .await
            .map_err(backend)?
            .is_some()
        {
            record.id = Id::default();
        }
        SessionRow::insert(row(record)?)
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Updates a session that still exists, and nothing else: a request that was in flight
    /// while its session was ended ("sign out everywhere", a password change) must not bring
    /// the row back when it saves on its way out. New sessions come only through `create`.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let row = row(record)?;
        SessionRow::update_many()
            .set(session::ActiveModel {
                user_id: row.user_id,
                data: row.data,
                expires_at: row.expires_at,
                ..Default::default()
            })
            .filter(session::Column::Id.eq(key(&record.id)))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = SessionRow::find_by_id(key(id))
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .select_also(user::Entity)
            .join(
                JoinType::LeftJoin,
                SessionRow::belongs_to(user::Entity)
                    .from(session::Column::UserId)
                    .to(user::Column::Id)
                    .into(),
            )
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some((found, account)) = found else {
            return Ok(None);
        };
        let mut data: HashMap<String, serde_json::Value> = serde_json::from_str(&found.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        if let Some(id) = found.user_id {
            let loaded = LoadedUser {
                id,
                user: account
                    .filter(|a| a.deactivated_at.is_none())
                    .map(|a| users::to_current(&a)),
            };
            data.insert(
                LOADED_USER_KEY.to_owned(),
                serde_json::to_value(loaded)
                    .map_err(|e| session_store::Error::Encode(e.to_string()))?,
            );
        }
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: to_time(found.expires_at),
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        SessionRow::delete_by_id(key(id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Removes sessions past their expiry; run periodically.
pub async fn delete_expired(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    Ok(SessionRow::delete_many()
        .filter(session::Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await?
        .rows_affected)
}

/// Ends every session of a user (sign out everywhere, deactivation).
pub async fn delete_for_user(db: &impl ConnectionTrait, user: UserId) -> Result<u64, AppError> {
    Ok(SessionRow::delete_many()
        .filter(session::Column::UserId.eq(user.0))
        .exec(db)
        .await?
        .rows_affected)
}

/// A session the database could not read or write for a passing reason (a dropped
/// connection, another writer in the way) is a 503 to try again, not a fault.
fn session_error(err: impl std::fmt::Display) -> AppError {
    let text = err.to_string();
    match [crate::error::CONNECTION_LOST, crate::error::CONTENTION]
        .into_iter()
        .find(|passing| text.contains(passing))
    {
        Some(passing) => AppError::Busy(passing.to_owned()),
        None => AppError::internal(format!("session: {text}")),
    }
}

/// The signed-in user of `session`, if any. Ends the session when the account was
/// deactivated or the absolute lifetime has passed.
pub async fn current_user(
    db: &impl ConnectionTrait,
    session: &Session,
    lifetimes: Lifetimes,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session
        .get::<i64>(USER_ID_KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    let signed_in_at = session
        .get::<i64>(SIGNED_IN_AT_KEY)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    let now = Utc::now().timestamp();
    let expired = now - signed_in_at > lifetimes.max_age.num_seconds();
    let user = if expired {
        None
    } else {
        match session
            .get::<LoadedUser>(LOADED_USER_KEY)
            .await
            .map_err(session_error)?
        {
            Some(loaded) if loaded.id == user_id => loaded.user,
            // Signed in during this request: the store has not read the account yet.
            _ => users::find(db, UserId(user_id))
                .await?
                .filter(|u| u.deactivated_at.is_none())
                .map(|u| users::to_current(&u)),
        }
    };
    match user {
        Some(user) => {
            let seen_at = session
                .get::<i64>(SEEN_AT_KEY)
                .await
                .map_err(session_error)?
                .unwrap_or(signed_in_at);
            if needs_touch(seen_at, now, lifetimes.idle) {
                // Changed data makes the session layer save it with a new expiry and
                // send the cookie again with a fresh max-age.
                session
                    .insert(SEEN_AT_KEY, now)
                    .await
                    .map_err(session_error)?;
            }
            Ok(Some(user))
        }
        None => {
            session.flush().await.map_err(session_error)?;
            Ok(None)
        }
    }
}

/// Signs in with email and password: throttled, audit-logged, and with a new session id
/// so that an id planted before sign-in is worthless after it.
pub async fn sign_in(
    db: &impl ConnectionTrait,
    session: &Session,
    email: &str,
    password: &str,
    ip: Option<String>,
) -> Result<CurrentUser, AppError> {
    let email = validate::email("email", email).map_err(|e| AppError::Invalid(vec![e]))?;
    let actor = Actor {
        id: None,
        email: None,
        ip: ip.clone(),
    };
    // The attempt is counted before the password is checked, so parallel guesses cannot
    // all slip past the limit while the first checks are still running.
    let reservation = throttle::reserve_sign_in(db, &email, ip.as_deref()).await?;
    let Some(user) = users::verify_credentials(db, &email, password).await? else {
        audit::record(db, &actor, throttle::FAILED, Some(&email), json!({})).await?;
        return Err(AppError::invalid(
            "credentials",
            "The email or password is not correct.",
        ));
    };
    throttle::succeeded(db, reservation).await?;
    signed_in(db, session, &user, ip, json!({})).await
}

/// A new session id for `user` (so an id planted before sign-in is worthless after it),
/// and the sign-in in the audit log with `details`.
async fn signed_in(
    db: &impl ConnectionTrait,
    session: &Session,
    user: &user::Model,
    ip: Option<String>,
    details: serde_json::Value,
) -> Result<CurrentUser, AppError> {
    begin(session, user.id).await?;
    let actor = Actor {
        id: Some(user.id),
        email: Some(user.email.clone()),
        ip,
    };
    audit::record(db, &actor, throttle::SUCCEEDED, Some(&user.email), details).await?;
    Ok(users::to_current(user))
}

/// Gives the session a new id and makes it `user_id`'s, signed in now.
async fn begin(session: &Session, user_id: i64) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(USER_ID_KEY, user_id)
        .await
        .map_err(session_error)?;
    session
        .insert(SIGNED_IN_AT_KEY, Utc::now().timestamp())
        .await
        .map_err(session_error)
}

/// Begins the session of someone who signed in through an OpenID provider: a new id,
/// as for a password sign-in, and what signing out at the provider will need.
pub async fn start_sso(
    db: &impl ConnectionTrait,
    session: &Session,
    user: &user::Model,
    sign_in: SsoSignIn,
    ip: Option<String>,
) -> Result<CurrentUser, AppError> {
    let _ = session
        .remove::<serde_json::Value>(SSO_PENDING_KEY)
        .await
        .map_err(session_error)?;
    let details = json!({ "provider": sign_in.provider });
    session
        .insert(SSO_KEY, sign_in)
        .await
        .map_err(session_error)?;
    signed_in(db, session, user, ip, details).await
}

/// How this session signed in, if through an OpenID provider.
pub async fn sso_sign_in(session: &Session) -> Result<Option<SsoSignIn>, AppError> {
    session.get(SSO_KEY).await.map_err(session_error)
}

/// Signs out: the session is deleted on the server, not just forgotten by the browser.
pub async fn sign_out(
    db: &impl ConnectionTrait,
    session: &Session,
    actor: &Actor,
) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)?;
    if actor.id.is_some() {
        audit::record(db, actor, "sign_out", actor.email.as_deref(), json!({})).await?;
    }
    Ok(())
}

/// Begins a session for a user who was just created (first-run set-up).
pub async fn start(session: &Session, user: &CurrentUser) -> Result<(), AppError> {
    begin(session, user.id.0).await
}

#[cfg(test)]
mod tests {
    use super::needs_touch;
    use chrono::Duration;

    #[test]
    fn a_session_slides_at_most_once_a_minute() {
        let twelve_hours = Duration::hours(12);
        assert!(!needs_touch(1_000, 1_000, twelve_hours));
        assert!(!needs_touch(1_000, 1_059, twelve_hours));
        assert!(needs_touch(1_000, 1_060, twelve_hours));
        // A clock that went back does not write on every request.
        assert!(!needs_touch(1_000, 900, twelve_hours));
    }

    #[test]
    fn short_idle_timeouts_still_slide_before_they_run_out() {
        assert!(needs_touch(0, 1, Duration::seconds(2)));
        assert!(!needs_touch(0, 1, Duration::seconds(8)));
        assert!(needs_touch(0, 2, Duration::seconds(8)));
    }
}
