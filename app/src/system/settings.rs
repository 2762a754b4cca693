//! Instance-wide key/value settings.

use chrono::Utc;
use sea_orm::EntityTrait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, Set};

use super::entities::setting as entity;
use crate::error::AppError;

pub async fn get(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, AppError> {
    Ok(entity::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value))
}

pub async fn put(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), AppError> {
    entity::Entity::insert(entity::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(entity::Column::Key)
            .update_columns([entity::Column::Value, entity::Column::UpdatedAt])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Deletes `key`; returns how many rows went (0 or 1).
pub async fn delete(db: &impl ConnectionTrait, key: &str) -> Result<u64, AppError> {
    Ok(entity::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?
        .rows_affected)
}
