use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set, SqlErr};

use super::ServiceRef;
use super::entity::{self, Entity as Service};
use crate::error::AppError;

pub fn to_ref(model: entity::Model) -> ServiceRef {
    ServiceRef {
        id: model.id,
        slug: model.slug,
        name: model.name,
        owner_team: model.owner_team,
    }
}

/// A URL-safe slug from a name: lower-case ASCII letters, digits and single dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(64).collect()
}

/// Adds a service; a taken name is a field error.
pub async fn create_service(
    db: &impl ConnectionTrait,
    name: &str,
    owner_team: Option<&str>,
) -> Result<ServiceRef, AppError> {
    let name = name.trim();
    let slug = slugify(name);
    if name.is_empty() || slug.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "Give the service a name of 1 to 100 characters, with at least one letter or digit.",
        ));
    }
    let now = Utc::now();
    let inserted = entity::ActiveModel {
        slug: Set(slug),
        name: Set(name.to_owned()),
        owner_team: Set(owner_team
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(model) => Ok(to_ref(model)),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(
            AppError::invalid("name", "A service with this name already exists."),
        ),
        Err(err) => Err(err.into()),
    }
}

pub async fn list_services(db: &impl ConnectionTrait) -> Result<Vec<ServiceRef>, AppError> {
    Ok(Service::find()
        .order_by_asc(entity::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(to_ref)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Payments API"), "payments-api");
        assert_eq!(slugify("  Edge / CDN (EU) "), "edge-cdn-eu");
        assert_eq!(slugify("!!!"), "");
    }
}
