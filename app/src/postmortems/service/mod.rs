//! The postmortem services: plain async functions over a connection, shared by server
//! functions, the export route and the tests. Callers check the role; these check the
//! rules (who may review, what may change in which status).

pub mod duties;
pub mod query;
pub mod review;
pub mod templates;
pub mod write;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::entities::{postmortem, section};
use crate::accounts::entities::user;
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::{incident, severity};
use crate::postmortems::PostmortemStatus;

/// What a revision keeps: enough to show and compare any two saves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub title: String,
    pub sections: Vec<SnapshotSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSection {
    pub title: String,
    pub body: String,
}

/// The close rule: severities marked so need a published postmortem before their
/// incidents close. `crate::workflow::change_status` applies it to every move to closed.
pub async fn require_published_postmortem(
    db: &impl Writer,
    current: &incident::Model,
) -> Result<(), AppError> {
    let level = severity::Entity::find_by_id(current.severity_id)
        .one(db)
        .await?
        .filter(|l| l.requires_postmortem)
        .map(|l| l.name);
    let kind = match level {
        Some(_) => None,
        None => crate::incidents::service::types::type_of(db, current)
            .await?
            .filter(|t| t.postmortem_required)
            .map(|t| format!("{} incidents need", t.name)),
    };
    let rule = current
        .postmortem_required_by
        .as_ref()
        .map(|r| format!("The rule “{r}” says this incident needs"));
    let Some(which) = level
        .map(|l| format!("{l} incidents need"))
        .or(kind)
        .or(rule)
    else {
        return Ok(());
    };
    let reference = IncidentRef(current.id);
    let status = query::postmortem_status(db, reference).await?;
    if status == Some(PostmortemStatus::Published) {
        return Ok(());
    }
    let state = match status {
        None => "it has none yet".to_owned(),
        Some(s) => format!("its postmortem is {}", s.label().to_lowercase()),
    };
    Err(AppError::invalid(
        "status",
        format!(
            "{which} a published postmortem before closing, and {state}. Finish it at /incidents/{reference}/postmortem.",
        ),
    ))
}

/// The postmortem of an incident, or a 404 that says there is none yet.
pub(crate) async fn load(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<postmortem::Model, AppError> {
    postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(reference.0))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{reference} has no postmortem yet.")))
}

pub(crate) async fn sections(
    db: &impl ConnectionTrait,
    postmortem_id: i64,
) -> Result<Vec<section::Model>, AppError> {
    Ok(section::Entity::find()
        .filter(section::Column::PostmortemId.eq(postmortem_id))
        .order_by_asc(section::Column::Position)
        .all(db)
        .await?)
}

pub(crate) fn snapshot(title: &str, sections: &[section::Model]) -> Snapshot {
    Snapshot {
        title: title.to_owned(),
        sections: sections
            .iter()
            .map(|s| SnapshotSection {
                title: s.title.clone(),
                body: s.body.clone(),
            })
            .collect(),
    }
}

/// Display names by user id, for the ids given.
pub(crate) async fn names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<Vec<(i64, String)>, AppError> {
    let ids: Vec<i64> = ids.into_iter().collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

pub(crate) fn name_of(names: &[(i64, String)], id: i64) -> String {
    names
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| "a former user".into())
}

/// Applies `changes` only if the postmortem is still at `expected_version`, bumping it.
pub(crate) async fn save_versioned(
    db: &impl ConnectionTrait,
    current: &postmortem::Model,
    expected_version: i32,
    mut changes: postmortem::ActiveModel,
) -> Result<(), AppError> {
    let stale = || AppError::Conflict {
        message: format!(
            "The postmortem of {} was changed by someone else in the meantime. Reload to see the latest version and try again.",
            IncidentRef(current.incident_id)
        ),
    };
    if current.version != expected_version {
        return Err(stale());
    }
    changes.updated_at = sea_orm::Set(Utc::now());
    let saved = crate::db::update_versioned(
        db,
        changes,
        (postmortem::Column::Id, current.id),
        (postmortem::Column::Version, expected_version),
    )
    .await?;
    if !saved {
        return Err(stale());
    }
    Ok(())
}
