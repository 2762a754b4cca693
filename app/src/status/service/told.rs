//! The published incidents as customers read them: built from the status tables, with
//! only the severity and the impact window read from the internal incident, and the
//! sections of a published postmortem that admins made public.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::AppError;
use crate::incidents::entities::incident;
use crate::status::entities::{incident_component, status_incident, update};
use crate::status::{
    ComponentState, PublicIncident, PublicPostmortem, PublicSection, PublicUpdate, StatusSettings,
};

/// The published incidents of `rows`, newest first, as the public page tells them;
/// `names` are the components on the page by id.
pub(super) async fn public_incidents(
    db: &impl ConnectionTrait,
    rows: Vec<status_incident::Model>,
    settings: &StatusSettings,
    names: &HashMap<i64, String>,
) -> Result<Vec<PublicIncident>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Only the severity (it picks the state) and the impact window are read from the
    // internal incident.
    type Internal = (
        i64,
        i64,
        Option<DateTime<Utc>>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    );
    let internal: HashMap<i64, Internal> = incident::Entity::find()
        .select_only()
        .column(incident::Column::Id)
        .column(incident::Column::SeverityId)
        .column(incident::Column::ImpactStartedAt)
        .column(incident::Column::DeclaredAt)
        .column(incident::Column::MitigatedAt)
        .filter(incident::Column::Id.is_in(rows.iter().map(|r| r.incident_id)))
        .into_tuple::<Internal>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.0, row))
        .collect();
    let mut named: HashMap<i64, Vec<i64>> = HashMap::new();
    for link in incident_component::Entity::find()
        .filter(incident_component::Column::StatusIncidentId.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        named
            .entry(link.status_incident_id)
            .or_default()
            .push(link.component_id);
    }
    let mut updates: HashMap<i64, Vec<PublicUpdate>> = HashMap::new();
    for u in update::Entity::find()
        .filter(update::Column::StatusIncidentId.is_in(ids.iter().copied()))
        .order_by_desc(update::Column::Id)
        .all(db)
        .await?
    {
        updates
            .entry(u.status_incident_id)
            .or_default()
            .push(PublicUpdate {
                id: u.id,
                state: u.state,
                body_html: crate::markdown::render(&u.body),
                body: u.body,
                at: u.created_at,
            });
    }
    let mut postmortems = public_postmortems(
        db,
        rows.iter().map(|r| r.incident_id),
        &settings.postmortem_sections,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let inside = internal.get(&r.incident_id);
            let impact = r.impact.unwrap_or_else(|| {
                inside.map_or(ComponentState::Degraded, |i| settings.state_for(i.1))
            });
            let impact_start = inside.map_or(r.published_at, |i| i.2.unwrap_or(i.3));
            let mitigated = inside.and_then(|i| i.4);
            let impact_end = match (mitigated, r.resolved_at) {
                (Some(m), Some(p)) => Some(m.min(p)),
                (m, p) => m.or(p),
            };
            let mut components: Vec<(i64, String)> = named
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| Some((c, names.get(&c)?.clone())))
                .collect();
            components.sort_by(|a, b| a.1.cmp(&b.1));
            PublicIncident {
                id: r.id,
                title: r.title,
                state: r.state,
                impact,
                components,
                published_at: r.published_at,
                updated_at: r.updated_at,
                resolved_at: r.resolved_at,
                impact_start,
                impact_end,
                updates: updates.remove(&r.id).unwrap_or_default(),
                postmortem: postmortems.remove(&r.incident_id),
            }
        })
        .collect())
}

/// The public sections (titles in `chosen`) of the published postmortems of `incidents`,
/// by incident id. Nothing is read while no section is chosen.
async fn public_postmortems(
    db: &impl ConnectionTrait,
    incidents: impl Iterator<Item = i64>,
    chosen: &[String],
) -> Result<HashMap<i64, PublicPostmortem>, AppError> {
    use crate::postmortems::PostmortemStatus;
    use crate::postmortems::entities::{postmortem, section};
    if chosen.is_empty() {
        return Ok(HashMap::new());
    }
    let published = postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.is_in(incidents))
        .filter(postmortem::Column::Status.eq(PostmortemStatus::Published))
        .all(db)
        .await?;
    if published.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sections: HashMap<i64, Vec<PublicSection>> = HashMap::new();
    for s in section::Entity::find()
        .filter(section::Column::PostmortemId.is_in(published.iter().map(|p| p.id)))
        .filter(section::Column::Title.is_in(chosen.iter().cloned()))
        .order_by_asc(section::Column::Position)
        .all(db)
        .await?
    {
        if s.body.trim().is_empty() {
            continue;
        }
        sections
            .entry(s.postmortem_id)
            .or_default()
            .push(PublicSection {
                body_html: crate::markdown::render(&s.body),
                title: s.title,
                body: s.body,
            });
    }
    Ok(published
        .into_iter()
        .filter_map(|p| {
            let sections = sections.remove(&p.id)?;
            Some((
                p.incident_id,
                PublicPostmortem {
                    published_at: p.published_at.unwrap_or(p.updated_at),
                    sections,
                },
            ))
        })
        .collect())
}
