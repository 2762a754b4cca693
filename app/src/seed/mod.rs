//! Data for trying Vigil out and for measuring it: `vigil seed --demo` (a small,
//! realistic story) and `vigil seed --incidents N --services M` (a deterministic random
//! load for benchmarks and the metrics tests).

pub mod demo;
mod demo_changes;
mod demo_playbooks;
mod demo_status;
mod demo_types;
pub mod random;

use sea_orm::ConnectionTrait;

use crate::accounts::Role;
use crate::accounts::entities::user;
use crate::accounts::service::users::{self, NewUser};
use crate::audit::service::Actor;
use crate::error::AppError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The account seeded incidents are declared by: an existing one with `email`, or a new
/// one with an unguessable password (nobody signs in as it unless an admin resets it).
pub async fn seed_user(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    role: Role,
) -> Result<i64, AppError> {
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
    {
        return Ok(existing.id);
    }
    let password = format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let new = NewUser::parse(email, name, &password, role)?;
    Ok(users::create(db, new, &Actor::default()).await?.id.0)
}
