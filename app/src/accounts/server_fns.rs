//! Thin server functions: who is asking, then a call into `service`.

use leptos::prelude::*;

use super::sso::{SignInOptions, SsoSettings};
use super::{CurrentUser, UserSummary};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service::{sessions, setup, users},
    super::{Role, UserId},
    crate::state::AppState,
    crate::web::{self, is_form_post, redirect_form_post, session, with_status},
};

/// The signed-in user, or `None`: used by the header and by pages to hide what a role
/// cannot do.
#[server(prefix = "/rpc", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(web::current_user())
}

/// The OpenID providers the sign-in page offers, and whether passwords are for everyone.
#[server(prefix = "/rpc", endpoint = "sign_in_options")]
pub async fn get_sign_in_options() -> Result<SignInOptions, AppError> {
    Ok(AppState::from_context()?.sso.options())
}

/// Returns where to go next (a same-origin path).
#[server(prefix = "/rpc", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    let state = AppState::from_context()?;
    let session = session().await?;
    // With passwords off, only the break-glass admin may use one.
    let result = if state.sso.passwords.allows(&email.trim().to_lowercase()) {
        sessions::sign_in(&state.db, &session, &email, &password, web::client_ip()).await
    } else {
        Err(AppError::invalid(
            "credentials",
            "Passwords are turned off here: sign in with your identity provider.",
        ))
    };
    let next = super::validate::return_path(next.as_deref(), &state.public_url);
    with_status(result.map(|user| {
        // A temporary password opens nothing but the page to replace it.
        let next = if user.password_change_required {
            "/account".to_owned()
        } else {
            next
        };
        redirect_form_post(&next);
        next
    }))
}

/// Ends the session; returns where to go: the sign-in page, or first the OpenID
/// provider's sign-out when the session began there and the provider offers one.
#[server(prefix = "/rpc", endpoint = "sign_out")]
pub async fn sign_out() -> Result<String, AppError> {
    let state = AppState::from_context()?;
    let session = session().await?;
    let actor = web::current_user()
        .map(|u| web::actor(&u))
        .unwrap_or_default();
    let sso = sessions::sso_sign_in(&session).await.ok().flatten();
    with_status(sessions::sign_out(&state.db, &session, &actor).await)?;
    let next = match sso {
        Some(sso) => provider_sign_out(&state, &sso).await,
        None => None,
    }
    .unwrap_or_else(|| "/login".to_owned());
    redirect_form_post(&next);
    Ok(next)
}

#[cfg(feature = "ssr")]
async fn provider_sign_out(state: &AppState, sso: &sessions::SsoSignIn) -> Option<String> {
    let provider = state.sso.provider(&sso.provider)?;
    let meta = provider.metadata(state.sso.client()).await.ok()?;
    provider.logout_url(&meta, &sso.id_token, &state.public_url)
}

/// First run: creates the first admin with the setup token from the server log.
#[server(prefix = "/rpc", endpoint = "complete_setup")]
pub async fn complete_setup(
    token: String,
    email: String,
    display_name: String,
    password: String,
    password_confirmation: String,
) -> Result<(), AppError> {
    let state = AppState::from_context()?;
    let result = async {
        let mut new = users::NewUser::parse(&email, &display_name, &password, Role::Admin)?;
        if password != password_confirmation {
            return Err(AppError::invalid(
                "password_confirmation",
                "The two passwords do not match.",
            ));
        }
        new.password_change_required = false;
        let txn = crate::db::begin_write(&state.db).await?;
        setup::claim_token(&txn, &token).await?;
        let actor = crate::audit::service::Actor {
            ip: web::client_ip(),
            ..Default::default()
        };
        let user = users::create(&txn, new, &actor).await?;
        txn.commit().await?;
        sessions::start(&session().await?, &user).await
    }
    .await;
    with_status(result)?;
    redirect_form_post("/");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "update_profile")]
pub async fn update_profile(
    display_name: String,
    time_zone: Option<String>,
) -> Result<CurrentUser, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let zone = time_zone.unwrap_or_default();
    let result =
        users::update_profile(&state.db, user.id, &display_name, &zone, &web::actor(&user)).await;
    with_status(result).inspect(|_| redirect_form_post("/account?saved=profile"))
}

/// The time zones a person can choose from (IANA names).
#[server(prefix = "/rpc", endpoint = "time_zones")]
pub async fn list_time_zones() -> Result<Vec<String>, AppError> {
    web::require(Role::Viewer)?;
    Ok(crate::time::all_zones())
}

