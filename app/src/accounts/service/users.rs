//! Creating, finding and changing users. Every administrative change is audit-logged.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set, SqlErr,
};
use serde_json::json;

use super::password;
use crate::accounts::entities::user::{self, Entity as User};
use crate::accounts::validate;
use crate::accounts::{CurrentUser, Role, UserId, UserSummary};
use crate::audit::service::{self as audit, Actor};
use crate::error::{AppError, FieldError};

/// What a new account needs; parsed by [`NewUser::parse`].
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub password_change_required: bool,
}

impl NewUser {
    pub fn parse(
        email: &str,
        display_name: &str,
        password: &str,
        role: Role,
    ) -> Result<Self, AppError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let email = validate::email("email", email)
            .map_err(|e| errors.push(e))
            .ok();
        let name = validate::display_name("display_name", display_name)
            .map_err(|e| errors.push(e))
            .ok();
        let password = validate::new_password("password", password)
            .map_err(|e| errors.push(e))
            .ok();
        validate::collect(errors)?;
        Ok(Self {
            email: email.unwrap_or_default(),
            display_name: name.unwrap_or_default(),
            password: password.unwrap_or_default(),
            role,
            password_change_required: false,
        })
    }
}

/// Whether the account has a password (accounts made by single sign-on have none).
pub fn has_password(model: &user::Model) -> bool {
    model.password_hash != crate::accounts::sso::service::NO_PASSWORD
}

pub fn to_current(model: &user::Model) -> CurrentUser {
    CurrentUser {
        has_password: has_password(model),
        id: UserId(model.id),
        email: model.email.clone(),
        display_name: model.display_name.clone(),
        role: model.role,
        password_change_required: model.password_change_required,
        time_zone: model.time_zone.clone(),
    }
}

fn to_summary(model: user::Model) -> UserSummary {
    UserSummary {
        id: UserId(model.id),
        role: model.role,
        active: model.deactivated_at.is_none(),
        email: model.email,
        display_name: model.display_name,
        created_at: model.created_at,
    }
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    Ok(User::find().count(db).await?)
}

/// Creates the account; a taken email is a field error, not a 500.
pub async fn create(
    db: &impl ConnectionTrait,
    new: NewUser,
    actor: &Actor,
) -> Result<CurrentUser, AppError> {
    let hash = password::hash(new.password).await?;
    let now = Utc::now();
    let inserted = user::ActiveModel {
        email: Set(new.email.clone()),
        display_name: Set(new.display_name),
        password_hash: Set(hash),
        role: Set(new.role),
        password_change_required: Set(new.password_change_required),
        deactivated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    let model = match inserted {
        Ok(model) => model,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::invalid(
                "email",
                "A user with this email already exists.",
            ));
        }
        Err(err) => return Err(err.into()),
    };
    audit::record(
        db,
        actor,
        "user.created",
        Some(&model.email),
        json!({ "role": model.role, "user_id": model.id }),
    )
    .await?;
    Ok(to_current(&model))
}

