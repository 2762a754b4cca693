//! The accounts side of single sign-on: which Vigil user a verified identity is (by its
//! provider account once linked, else by verified email), created on first sign-in when
//! allowed, and given the role its groups map to at every sign-in.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::{Map, Value, json};

use super::ProviderConfig;
use super::jwt::{self, Refusal};
use crate::accounts::entities::identity::{self, Entity as IdentityRow};
use crate::accounts::entities::user;
use crate::accounts::service::users;
use crate::accounts::{Role, validate};
use crate::audit::service::{self as audit, Actor};
use crate::error::AppError;

/// What the provider says about the person, from the ID token and userinfo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

impl Identity {
    /// The verified ID token's claims first; userinfo (about the same subject) fills what
    /// they lack.
    pub fn from_claims(
        id_token: &Map<String, Value>,
        userinfo: &Map<String, Value>,
        groups_claim: &str,
    ) -> Self {
        let pick = |name: &str| {
            jwt::claim(id_token, name)
                .filter(|v| !v.is_null())
                .or_else(|| jwt::claim(userinfo, name))
        };
        let text = |name: &str| {
            pick(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let name = text("name").or_else(|| {
            let parts: Vec<String> = ["given_name", "family_name"]
                .iter()
                .filter_map(|n| text(n))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        Self {
            subject: text("sub").unwrap_or_default(),
            email: text("email"),
            email_verified: jwt::is_true(pick("email_verified")),
            name: name.or_else(|| text("preferred_username")),
            groups: jwt::strings(pick(groups_claim)),
        }
    }
}

/// Why a single sign-on did not sign anyone in. The browser is sent back to the
/// sign-in page with [`Failure::code`]; the audit log keeps [`Failure::reason`].
#[derive(Debug)]
pub enum Failure {
    /// No sign-in of this browser matches the state: expired, already used, or begun
    /// elsewhere (a forged callback).
    State,
    /// The person cancelled, or the provider refused them.
    Denied,
    /// The provider could not be reached or answered with an error.
    Provider(String),
    Token(Refusal),
    EmailUnverified,
    NoEmail,
    /// No account, and this provider does not create them.
    NoAccount,
    Deactivated,
    Internal(AppError),
}

impl Failure {
    pub fn code(&self) -> &'static str {
        match self {
            Self::State => "state",
            Self::Denied => "denied",
            Self::Provider(_) => "provider",
            Self::Token(_) => "token",
            Self::EmailUnverified => "email_unverified",
            Self::NoEmail => "no_email",
            Self::NoAccount => "no_account",
            Self::Deactivated => "deactivated",
            Self::Internal(_) => "internal",
        }
    }

    /// For the audit log and the server's log: what exactly was refused.
    pub fn reason(&self) -> String {
        match self {
            Self::Token(refusal) => format!("{}: {refusal}", refusal.code()),
            Self::Provider(detail) => detail.clone(),
            Self::Internal(err) => err.to_string(),
            other => other.code().to_owned(),
        }
    }
}

impl From<AppError> for Failure {
    fn from(err: AppError) -> Self {
        Self::Internal(err)
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Internal(err.into())
    }
}

/// Records a refused single sign-on in the audit log.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    provider: &str,
    failure: &Failure,
    who: Option<&str>,
    ip: Option<String>,
) {
    let actor = Actor {
        ip,
        ..Default::default()
    };
    let details =
        json!({ "provider": provider, "code": failure.code(), "reason": failure.reason() });
    if let Err(err) = audit::record(db, &actor, "sso.refused", who, details).await {
        tracing::error!(error = %err, "could not record a refused sign-in");
    }
}

/// Who has signed in through which provider (by issuer), and whether they also have a
/// password, for the admins' users page.
pub async fn linked_accounts(
    db: &impl ConnectionTrait,
    providers: &[ProviderConfig],
) -> Result<Vec<super::LinkedAccount>, AppError> {
    let links = IdentityRow::find()
        .find_also_related(user::Entity)
        .all(db)
        .await?;
    let mut accounts: Vec<super::LinkedAccount> = Vec::new();
    for (link, account) in links {
        let Some(account) = account else { continue };
        let name = providers
            .iter()
            .find(|p| p.issuer == link.issuer)
            .map_or_else(|| link.issuer.clone(), |p| p.name.clone());
        match accounts.iter_mut().find(|a| a.user_id.0 == account.id) {
            Some(found) if !found.providers.contains(&name) => found.providers.push(name),
            Some(_) => {}
            None => accounts.push(super::LinkedAccount {
                user_id: crate::accounts::UserId(account.id),
                providers: vec![name],
                password: users::has_password(&account),
            }),
        }
    }
    Ok(accounts)
}

/// A stored password that no password matches: accounts created by single sign-on have
/// none until an admin sets one.
pub const NO_PASSWORD: &str = "!sso";

/// The Vigil user `identity` signs in as, linked, created and given its mapped role as
/// the provider's settings say. `break_glass` (the one password account kept when
/// passwords are off) keeps its role whatever its groups.
pub async fn sign_in(
    db: &impl crate::db::Writer,
    provider: &ProviderConfig,
    identity: &Identity,
    break_glass: Option<&str>,
    ip: Option<String>,
) -> Result<user::Model, Failure> {
    match sign_in_once(db, provider, identity, break_glass, ip.clone()).await {
        // The same person's first sign-in in another tab created the account or the
        // link a moment ago (PostgreSQL lets both try): now it is there to be found.
        Err(Failure::Internal(_)) => sign_in_once(db, provider, identity, break_glass, ip).await,
        done => done,
    }
}

async fn sign_in_once(
    db: &impl crate::db::Writer,
    provider: &ProviderConfig,
    identity: &Identity,
    break_glass: Option<&str>,
    ip: Option<String>,
) -> Result<user::Model, Failure> {
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let linked = IdentityRow::find()
        .filter(identity::Column::Issuer.eq(&provider.issuer))
        .filter(identity::Column::Subject.eq(&identity.subject))
        .one(&txn)
        .await?;
    let actor = Actor {
        ip: ip.clone(),
        ..Default::default()
    };
    let (mut user, link) = match linked {
        Some(link) => {
            let user = users::find(&txn, crate::accounts::UserId(link.user_id))
                .await?
                .ok_or_else(|| Failure::Internal(AppError::internal("identity without a user")))?;
            (user, Some(link))
        }
        None => {
            let email = identity.email.as_deref().ok_or(Failure::NoEmail)?;
            if !identity.email_verified && !provider.trust_email {
                return Err(Failure::EmailUnverified);
            }
            let email = validate::email("email", email).map_err(|_| Failure::NoEmail)?;
            let user = match users::find_by_email(&txn, &email).await? {
                Some(user) => user,
                None if provider.create_users => {
                    create(&txn, provider, identity, &email, &actor).await?
                }
                None => return Err(Failure::NoAccount),
            };
            (user, None)
        }
    };
    if user.deactivated_at.is_some() {
        return Err(Failure::Deactivated);
    }
    let actor = Actor {
        id: Some(user.id),
        email: Some(user.email.clone()),
        ip,
    };
    if let Some(role) = provider.role_for(&identity.groups)
        && role != user.role
        && break_glass != Some(user.email.as_str())
    {
        user = apply_role(&txn, user, role, &provider.id, &actor).await?;
    }
    let reported = identity.email.clone().unwrap_or_default();
    match link {
        Some(link) => {
            let mut link = link.into_active_model();
            link.email = Set(reported);
            link.last_sign_in_at = Set(now);
            link.update(&txn).await?;
        }
        None => {
            identity::ActiveModel {
                user_id: Set(user.id),
                issuer: Set(provider.issuer.clone()),
                subject: Set(identity.subject.clone()),
                email: Set(reported),
                created_at: Set(now),
                last_sign_in_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            audit::record(
                &txn,
                &actor,
                "sso.linked",
                Some(&user.email),
                json!({ "provider": provider.id, "subject": identity.subject }),
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(user)
}

async fn create(
    db: &impl ConnectionTrait,
    provider: &ProviderConfig,
    identity: &Identity,
    email: &str,
    actor: &Actor,
) -> Result<user::Model, Failure> {
    let name = identity
        .name
        .as_deref()
        .and_then(|n| validate::display_name("display_name", &clip(n, 100)).ok())
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
    let role = provider
        .role_for(&identity.groups)
        .unwrap_or(provider.default_role);
    let now = Utc::now();
    let model = user::ActiveModel {
        email: Set(email.to_owned()),
        display_name: Set(name),
        password_hash: Set(NO_PASSWORD.into()),
        role: Set(role),
        password_change_required: Set(false),
        deactivated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        actor,
        "user.created",
        Some(&model.email),
        json!({ "role": role, "user_id": model.id, "provider": provider.id }),
    )
    .await?;
    Ok(model)
}

fn clip(text: &str, chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(chars)
        .collect()
}

/// Gives `user` the role their groups map to, unless that would leave Vigil without an
/// active admin (then the role is kept, and the audit log says why).
async fn apply_role(
    db: &impl ConnectionTrait,
    user: user::Model,
    role: Role,
    provider: &str,
    actor: &Actor,
) -> Result<user::Model, Failure> {
    let previous = user.role;
    if role != Role::Admin && users::ensure_another_admin(db, &user).await.is_err() {
        audit::record(
            db,
            actor,
            "sso.role_kept",
            Some(&user.email),
            json!({ "provider": provider, "role": previous, "mapped": role, "reason": "last active admin" }),
        )
        .await?;
        return Ok(user);
    }
    let mut active = user.into_active_model();
    active.role = Set(role);
    active.updated_at = Set(Utc::now());
    let user = active.update(db).await?;
    audit::record(
        db,
        actor,
        "user.role_changed",
        Some(&user.email),
        json!({ "from": previous, "to": role, "provider": provider }),
    )
    .await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_takes_the_id_token_first_and_userinfo_for_the_rest() {
        let token = json!({"sub": "u1", "email": "Ada@Example.com", "given_name": "Ada", "family_name": "Lovelace"});
        let info = json!({"sub": "u1", "email": "other@example.com", "email_verified": true, "groups": ["sre"]});
        let identity = Identity::from_claims(
            token.as_object().unwrap(),
            info.as_object().unwrap(),
            "groups",
        );
        assert_eq!(
            identity,
            Identity {
                subject: "u1".into(),
                email: Some("Ada@Example.com".into()),
                email_verified: true,
                name: Some("Ada Lovelace".into()),
                groups: vec!["sre".into()],
            }
        );
        let bare = json!({"sub": "u2", "preferred_username": "grace", "email_verified": false});
        let identity = Identity::from_claims(bare.as_object().unwrap(), &Map::new(), "groups");
        assert_eq!(identity.name.as_deref(), Some("grace"));
        assert!(!identity.email_verified && identity.email.is_none());
    }

    #[test]
    fn failures_have_codes_the_sign_in_page_knows() {
        for failure in [
            Failure::State,
            Failure::Denied,
            Failure::Provider("x".into()),
            Failure::Token(Refusal::Expired),
            Failure::EmailUnverified,
            Failure::NoEmail,
            Failure::NoAccount,
            Failure::Deactivated,
        ] {
            assert_ne!(
                super::super::failure_message(failure.code()),
                super::super::failure_message("anything else"),
                "{failure:?}"
            );
        }
        assert_eq!(
            Failure::Token(Refusal::Audience).reason(),
            "audience: the ID token is not meant for this client"
        );
    }
}