/// Changes the caller's password. Every other session of theirs ends (whoever knew the old
/// password is signed out); this one continues under a new id. With `revoke_tokens`, their
/// API tokens stop working too.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirmation: String,
    revoke_tokens: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let result = async {
        users::change_own_password(
            &state.db,
            user.id,
            &current_password,
            &new_password,
            &new_password_confirmation,
            &web::actor(&user),
        )
        .await?;
        sessions::delete_for_user(&state.db, user.id).await?;
        sessions::start(&session().await?, &user).await?;
        if revoke_tokens.is_some() {
            crate::api_tokens::service::revoke_all_of(&state.db, &user, web::client_ip()).await?;
        }
        Ok(())
    }
    .await;
    with_status(result).inspect(|_| redirect_form_post("/account?saved=password"))
}

/// How people sign in: the OpenID providers, the password rule, and who is linked.
#[server(prefix = "/rpc", endpoint = "sso_settings")]
pub async fn get_sso_settings() -> Result<SsoSettings, AppError> {
    let (state, _) = web::require(Role::Admin)?;
    let accounts = super::sso::service::linked_accounts(&state.db, &state.sso.configs()).await;
    with_status(accounts.map(|accounts| SsoSettings {
        providers: state.sso.settings(),
        break_glass: state.sso.passwords.break_glass().map(str::to_owned),
        accounts,
    }))
}

#[server(prefix = "/rpc", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    let (state, _) = web::require(Role::Admin)?;
    with_status(users::list(&state.db).await)
}

/// What an admin sees once after inviting someone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Invitation {
    pub email: String,
    pub temporary_password: String,
}

#[server(prefix = "/rpc", endpoint = "invite_user")]
pub async fn invite_user(
    email: String,
    display_name: String,
    role: String,
) -> Result<Invitation, AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let role = Role::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose a role."))?;
        let (user, temporary_password) =
            users::invite(&state.db, &email, &display_name, role, &web::actor(&admin)).await?;
        let invitation = Invitation {
            email: user.email,
            temporary_password,
        };
        if is_form_post() {
            // Without JavaScript the result is shown on the page we redirect to, once.
            session()
                .await?
                .insert(INVITATION_FLASH_KEY, &invitation)
                .await
                .map_err(AppError::internal)?;
            redirect_form_post("/admin/users");
        }
        Ok(invitation)
    }
    .await;
    with_status(result)
}

#[cfg(feature = "ssr")]
const INVITATION_FLASH_KEY: &str = "flash.invitation";

/// The invitation made by the last plain form post, shown once.
#[server(prefix = "/rpc", endpoint = "take_invitation")]
pub async fn take_invitation() -> Result<Option<Invitation>, AppError> {
    web::require(Role::Admin)?;
    session()
        .await?
        .remove::<Invitation>(INVITATION_FLASH_KEY)
        .await
        .map_err(AppError::internal)
}

#[server(prefix = "/rpc", endpoint = "change_user_role")]
pub async fn change_user_role(user_id: i64, role: String) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let role = Role::parse(&role).ok_or_else(|| AppError::invalid("role", "Choose a role."))?;
        users::change_role(&state.db, UserId(user_id), role, &web::actor(&admin)).await
    }
    .await;
    with_status(result).inspect(|_| redirect_form_post("/admin/users"))
}

#[server(prefix = "/rpc", endpoint = "set_user_active")]
pub async fn set_user_active(user_id: i64, active: bool) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = users::set_active(&state.db, UserId(user_id), active, &web::actor(&admin)).await;
    with_status(result).inspect(|_| redirect_form_post("/admin/users"))
}

#[server(prefix = "/rpc", endpoint = "sign_out_user_everywhere")]
pub async fn sign_out_user_everywhere(user_id: i64) -> Result<u64, AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let target = users::find(&state.db, UserId(user_id))
            .await?
            .ok_or_else(|| AppError::NotFound("That user does not exist.".into()))?;
        let ended = sessions::delete_for_user(&state.db, UserId(user_id)).await?;
        crate::audit::service::record(
            &state.db,
            &web::actor(&admin),
            "user.signed_out_everywhere",
            Some(&target.email),
            serde_json::json!({ "sessions_ended": ended }),
        )
        .await?;
        Ok(ended)
    }
    .await;
    with_status(result).inspect(|_| redirect_form_post("/admin/users"))
}
