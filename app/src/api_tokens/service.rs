use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::entities::api_token::{self as entity, Entity as ApiToken};
use super::{ApiTokenView, NewApiToken};
use crate::accounts::entities::user;
use crate::accounts::service::users::to_current;
use crate::accounts::{CurrentUser, Role};
use crate::audit::service::{Actor, record as audit};
use crate::error::{AppError, FieldError};
use crate::secrets;

/// Tokens carry a recognisable prefix, so a leaked one is easy to grep for.
pub const TOKEN_PREFIX: &str = "vigil_api_";

/// How many live tokens one person may hold.
pub const MAX_TOKENS: u64 = 20;

/// Makes a token for `user`, named, expiring after `expires_in_days` (blank: never).
pub async fn create(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    name: &str,
    expires_in_days: &str,
    ip: Option<String>,
) -> Result<NewApiToken, AppError> {
    let mut errors = Vec::new();
    let name = name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "Name the token after what uses it, e.g. “deploy script”.",
        ));
    } else if name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "Keep the name under 100 characters.",
        ));
    }
    let expires_at = match expires_in_days.trim() {
        "" | "never" => None,
        days => match days.parse::<i64>() {
            Ok(d) if (1..=3650).contains(&d) => Some(Utc::now() + Duration::days(d)),
            _ => {
                errors.push(FieldError::new(
                    "expires_in_days",
                    "Give a number of days from 1 to 3650, or leave it empty.",
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let live = ApiToken::find()
        .filter(entity::Column::UserId.eq(user.id.0))
        .filter(entity::Column::RevokedAt.is_null())
        .count(db)
        .await?;
    if live >= MAX_TOKENS {
        return Err(AppError::invalid(
            "name",
            format!("You have {MAX_TOKENS} tokens already; revoke one first."),
        ));
    }
    let issued = secrets::issue(TOKEN_PREFIX);
    let created = entity::ActiveModel {
        user_id: Set(user.id.0),
        name: Set(name.clone()),
        token_hash: Set(issued.hash),
        token_hint: Set(issued.hint),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit(
        db,
        &user.actor(ip),
        "api_token.created",
        Some(&format!("api token {}", created.id)),
        json!({ "name": name }),
    )
    .await?;
    Ok(NewApiToken {
        name,
        token: issued.token,
    })
}

fn view(m: entity::Model, owner: String) -> ApiTokenView {
    let now = Utc::now();
    ApiTokenView {
        id: m.id,
        expired: m.expires_at.is_some_and(|t| t <= now),
        revoked: m.revoked_at.is_some(),
        name: m.name,
        owner,
        hint: m.token_hint,
        created_at: m.created_at,
        expires_at: m.expires_at,
        last_used_at: m.last_used_at,
    }
}

/// The caller's own tokens, newest first; admins see everyone's.
pub async fn list(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
) -> Result<Vec<ApiTokenView>, AppError> {
    let mut query = ApiToken::find();
    if user.role != Role::Admin {
        query = query.filter(entity::Column::UserId.eq(user.id.0));
    }
    let tokens = query
        .order_by_desc(entity::Column::CreatedAt)
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?;
    let users: std::collections::HashMap<i64, String> = user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(tokens
        .into_iter()
        .map(|t| {
            let owner = users.get(&t.user_id).cloned().unwrap_or_default();
            view(t, owner)
        })
        .collect())
}

/// Revokes every live token of `user` (after a password change, when asked); returns how many.
pub async fn revoke_all_of(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    ip: Option<String>,
) -> Result<u64, AppError> {
    let revoked = ApiToken::update_many()
        .col_expr(
            entity::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Some(Utc::now())),
        )
        .filter(entity::Column::UserId.eq(user.id.0))
        .filter(entity::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if revoked > 0 {
        audit(
            db,
            &user.actor(ip),
            "api_token.revoked_all",
            Some(&user.email),
            json!({ "count": revoked }),
        )
        .await?;
    }
    Ok(revoked)
}

/// Revokes a token at once: its owner may, and any admin.
pub async fn revoke(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    id: i64,
    ip: Option<String>,
) -> Result<(), AppError> {
    let token = ApiToken::find_by_id(id)
        .one(db)
        .await?
        .filter(|t| t.user_id == user.id.0 || user.role == Role::Admin)
        .ok_or_else(|| AppError::NotFound("No such API token.".into()))?;
    if token.revoked_at.is_some() {
        return Ok(());
    }
    entity::ActiveModel {
        id: Set(token.id),
        revoked_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(db)
    .await?;
    audit(
        db,
        &user.actor(ip),
        "api_token.revoked",
        Some(&format!("api token {}", token.id)),
        json!({ "name": token.name, "owner_id": token.user_id }),
    )
    .await?;
    Ok(())
}

/// The person a bearer token acts as: `None` for an unknown, revoked or expired token,
/// or a deactivated owner. Records when it was last used (at most once a minute).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<CurrentUser>, AppError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    // The token with its owner in one statement: every API request starts here.
    let owner_of_token = ApiToken::belongs_to(user::Entity)
        .from(entity::Column::UserId)
        .to(user::Column::Id);
    let Some((found, Some(owner))) = ApiToken::find()
        .filter(entity::Column::TokenHash.eq(secrets::hash(token)))
        .join(sea_orm::JoinType::InnerJoin, owner_of_token.into())
        .select_also(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if found.revoked_at.is_some() || found.expires_at.is_some_and(|t| t <= now) {
        return Ok(None);
    }
    if owner.deactivated_at.is_some() {
        return Ok(None);
    }
    if found
        .last_used_at
        .is_none_or(|t| now - t > Duration::minutes(1))
    {
        entity::ActiveModel {
            id: Set(found.id),
            last_used_at: Set(Some(now)),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    let mut current = to_current(&owner);
    // A token cannot change a password; the flag only matters for browser sessions.
    current.password_change_required = false;
    Ok(Some(current))
}

/// [`authenticate`] for a request from `ip`: a wrong token is written to the audit log
/// (never the token), and an address that guessed too often gets 429. The token is
/// checked first: a right one is never refused for what others did from the same address.
pub async fn authenticate_request(
    db: &impl ConnectionTrait,
    token: &str,
    ip: Option<String>,
) -> Result<Option<CurrentUser>, AppError> {
    let user = authenticate(db, token).await?;
    if user.is_none() {
        crate::accounts::service::throttle::token_rejected(db, "api_token", ip.as_deref()).await?;
        audit(
            db,
            &Actor {
                id: None,
                email: None,
                ip,
            },
            "api_token.rejected",
            None,
            json!({ "reason": "unknown, revoked or expired token" }),
        )
        .await?;
    }
    Ok(user)
}
