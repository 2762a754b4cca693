//! Reading an incident's checklists: the attached playbooks at their attached version,
//! with ticks and role holders, and the playbooks that could still be attached.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter};

use super::checklist::steps_at;
use super::decode_steps;
use crate::accounts::entities::user;
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::incident_role;
use crate::playbooks::entities::{incident_playbook, playbook, step_tick};
use crate::playbooks::{Checklist, ChecklistStep, IncidentPlaybooks, PlaybookId, StepTick};

/// Every playbook with this incident's attachment of it, if any: one statement, so an
/// incident page without playbooks pays one read for them.
#[derive(FromQueryResult)]
struct Row {
    id: i64,
    title: String,
    steps: String,
    version: i32,
    archived_at: Option<DateTime<Utc>>,
    attachment_id: Option<i64>,
    attached_version: Option<i32>,
    attached_at: Option<DateTime<Utc>>,
}

fn rows_statement(backend: DbBackend, incident_id: i64) -> sea_orm::Statement {
    use incident_playbook::Column as A;
    use playbook::Column as P;
    let query = Query::select()
        .columns([
            (playbook::Entity, P::Id),
            (playbook::Entity, P::Title),
            (playbook::Entity, P::Steps),
            (playbook::Entity, P::Version),
            (playbook::Entity, P::ArchivedAt),
        ])
        .expr_as(
            Expr::col((incident_playbook::Entity, A::Id)),
            "attachment_id",
        )
        .expr_as(
            Expr::col((incident_playbook::Entity, A::Version)),
            "attached_version",
        )
        .expr_as(
            Expr::col((incident_playbook::Entity, A::AttachedAt)),
            "attached_at",
        )
        .from(playbook::Entity)
        .join(
            JoinType::LeftJoin,
            incident_playbook::Entity,
            Condition::all()
                .add(
                    Expr::col((incident_playbook::Entity, A::PlaybookId))
                        .equals((playbook::Entity, P::Id)),
                )
                .add(Expr::col((incident_playbook::Entity, A::IncidentId)).eq(incident_id)),
        )
        .order_by((playbook::Entity, P::Title), Order::Asc)
        .to_owned();
    backend.build(&query)
}

/// The incident's checklists (by title), and the playbooks that could still be attached.
/// An incident that does not exist has none (see [`incident_checklists`]).
pub async fn incident_playbooks(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<IncidentPlaybooks, AppError> {
    let rows = Row::find_by_statement(rows_statement(db.get_database_backend(), reference.0))
        .all(db)
        .await?;
    let attached: Vec<i64> = rows.iter().filter_map(|r| r.attachment_id).collect();
    if attached.is_empty() {
        return Ok(IncidentPlaybooks {
            checklists: Vec::new(),
            available: rows
                .into_iter()
                .filter(|r| r.archived_at.is_none())
                .map(|r| (PlaybookId(r.id), r.title))
                .collect(),
        });
    }
    let ticks = step_tick::Entity::find()
        .filter(step_tick::Column::IncidentPlaybookId.is_in(attached))
        .all(db)
        .await?;
    let roles = incident_role::Entity::find()
        .filter(incident_role::Column::IncidentId.eq(reference.0))
        .all(db)
        .await?;
    let people: HashMap<i64, String> = user::Entity::find()
        .filter(
            user::Column::Id.is_in(
                ticks
                    .iter()
                    .map(|t| t.done_by)
                    .chain(roles.iter().map(|r| r.user_id)),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let name = |id: i64| people.get(&id).cloned().unwrap_or_else(|| "someone".into());
    let mut checklists = Vec::new();
    let mut available = Vec::new();
    for row in rows {
        let (Some(attachment), Some(version), Some(attached_at)) =
            (row.attachment_id, row.attached_version, row.attached_at)
        else {
            if row.archived_at.is_none() {
                available.push((PlaybookId(row.id), row.title));
            }
            continue;
        };
        let steps = if version == row.version {
            decode_steps(&row.steps)
        } else {
            steps_at(db, row.id, version).await?
        };
        checklists.push(Checklist {
            playbook_id: PlaybookId(row.id),
            title: row.title,
            version,
            current_version: row.version,
            attached_at,
            steps: steps
                .into_iter()
                .enumerate()
                .map(|(index, step)| ChecklistStep {
                    index,
                    role_holder: step.role.and_then(|role| {
                        roles
                            .iter()
                            .find(|r| r.role == role)
                            .map(|r| name(r.user_id))
                    }),
                    done: ticks
                        .iter()
                        .find(|t| t.incident_playbook_id == attachment && t.step as usize == index)
                        .map(|t| StepTick {
                            by: name(t.done_by),
                            at: t.done_at,
                        }),
                    step,
                })
                .collect(),
        });
    }
    Ok(IncidentPlaybooks {
        checklists,
        available,
    })
}

/// [`incident_playbooks`] of an incident that must exist (a 404 otherwise).
pub async fn incident_checklists(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<IncidentPlaybooks, AppError> {
    crate::incidents::service::load(db, reference).await?;
    incident_playbooks(db, reference).await
}
