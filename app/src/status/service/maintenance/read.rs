//! Maintenance windows as shown: to editors, on the public page and in its feeds.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::AppError;
use crate::status::entities::{maintenance, maintenance_component};
use crate::status::service::components::public_names;
use crate::status::{Maintenance, MaintenancePhase};

/// How many past windows the editors' list shows.
const PAST: u64 = 20;

/// `rows` as shown, with the public names of the components they touch (those still on
/// the page), at `now`.
async fn shown(
    db: &impl ConnectionTrait,
    rows: Vec<maintenance::Model>,
    names: &HashMap<i64, String>,
    now: DateTime<Utc>,
) -> Result<Vec<Maintenance>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut touched: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for link in maintenance_component::Entity::find()
        .filter(maintenance_component::Column::MaintenanceId.is_in(rows.iter().map(|r| r.id)))
        .all(db)
        .await?
    {
        if let Some(name) = names.get(&link.component_id) {
            touched
                .entry(link.maintenance_id)
                .or_default()
                .push((link.component_id, name.clone()));
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut components = touched.remove(&r.id).unwrap_or_default();
            components.sort_by(|a, b| a.1.cmp(&b.1));
            Maintenance {
                phase: MaintenancePhase::at(
                    now,
                    r.starts_at,
                    r.ends_at,
                    r.completed_at,
                    r.cancelled_at,
                ),
                id: r.id,
                body_html: crate::markdown::render(&r.body),
                title: r.title,
                body: r.body,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                completed_at: r.completed_at,
                cancelled_at: r.cancelled_at,
                counts_against_slo: r.counts_against_slo,
                components,
                created_at: r.created_at,
                updated_at: r.updated_at,
                version: r.version,
            }
        })
        .collect())
}

/// The windows that end after `since` (those called off too), earliest start first:
/// what the public page shows, counts and lists in its feeds. `names` are the
/// components on the page by id.
pub(in crate::status::service) async fn since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
    names: &HashMap<i64, String>,
    now: DateTime<Utc>,
) -> Result<Vec<Maintenance>, AppError> {
    let rows = maintenance::Entity::find()
        .filter(maintenance::Column::EndsAt.gt(since))
        .order_by_asc(maintenance::Column::StartsAt)
        .order_by_asc(maintenance::Column::Id)
        .all(db)
        .await?;
    shown(db, rows, names, now).await
}

/// The editors' list: every window not over yet (soonest first), then the latest
/// [`PAST`] that are.
pub async fn maintenances(
    db: &impl crate::db::Writer,
    now: DateTime<Utc>,
) -> Result<Vec<Maintenance>, AppError> {
    let names = public_names(db).await?;
    let ahead = maintenance::Entity::find()
        .filter(maintenance::Column::EndsAt.gt(now))
        .filter(maintenance::Column::CompletedAt.is_null())
        .filter(maintenance::Column::CancelledAt.is_null())
        .order_by_asc(maintenance::Column::StartsAt)
        .order_by_asc(maintenance::Column::Id)
        .all(db)
        .await?;
    let past = maintenance::Entity::find()
        .filter(
            Condition::any()
                .add(maintenance::Column::EndsAt.lte(now))
                .add(maintenance::Column::CompletedAt.is_not_null())
                .add(maintenance::Column::CancelledAt.is_not_null()),
        )
        .order_by_desc(maintenance::Column::EndsAt)
        .order_by_desc(maintenance::Column::Id)
        .limit(PAST)
        .all(db)
        .await?;
    let mut rows = ahead;
    rows.extend(past);
    shown(db, rows, &names, now).await
}

/// One window for its public page (called-off ones included, so a link customers
/// followed still says what happened).
pub async fn public_maintenance(
    db: &impl crate::db::Writer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Maintenance>, AppError> {
    let Some(row) = maintenance::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let names = public_names(db).await?;
    Ok(shown(db, vec![row], &names, now).await?.pop())
}
