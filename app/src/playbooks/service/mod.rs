//! Reading, writing and using playbooks.

mod attached;
mod checklist;
mod effect;
mod write;

pub use attached::{incident_checklists, incident_playbooks};
pub use checklist::{
    attach_declared, attach_for_incident, attach_for_rule, attach_playbook, detach_playbook,
    for_declaration, forget_service, set_type_playbooks, tick_step, type_playbooks,
};
pub use effect::{effect, step_report};
pub use write::{create_playbook, set_archived, update_playbook};

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::{incident_playbook, playbook, playbook_service, revision};
use super::form::{PlaybookForm, PlaybookSpec};
use super::{PlaybookDetail, PlaybookId, PlaybookRevisionInfo, PlaybookStep, PlaybookSummary};
use crate::accounts::entities::user;
use crate::catalog::ServiceRef;
use crate::catalog::entities::service;
use crate::error::AppError;

/// The form checked and its services found by name, every problem reported at once
/// (shared by the form and the API).
pub async fn check_form(
    db: &impl ConnectionTrait,
    form: &PlaybookForm,
) -> Result<(PlaybookSpec, Vec<i64>), AppError> {
    let spec = form.parse().map_err(AppError::Invalid);
    let services = crate::choices::service::resolve_services(db, "services", &form.services).await;
    match (spec, services) {
        (Ok(spec), Ok(services)) => Ok((spec, services)),
        (Err(AppError::Invalid(mut errors)), Err(AppError::Invalid(more))) => {
            errors.extend(more);
            Err(AppError::Invalid(errors))
        }
        (Err(err), _) | (_, Err(err)) => Err(err),
    }
}

pub(crate) fn not_found() -> AppError {
    AppError::NotFound("There is no such playbook.".into())
}

/// Steps as stored (JSON); what cannot be read is no steps rather than a failed page.
pub(crate) fn decode_steps(json: &str) -> Vec<PlaybookStep> {
    serde_json::from_str(json).unwrap_or_default()
}

pub(crate) fn encode_steps(steps: &[PlaybookStep]) -> String {
    serde_json::to_string(steps).unwrap_or_else(|_| "[]".into())
}

pub(crate) async fn load(
    db: &impl ConnectionTrait,
    id: PlaybookId,
) -> Result<playbook::Model, AppError> {
    playbook::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// The services of each playbook named, by playbook, each list by name.
async fn services_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<ServiceRef>>, AppError> {
    let links = playbook_service::Entity::find()
        .filter(playbook_service::Column::PlaybookId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let services: HashMap<i64, ServiceRef> = service::Entity::find()
        .filter(service::Column::Id.is_in(links.iter().map(|l| l.service_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, crate::catalog::service::to_ref(s)))
        .collect();
    let mut by_playbook: HashMap<i64, Vec<ServiceRef>> = HashMap::new();
    for link in links {
        if let Some(s) = services.get(&link.service_id) {
            by_playbook
                .entry(link.playbook_id)
                .or_default()
                .push(s.clone());
        }
    }
    for list in by_playbook.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(by_playbook)
}

#[derive(FromQueryResult)]
struct Uses {
    playbook_id: i64,
    uses: i64,
}

/// How many incidents used each playbook named.
async fn times_used(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, i64>, AppError> {
    let rows = incident_playbook::Entity::find()
        .select_only()
        .column(incident_playbook::Column::PlaybookId)
        .column_as(incident_playbook::Column::Id.count(), "uses")
        .filter(incident_playbook::Column::PlaybookId.is_in(ids.iter().copied()))
        .group_by(incident_playbook::Column::PlaybookId)
        .into_model::<Uses>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.playbook_id, r.uses)).collect())
}

/// Every playbook, by title; archived ones only when asked for.
pub async fn list_playbooks(
    db: &impl ConnectionTrait,
    include_archived: bool,
) -> Result<Vec<PlaybookSummary>, AppError> {
    let mut query = playbook::Entity::find().order_by_asc(playbook::Column::Title);
    if !include_archived {
        query = query.filter(playbook::Column::ArchivedAt.is_null());
    }
    let playbooks = query.all(db).await?;
    let ids: Vec<i64> = playbooks.iter().map(|p| p.id).collect();
    let mut services = services_of(db, &ids).await?;
    let uses = times_used(db, &ids).await?;
    Ok(playbooks
        .into_iter()
        .map(|p| PlaybookSummary {
            id: PlaybookId(p.id),
            services: services.remove(&p.id).unwrap_or_default(),
            steps: decode_steps(&p.steps).len(),
            version: p.version,
            archived: p.archived_at.is_some(),
            updated_at: p.updated_at,
            times_used: uses.get(&p.id).copied().unwrap_or(0),
            title: p.title,
        })
        .collect())
}

/// One playbook at `version` (the current one when `None`), with its history.
/// What `title`, `body` and `steps` (stored form) changed from the revision `before`.
fn compare(
    before: &revision::Model,
    title: &str,
    body: &str,
    steps: &str,
) -> crate::playbooks::diff::VersionChanges {
    use crate::diff::{Change, diff_lines};
    let lines = |json: &str| {
        decode_steps(json)
            .iter()
            .map(crate::playbooks::form::step_line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    crate::playbooks::diff::VersionChanges {
        from: before.version,
        old_title: (before.title != title).then(|| before.title.clone()),
        steps: diff_lines(&lines(&before.steps), &lines(steps)),
        body: diff_lines(&before.body, body)
            .into_iter()
            .filter(|l| l.change != Change::Same)
            .collect(),
    }
}

pub async fn get_playbook(
    db: &impl ConnectionTrait,
    id: PlaybookId,
    version: Option<i32>,
) -> Result<PlaybookDetail, AppError> {
    let current = load(db, id).await?;
    let revisions = revision::Entity::find()
        .filter(revision::Column::PlaybookId.eq(current.id))
        .order_by_desc(revision::Column::Version)
        .all(db)
        .await?;
    let shown = match version {
        None => None,
        Some(v) => Some(
            revisions
                .iter()
                .find(|r| r.version == v)
                .ok_or_else(|| AppError::NotFound(format!("This playbook has no version {v}.")))?,
        ),
    };
    let authors: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(revisions.iter().map(|r| r.author_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let (title, body, steps, version) = match shown {
        Some(r) => (r.title.clone(), r.body.clone(), r.steps.clone(), r.version),
        None => (
            current.title.clone(),
            current.body.clone(),
            current.steps.clone(),
            current.version,
        ),
    };
    let services = services_of(db, &[current.id]).await?;
    let uses = times_used(db, &[current.id]).await?;
    let changes = revisions
        .iter()
        .find(|r| r.version == version - 1)
        .map(|before| compare(before, &title, &body, &steps));
    Ok(PlaybookDetail {
        changes,
        id,
        body_html: crate::markdown::render(&body),
        title,
        body,
        steps: decode_steps(&steps),
        services: services.get(&current.id).cloned().unwrap_or_default(),
        version,
        current_version: current.version,
        archived: current.archived_at.is_some(),
        updated_at: current.updated_at,
        revisions: revisions
            .into_iter()
            .map(|r| PlaybookRevisionInfo {
                version: r.version,
                title: r.title,
                author: authors.get(&r.author_id).cloned(),
                created_at: r.created_at,
            })
            .collect(),
        times_used: uses.get(&current.id).copied().unwrap_or(0),
    })
}
