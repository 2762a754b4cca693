//! The incidents services: plain async functions over a connection, shared by server
//! functions, the API and the tests. Callers check the role; these check the rules.

pub mod declare;
pub mod edit;
pub mod lifecycle;
pub mod marker;
pub mod on_call;
pub mod query;
pub mod severities;
pub mod timeline;
pub mod types;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::IncidentRef;
use super::entities::incident::{self, Entity as Incident};
use crate::error::AppError;

pub(crate) fn not_found(reference: IncidentRef) -> AppError {
    AppError::NotFound(format!("There is no incident {reference}."))
}

pub(crate) async fn load(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<incident::Model, AppError> {
    Incident::find_by_id(reference.0)
        .one(db)
        .await?
        .ok_or_else(|| not_found(reference))
}

/// Writes `changes` only if the incident is still at `expected_version`, bumping it:
/// two people editing at once never silently overwrite each other.
pub(crate) async fn save_versioned(
    db: &impl ConnectionTrait,
    current: &incident::Model,
    expected_version: i32,
    mut changes: incident::ActiveModel,
    describe_current: impl FnOnce(&incident::Model) -> String,
) -> Result<(), AppError> {
    if current.version != expected_version {
        return Err(conflict(current, describe_current));
    }
    changes.updated_at = sea_orm::Set(Utc::now());
    let saved = crate::db::update_versioned(
        db,
        changes,
        (incident::Column::Id, current.id),
        (incident::Column::Version, expected_version),
    )
    .await?;
    if !saved {
        let fresh = Incident::find_by_id(current.id)
            .one(db)
            .await?
            .unwrap_or_else(|| current.clone());
        return Err(conflict(&fresh, describe_current));
    }
    Ok(())
}

fn conflict(
    current: &incident::Model,
    describe: impl FnOnce(&incident::Model) -> String,
) -> AppError {
    AppError::Conflict {
        message: format!(
            "{} was changed by someone else in the meantime; it is now {}. Review the latest state and try again.",
            IncidentRef(current.id),
            describe(current)
        ),
    }
}

/// Marks the incident as needing a published postmortem before closing because rule
/// `rule` asked (the first rule to ask is named), inside the caller's transaction.
/// Answers what happened, in words.
pub async fn require_postmortem_for_rule(
    txn: &impl ConnectionTrait,
    current: &incident::Model,
    rule: &str,
) -> Result<String, AppError> {
    if current.postmortem_required_by.is_some() {
        return Ok("found a postmortem required already".to_owned());
    }
    Incident::update_many()
        .col_expr(
            incident::Column::PostmortemRequiredBy,
            sea_orm::sea_query::Expr::value(rule.to_owned()),
        )
        .filter(incident::Column::Id.eq(current.id))
        .exec(txn)
        .await?;
    Ok("required a published postmortem before closing".to_owned())
}
