//! The postmortems that wait for one person: to review, to finish, to publish, or to
//! start. What the home page lists under "Postmortems waiting for you".

use sea_orm::sea_query::{ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::AppError;
use crate::incidents::entities::{incident, incident_role, severity};
use crate::incidents::{IncidentRef, IncidentRole, Status};
use crate::postmortems::entities::{postmortem, reviewer};
use crate::postmortems::{Duty, PostmortemDuty, PostmortemStatus};

/// The incidents `me` commands (or commanded).
fn commanded(me: i64) -> SelectStatement {
    Query::select()
        .column(incident_role::Column::IncidentId)
        .from(incident_role::Entity)
        .and_where(incident_role::Column::UserId.eq(me))
        .and_where(incident_role::Column::Role.eq(IncidentRole::Commander))
        .to_owned()
}

/// Up to `limit` duties of each kind for `me`, reviews first, then the longest waiting.
/// Only for people who can write: a viewer neither reviews nor writes postmortems.
pub async fn duties(
    db: &impl ConnectionTrait,
    me: i64,
    limit: u64,
) -> Result<Vec<PostmortemDuty>, AppError> {
    let to_review = postmortem::Entity::find()
        .filter(postmortem::Column::Status.eq(PostmortemStatus::InReview))
        .filter(
            postmortem::Column::Id.in_subquery(
                Query::select()
                    .column(reviewer::Column::PostmortemId)
                    .from(reviewer::Entity)
                    .and_where(reviewer::Column::UserId.eq(me))
                    .and_where(reviewer::Column::ApprovedAt.is_null())
                    .to_owned(),
            ),
        )
        .order_by_asc(postmortem::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?;
    let to_write = postmortem::Entity::find()
        .filter(
            postmortem::Column::Status.is_in([PostmortemStatus::Draft, PostmortemStatus::Approved]),
        )
        .filter(
            postmortem::Column::CreatedBy
                .eq(me)
                .or(postmortem::Column::IncidentId.in_subquery(commanded(me))),
        )
        .order_by_asc(postmortem::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?;
    let to_start = incident::Entity::find()
        .filter(incident::Column::Status.eq(Status::Resolved))
        .filter(incident::Column::Id.in_subquery(commanded(me)))
        .filter(
            incident::Column::SeverityId.in_subquery(
                Query::select()
                    .column(severity::Column::Id)
                    .from(severity::Entity)
                    .and_where(severity::Column::RequiresPostmortem.eq(true))
                    .to_owned(),
            ),
        )
        .filter(
            incident::Column::Id.not_in_subquery(
                Query::select()
                    .column(postmortem::Column::IncidentId)
                    .from(postmortem::Entity)
                    .to_owned(),
            ),
        )
        .order_by_asc(incident::Column::ResolvedAt)
        .limit(limit)
        .all(db)
        .await?;

    let mut duties: Vec<PostmortemDuty> = to_review
        .into_iter()
        .map(|pm| (pm, Duty::Review))
        .chain(to_write.into_iter().map(|pm| {
            let duty = match pm.status {
                PostmortemStatus::Approved => Duty::Publish,
                _ => Duty::Finish,
            };
            (pm, duty)
        }))
        .map(|(pm, duty)| PostmortemDuty {
            incident: IncidentRef(pm.incident_id),
            title: pm.title,
            duty,
            since: pm.updated_at,
        })
        .chain(to_start.into_iter().map(|i| PostmortemDuty {
            incident: IncidentRef(i.id),
            since: i.resolved_at.unwrap_or(i.updated_at),
            title: i.title,
            duty: Duty::Start,
        }))
        .collect();
    duties.sort_by_key(|d| (Duty::ALL.iter().position(|x| *x == d.duty), d.since));
    Ok(duties)
}
