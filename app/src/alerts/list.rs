//! Received alerts read back by source and incident, newest first: the API's list (the
//! admin page shows the most recently active instead).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::AlertView;
use super::entities::{alert, source};
use crate::error::AppError;
use crate::incidents::IncidentRef;

/// Which alerts, and where a page starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertQuery {
    pub source_id: Option<i64>,
    pub incident: Option<IncidentRef>,
    /// Only alerts received before the one with this id (the previous page's last).
    pub before: Option<i64>,
    pub limit: u64,
}

/// Alerts matching `query`, newest first (by id: the order they were first received).
pub async fn list_alerts(
    db: &impl ConnectionTrait,
    query: AlertQuery,
) -> Result<Vec<AlertView>, AppError> {
    let mut select = alert::Entity::find().order_by_desc(alert::Column::Id);
    if let Some(id) = query.source_id {
        select = select.filter(alert::Column::SourceId.eq(id));
    }
    if let Some(reference) = query.incident {
        select = select.filter(alert::Column::IncidentId.eq(reference.0));
    }
    if let Some(before) = query.before {
        select = select.filter(alert::Column::Id.lt(before));
    }
    let rows = select.limit(query.limit).all(db).await?;
    let names: HashMap<i64, String> = source::Entity::find()
        .select_only()
        .column(source::Column::Id)
        .column(source::Column::Name)
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows.into_iter().map(|a| view(a, &names)).collect())
}

/// One received alert as the admin page and the API show it; `names` maps source ids
/// to names (a removed source shows as an empty name).
pub(super) fn view(a: alert::Model, names: &HashMap<i64, String>) -> AlertView {
    AlertView {
        id: a.id,
        source_id: a.source_id,
        source_name: names.get(&a.source_id).cloned().unwrap_or_default(),
        state: a.state,
        title: a.title,
        severity: a.severity,
        incident: a.incident_id.map(IncidentRef),
        action: a.action,
        repeats: a.repeats,
        received_at: a.received_at,
        last_received_at: a.last_received_at,
    }
}
