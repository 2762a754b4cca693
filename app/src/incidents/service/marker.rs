//! The live view's change marker: one short read that tells whether anything on an
//! incident changed since the page was rendered.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::load;
use crate::error::AppError;
use crate::incidents::IncidentRef;

/// A token that changes whenever anything on the incident changes (a new timeline event,
/// a note edited or deleted, a new version): what the live view watches.
pub async fn change_marker(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<String, AppError> {
    let incident = load(db, reference).await?;
    marker_of(db, reference, incident.version).await
}

/// [`change_marker`] of an incident the caller has just read at `version`.
pub async fn marker_of(
    db: &impl ConnectionTrait,
    incident: IncidentRef,
    version: i32,
) -> Result<String, AppError> {
    use crate::incidents::entities::{
        timeline_event as event, timeline_event_revision as revision,
    };
    let incident_id = incident.0;
    // The latest edit rides along as a scalar subquery: one statement per page view and
    // per live check.
    let latest_edit = Expr::SubQuery(
        None,
        Box::new(
            Query::select()
                .expr(Expr::col((revision::Entity, revision::Column::Id)).max())
                .from(revision::Entity)
                .and_where(
                    Expr::col((revision::Entity, revision::Column::EventId)).in_subquery(
                        Query::select()
                            .column(event::Column::Id)
                            .from(event::Entity)
                            .and_where(event::Column::IncidentId.eq(incident_id))
                            .to_owned(),
                    ),
                )
                .to_owned()
                .into(),
        ),
    );
    let (latest, deleted, latest_edit): (Option<i64>, i64, Option<i64>) = event::Entity::find()
        .select_only()
        .column_as(event::Column::Id.max(), "latest")
        .column_as(event::Column::DeletedAt.count(), "deleted")
        .column_as(latest_edit, "latest_edit")
        .filter(event::Column::IncidentId.eq(incident_id))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((None, 0, None));
    Ok(format!(
        "{}-{}-{}-{deleted}",
        latest.unwrap_or(0),
        version,
        latest_edit.unwrap_or(0)
    ))
}
