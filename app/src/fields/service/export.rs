//! The incident list as CSV, with a column per custom field.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::defs::list_fields;
use crate::accounts::entities::user;
use crate::catalog::entities::service;
use crate::db::Writer;
use crate::error::AppError;
use crate::fields::FieldKind;
use crate::fields::entities::field_value;
use crate::incidents::entities::{incident_service, severity};
use crate::incidents::{IncidentFilter, IncidentRef};
use crate::metrics::csv::line;

/// At most this many incidents (the newest) go into one download.
pub const EXPORT_LIMIT: u64 = 10_000;

/// The incidents under `filter`, newest first, up to [`EXPORT_LIMIT`]: reference, title,
/// type, severity, status, services, times, then every custom field. Reads in a fixed
/// number of statements per 500 incidents.
pub async fn incidents_csv(db: &impl Writer, filter: &IncidentFilter) -> Result<String, AppError> {
    let rows = crate::incidents::service::query::export_rows(db, filter, EXPORT_LIMIT).await?;
    let defs = list_fields(db, true).await?;
    let levels: HashMap<i64, String> = severity::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let types = crate::incidents::service::types::list_types(db, true).await?;
    let default_type = types.iter().find(|t| t.is_default).map(|t| t.name.clone());
    let type_name = |id: Option<i64>| {
        id.and_then(|id| types.iter().find(|t| t.id == id).map(|t| t.name.clone()))
            .or_else(|| default_type.clone())
            .unwrap_or_default()
    };
    let names: HashMap<i64, String> = service::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut services: HashMap<i64, Vec<String>> = HashMap::new();
    let mut values: HashMap<(i64, i64), Vec<String>> = HashMap::new();
    for chunk in rows.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|r| r.id).collect();
        for link in incident_service::Entity::find()
            .filter(incident_service::Column::IncidentId.is_in(ids.clone()))
            .all(db)
            .await?
        {
            if let Some(name) = names.get(&link.service_id) {
                services
                    .entry(link.incident_id)
                    .or_default()
                    .push(name.clone());
            }
        }
        if !defs.is_empty() {
            for v in field_value::Entity::find()
                .filter(field_value::Column::IncidentId.is_in(ids))
                .order_by_asc(field_value::Column::Id)
                .all(db)
                .await?
            {
                values
                    .entry((v.incident_id, v.field_id))
                    .or_default()
                    .push(v.value);
            }
        }
    }
    let people: HashMap<String, String> = if defs.iter().any(|d| d.kind == FieldKind::Person) {
        user::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id.to_string(), u.display_name))
            .collect()
    } else {
        HashMap::new()
    };
    let mut header: Vec<String> = [
        "Incident", "Title", "Type", "Severity", "Status", "Services", "Declared", "Resolved",
        "Closed",
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(defs.iter().map(|d| d.label.clone()));
    let mut out = line(&header);
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for r in &rows {
        let mut cells = vec![
            IncidentRef(r.id).to_string(),
            r.title.clone(),
            type_name(r.type_id),
            levels.get(&r.severity_id).cloned().unwrap_or_default(),
            r.status.label().to_owned(),
            services
                .remove(&r.id)
                .map(|mut s| {
                    s.sort();
                    s.join("; ")
                })
                .unwrap_or_default(),
            time(Some(r.declared_at)),
            time(r.resolved_at),
            time(r.closed_at),
        ];
        for d in &defs {
            let held = values.remove(&(r.id, d.id)).unwrap_or_default();
            let shown: Vec<String> = held
                .into_iter()
                .map(|v| match d.kind {
                    FieldKind::Person => people.get(&v).cloned().unwrap_or(v),
                    _ => v,
                })
                .collect();
            cells.push(shown.join("; "));
        }
        out.push_str(&line(&cells));
    }
    Ok(out)
}