pub async fn find(db: &impl ConnectionTrait, id: UserId) -> Result<Option<user::Model>, AppError> {
    Ok(User::find_by_id(id.0).one(db).await?)
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, AppError> {
    Ok(User::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?)
}

async fn get(db: &impl ConnectionTrait, id: UserId) -> Result<user::Model, AppError> {
    find(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That user does not exist.".into()))
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<UserSummary>, AppError> {
    Ok(User::find()
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_summary)
        .collect())
}

/// Checks a password without touching sessions or throttling: the CLI and sign-in share it.
pub async fn verify_credentials(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<Option<user::Model>, AppError> {
    let user = find_by_email(db, email).await?;
    let ok = password::verify(
        password.to_owned(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    Ok(user.filter(|u| ok && u.deactivated_at.is_none()))
}

/// Name and time zone; an empty zone means "follow my browser".
pub async fn update_profile(
    db: &impl ConnectionTrait,
    id: UserId,
    display_name: &str,
    time_zone: &str,
    actor: &Actor,
) -> Result<CurrentUser, AppError> {
    let mut errors = Vec::new();
    let name = validate::display_name("display_name", display_name)
        .map_err(|e| errors.push(e))
        .ok();
    let zone = match time_zone.trim() {
        "" => None,
        other => match crate::time::parse_zone(other) {
            Some(zone) => Some(zone.name().to_owned()),
            None => {
                errors.push(crate::error::FieldError::new(
                    "time_zone",
                    "Choose a time zone from the list.",
                ));
                None
            }
        },
    };
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let mut model = get(db, id).await?.into_active_model();
    model.display_name = Set(name.clone());
    model.time_zone = Set(zone.clone());
    model.updated_at = Set(Utc::now());
    let model = model.update(db).await?;
    audit::record(
        db,
        actor,
        "user.profile_updated",
        Some(&model.email),
        json!({ "display_name": name, "time_zone": zone }),
    )
    .await?;
    Ok(to_current(&model))
}

/// Changes one's own password, proving knowledge of the current one.
pub async fn change_own_password(
    db: &impl ConnectionTrait,
    id: UserId,
    current: &str,
    new: &str,
    confirmation: &str,
    actor: &Actor,
) -> Result<(), AppError> {
    let model = get(db, id).await?;
    let mut errors = Vec::new();
    if let Err(e) = validate::new_password("new_password", new) {
        errors.push(e);
    } else if new != confirmation {
        errors.push(FieldError::new(
            "new_password_confirmation",
            "The two new passwords do not match.",
        ));
    }
    if !password::verify(current.to_owned(), Some(model.password_hash.clone())).await? {
        errors.insert(
            0,
            FieldError::new("current_password", "The current password is not correct."),
        );
    }
    validate::collect(errors)?;
    set_password_hash(db, model, new.to_owned(), false).await?;
    audit::record(
        db,
        actor,
        "user.password_changed",
        Some(&actor.email.clone().unwrap_or_default()),
        json!({}),
    )
    .await
}

/// Sets a password without the current one (CLI, admin reset).
pub async fn set_password(
    db: &impl ConnectionTrait,
    email: &str,
    new: &str,
    actor: &Actor,
) -> Result<(), AppError> {
    let new = validate::new_password("password", new).map_err(|e| AppError::Invalid(vec![e]))?;
    let model = find_by_email(db, email)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("No user with email {email}.")))?;
    let subject = model.email.clone();
    set_password_hash(db, model, new, false).await?;
    audit::record(db, actor, "user.password_set", Some(&subject), json!({})).await
}

async fn set_password_hash(
    db: &impl ConnectionTrait,
    model: user::Model,
    password: String,
    change_required: bool,
) -> Result<(), AppError> {
    let hash = password::hash(password).await?;
    let mut model = model.into_active_model();
    model.password_hash = Set(hash);
    model.password_change_required = Set(change_required);
    model.updated_at = Set(Utc::now());
    model.update(db).await?;
    Ok(())
}

/// Refuses a change that would leave no active admin.
pub(crate) async fn ensure_another_admin(
    db: &impl ConnectionTrait,
    leaving: &user::Model,
) -> Result<(), AppError> {
    if leaving.role != Role::Admin || leaving.deactivated_at.is_some() {
        return Ok(());
    }
    let admins = User::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::DeactivatedAt.is_null())
        .count(db)
        .await?;
    if admins <= 1 {
        return Err(AppError::Conflict {
            message: "Vigil needs at least one active admin. Make someone else an admin first."
                .into(),
        });
    }
    Ok(())
}

pub async fn change_role(
    db: &impl ConnectionTrait,
    id: UserId,
    role: Role,
    actor: &Actor,
) -> Result<(), AppError> {
    let model = get(db, id).await?;
    if model.role == role {
        return Ok(());
    }
    if role != Role::Admin {
        ensure_another_admin(db, &model).await?;
    }
    let previous = model.role;
    let mut active = model.into_active_model();
    active.role = Set(role);
    active.updated_at = Set(Utc::now());
    let model = active.update(db).await?;
    audit::record(
        db,
        actor,
        "user.role_changed",
        Some(&model.email),
        json!({ "from": previous, "to": role.as_str() }),
    )
    .await
}

/// Deactivates (ending every session) or reactivates an account.
pub async fn set_active(
    db: &impl ConnectionTrait,
    id: UserId,
    active: bool,
    actor: &Actor,
) -> Result<(), AppError> {
    let model = get(db, id).await?;
    if model.deactivated_at.is_none() == active {
        return Ok(());
    }
    if !active {
        ensure_another_admin(db, &model).await?;
    }
    let email = model.email.clone();
    let mut row = model.into_active_model();
    row.deactivated_at = Set((!active).then(Utc::now));
    row.updated_at = Set(Utc::now());
    row.update(db).await?;
    if !active {
        super::sessions::delete_for_user(db, id).await?;
    }
    let action = if active {
        "user.reactivated"
    } else {
        "user.deactivated"
    };
    audit::record(db, actor, action, Some(&email), json!({})).await
}

/// Creates an account with a random temporary password, returned once to the admin.
pub async fn invite(
    db: &impl ConnectionTrait,
    email: &str,
    display_name: &str,
    role: Role,
    actor: &Actor,
) -> Result<(CurrentUser, String), AppError> {
    let temporary = crate::secrets::random()[..16].to_owned();
    let mut new = NewUser::parse(email, display_name, &temporary, role)?;
    new.password_change_required = true;
    let user = create(db, new, actor).await?;
    Ok((user, temporary))
}
