//! Severity levels as admins shape them: name, description, order, and whether an
//! incident at that level requires a postmortem.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr};
use serde_json::json;

use crate::audit::service::{self as audit, Actor};
use crate::db::Writer;
use crate::error::{AppError, FieldError};
use crate::incidents::entities::severity::{self, Entity as Severity};

/// What an admin may change about a level.
#[derive(Debug, Clone)]
pub struct SeverityEdit {
    pub name: String,
    pub description: String,
    pub requires_postmortem: bool,
}

/// Up means more severe (towards position 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

fn validate(edit: &SeverityEdit) -> Result<(String, String), AppError> {
    let mut errors = Vec::new();
    let name = edit.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "Give the severity a name, like SEV1.",
        ));
    } else if name.chars().count() > 50 {
        errors.push(FieldError::new(
            "name",
            "Keep the name under 50 characters.",
        ));
    } else if crate::text::has_control_characters(&name) {
        errors.push(FieldError::new("name", crate::text::ONE_LINE));
    }
    let description = edit.description.trim().to_owned();
    if description.chars().count() > 500 {
        errors.push(FieldError::new(
            "description",
            "Keep the description under 500 characters.",
        ));
    }
    if errors.is_empty() {
        Ok((name, description))
    } else {
        Err(AppError::Invalid(errors))
    }
}

async fn get(db: &impl ConnectionTrait, id: i64) -> Result<severity::Model, AppError> {
    Severity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such severity.".into()))
}

/// Saves an admin's edit if nobody changed the level since `expected_version`.
pub async fn update(
    db: &impl Writer,
    actor: &Actor,
    id: i64,
    edit: SeverityEdit,
    expected_version: i32,
) -> Result<(), AppError> {
    let (name, description) = validate(&edit)?;
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, id).await?;
    let taken = Severity::find()
        .filter(severity::Column::Id.ne(id))
        .all(&txn)
        .await?
        .into_iter()
        .any(|s| s.name.eq_ignore_ascii_case(&name));
    if taken {
        return Err(AppError::invalid(
            "name",
            "Another severity already has this name.",
        ));
    }
    let saved = crate::db::update_versioned(
        &txn,
        severity::ActiveModel {
            name: Set(name.clone()),
            description: Set(description),
            requires_postmortem: Set(edit.requires_postmortem),
            ..Default::default()
        },
        (severity::Column::Id, id),
        (severity::Column::Version, expected_version),
    )
    .await;
    let saved = match saved {
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::invalid(
                "name",
                "Another severity already has this name.",
            ));
        }
        other => other?,
    };
    if !saved {
        let fresh = get(&txn, id).await?;
        return Err(AppError::Conflict {
            message: format!(
                "{} was changed by someone else in the meantime (it is now named {}, {}requiring a postmortem). Review it and try again.",
                current.name,
                fresh.name,
                if fresh.requires_postmortem {
                    ""
                } else {
                    "not "
                }
            ),
        });
    }
    audit::record(
        &txn,
        actor,
        "severity.updated",
        Some(&name),
        json!({
            "severity_id": id,
            "previous_name": current.name,
            "requires_postmortem": edit.requires_postmortem,
        }),
    )
    .await?;
    txn.commit().await?;
    super::query::SEVERITIES.wrote();
    Ok(())
}

/// Swaps the level with its neighbour above or below; at either end nothing moves.
pub async fn reorder(
    db: &impl Writer,
    actor: &Actor,
    id: i64,
    direction: Direction,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let mut levels = Severity::find()
        .order_by_asc(severity::Column::Position)
        .order_by_asc(severity::Column::Id)
        .all(&txn)
        .await?;
    let Some(index) = levels.iter().position(|s| s.id == id) else {
        return Err(AppError::NotFound("There is no such severity.".into()));
    };
    let neighbour = match direction {
        Direction::Up => index.checked_sub(1),
        Direction::Down => Some(index + 1).filter(|i| *i < levels.len()),
    };
    let Some(neighbour) = neighbour else {
        return Ok(());
    };
    levels.swap(index, neighbour);
    // Positions are rewritten 1..n, which also repairs any gaps or ties.
    for (position, level) in levels.iter().enumerate() {
        let position = position as i32 + 1;
        if level.position != position {
            Severity::update_many()
                .col_expr(severity::Column::Position, Expr::value(position))
                .col_expr(
                    severity::Column::Version,
                    Expr::col(severity::Column::Version).add(1),
                )
                .filter(severity::Column::Id.eq(level.id))
                .exec(&txn)
                .await?;
        }
    }
    audit::record(
        &txn,
        actor,
        "severity.reordered",
        Some(&levels[neighbour].name),
        json!({ "order": levels.iter().map(|l| l.name.clone()).collect::<Vec<_>>() }),
    )
    .await?;
    txn.commit().await?;
    super::query::SEVERITIES.wrote();
    Ok(())
}
