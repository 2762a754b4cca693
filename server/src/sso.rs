//! Single sign-on with OpenID Connect. `/auth/oidc/{id}/start` sends the browser to the
//! provider with a fresh state, nonce and PKCE verifier kept in its session;
//! `/auth/oidc/{id}/callback` takes them back (once), trades the code for tokens,
//! verifies the ID token and signs the person in. Every refusal goes back to the sign-in
//! page with a code the page explains, and into the audit log with the exact reason.

use app::accounts::service::sessions::{self, Pending, SsoSignIn};
use app::accounts::sso::jwt;
use app::accounts::sso::provider::{Provider, VerifyError, random_token};
use app::accounts::sso::service::{self, Failure, Identity};
use app::accounts::validate::return_path;
use app::error::AppError;
use app::state::AppState;
use app::web::ClientIp;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Deserialize;
use serde_json::Map;
use tower_sessions::{Expiry, Session};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/oidc/{id}/start", get(start))
        .route("/auth/oidc/{id}/callback", get(callback))
}

fn unknown_provider() -> Response {
    AppError::NotFound("There is no such sign-in provider.".into()).into_response()
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    next: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<StartQuery>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    session: Session,
) -> Response {
    let Some(provider) = state.sso.provider(&id) else {
        return unknown_provider();
    };
    let meta = match provider.metadata(state.sso.client()).await {
        Ok(meta) => meta,
        Err(err) => return refused(&state, provider, Failure::Provider(err), None, ip).await,
    };
    let pending = Pending {
        provider: id,
        state: random_token(),
        nonce: random_token(),
        verifier: random_token(),
        next: return_path(query.next.as_deref(), &state.public_url),
        started_at: chrono::Utc::now().timestamp(),
    };
    let url = provider.authorize_url(&meta, &pending.state, &pending.nonce, &pending.verifier);
    if let Err(err) = sessions::add_pending(&session, pending).await {
        return err.into_response();
    }
    // A visitor's session that only holds a begun sign-in lasts as long as the sign-in
    // may take, so abandoned (or flooded) starts leave no rows behind for long. Signing
    // in gives it the usual lifetime.
    if matches!(session.get::<i64>(sessions::USER_ID_KEY).await, Ok(None)) {
        let minutes = sessions::PENDING_SECONDS / 60;
        session.set_expiry(Some(Expiry::OnInactivity(time::Duration::minutes(minutes))));
    }
    Redirect::to(&url).into_response()
}

/// What the provider sends the browser back with (RFC 6749 4.1.2, RFC 9207's `iss`).
#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<CallbackQuery>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    session: Session,
) -> Response {
    let Some(provider) = state.sso.provider(&id) else {
        return unknown_provider();
    };
    let mut who = None;
    match finish(&state, provider, &session, query, &mut who, ip.clone()).await {
        Ok(next) => Redirect::to(&next).into_response(),
        Err(failure) => refused(&state, provider, failure, who.as_deref(), ip).await,
    }
}

async fn finish(
    state: &AppState,
    provider: &Provider,
    session: &Session,
    query: CallbackQuery,
    who: &mut Option<String>,
    ip: String,
) -> Result<String, Failure> {
    let now = chrono::Utc::now().timestamp();
    let id = &provider.config.id;
    let pending = match &query.state {
        Some(given) => sessions::take_pending(session, id, given, now).await?,
        None => None,
    };
    let pending = pending.ok_or(Failure::State)?;
    if let Some(error) = query.error {
        return Err(if error == "access_denied" {
            Failure::Denied
        } else {
            Failure::Provider(format!("the provider answered {error:?}"))
        });
    }
    if query
        .iss
        .as_ref()
        .is_some_and(|iss| *iss != provider.config.issuer)
    {
        return Err(Failure::Provider("the answer names another issuer".into()));
    }
    let code = query
        .code
        .ok_or_else(|| Failure::Provider("the answer holds no code".into()))?;
    let client = state.sso.client();
    let meta = provider.metadata(client).await.map_err(Failure::Provider)?;
    let tokens = provider
        .exchange(client, &meta, &code, &pending.verifier)
        .await
        .map_err(|err| Failure::Provider(format!("code exchange: {err}")))?;
    let claims = provider
        .verify(client, &meta, &tokens.id_token, &pending.nonce, now)
        .await
        .map_err(|err| match err {
            VerifyError::Keys(err) => Failure::Provider(format!("signing keys: {err}")),
            VerifyError::Token(refusal) => Failure::Token(refusal),
        })?;
    // Providers that keep claims out of the ID token (oidc-provider, by default) give
    // them at the userinfo endpoint.
    let lacking = claims.get("email").is_none()
        || (!provider.config.roles.is_empty()
            && jwt::claim(&claims, &provider.config.groups_claim).is_none());
    let userinfo = match (&tokens.access_token, lacking) {
        (Some(access), true) => {
            let subject = claims.get("sub").and_then(|s| s.as_str()).unwrap_or("");
            provider
                .userinfo(client, &meta, access, subject)
                .await
                .map_err(|err| Failure::Provider(format!("userinfo: {err}")))?
        }
        _ => Map::new(),
    };
    let identity = Identity::from_claims(&claims, &userinfo, &provider.config.groups_claim);
    *who = identity
        .email
        .clone()
        .or_else(|| Some(identity.subject.clone()));
    let user = service::sign_in(
        &state.db,
        &provider.config,
        &identity,
        state.sso.passwords.break_glass(),
        Some(ip.clone()),
    )
    .await?;
    sessions::start_sso(
        &state.db,
        session,
        &user,
        SsoSignIn {
            provider: id.clone(),
            id_token: tokens.id_token,
        },
        Some(ip),
    )
    .await?;
    Ok(pending.next)
}

/// Logs and audits a refusal, then sends the browser to the sign-in page to read why.
async fn refused(
    state: &AppState,
    provider: &Provider,
    failure: Failure,
    who: Option<&str>,
    ip: String,
) -> Response {
    tracing::warn!(provider = %provider.config.id, code = failure.code(), reason = %failure.reason(), "single sign-on refused");
    service::record_failure(&state.db, &provider.config.id, &failure, who, Some(ip)).await;
    Redirect::to(&format!("/login?sso_error={}", failure.code())).into_response()
}
