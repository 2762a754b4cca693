//! What the public page shows: component states derived from the open published
//! incidents, and the incidents themselves as customers read them.

use super::components::components;
use super::setup::settings;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::AppError;
use crate::incidents::entities::incident;
use crate::status::entities::{incident_component, status_incident, update};
use crate::status::{
    ComponentState, ComponentStatus, PublicIncident, PublicStatus, PublicUpdate, RECENT_DAYS,
    StatusSettings,
};

/// The state each component is in: the worst impact of the open published incidents
/// that name it.
pub fn component_states(
    components: &[i64],
    open: &[(ComponentState, Vec<i64>)],
) -> HashMap<i64, ComponentState> {
    let mut states: HashMap<i64, ComponentState> = components
        .iter()
        .map(|c| (*c, ComponentState::Operational))
        .collect();
    for (impact, named) in open {
        for c in named {
            if let Some(state) = states.get_mut(c) {
                *state = state.worst(*impact);
            }
        }
    }
    states
}

/// The published incidents that `filter` keeps, newest first, as the public page tells
/// them; with the impact each gives its components.
async fn public_incidents(
    db: &impl ConnectionTrait,
    filter: Condition,
    settings: &StatusSettings,
    names: &HashMap<i64, String>,
) -> Result<Vec<(PublicIncident, Vec<i64>)>, AppError> {
    let rows = status_incident::Entity::find()
        .filter(filter)
        .order_by_desc(status_incident::Column::PublishedAt)
        .order_by_desc(status_incident::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Only the severity is read from the internal incident: it picks the state.
    let severity_of: HashMap<i64, i64> = incident::Entity::find()
        .select_only()
        .column(incident::Column::Id)
        .column(incident::Column::SeverityId)
        .filter(incident::Column::Id.is_in(rows.iter().map(|r| r.incident_id)))
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
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
    Ok(rows
        .into_iter()
        .map(|r| {
            let impact = r.impact.unwrap_or_else(|| {
                let severity = severity_of.get(&r.incident_id).copied();
                settings
                    .impacts
                    .iter()
                    .find(|i| Some(i.severity_id) == severity)
                    .map(|i| i.state)
                    .unwrap_or(ComponentState::Degraded)
            });
            let mut component_ids = named.remove(&r.id).unwrap_or_default();
            component_ids.retain(|c| names.contains_key(c));
            let mut components: Vec<String> = component_ids
                .iter()
                .filter_map(|c| names.get(c).cloned())
                .collect();
            components.sort();
            (
                PublicIncident {
                    id: r.id,
                    title: r.title,
                    state: r.state,
                    impact,
                    components,
                    component_ids: component_ids.clone(),
                    published_at: r.published_at,
                    updated_at: r.updated_at,
                    resolved_at: r.resolved_at,
                    updates: updates.remove(&r.id).unwrap_or_default(),
                },
                component_ids,
            )
        })
        .collect())
}

/// Everything the public page shows; `None` while the page is switched off.
pub async fn public_status(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Option<PublicStatus>, AppError> {
    let settings = settings(db).await?;
    if !settings.enabled {
        return Ok(None);
    }
    let components = components(db).await?;
    let names: HashMap<i64, String> = components.iter().map(|c| (c.id, c.name.clone())).collect();
    let recent = now - Duration::days(RECENT_DAYS);
    let incidents = public_incidents(
        db,
        Condition::any()
            .add(status_incident::Column::ResolvedAt.is_null())
            .add(status_incident::Column::ResolvedAt.gte(recent)),
        &settings,
        &names,
    )
    .await?;
    let open_impacts: Vec<(ComponentState, Vec<i64>)> = incidents
        .iter()
        .filter(|(i, _)| i.resolved_at.is_none())
        .map(|(i, ids)| (i.impact, ids.clone()))
        .collect();
    let ids: Vec<i64> = components.iter().map(|c| c.id).collect();
    let states = component_states(&ids, &open_impacts);
    let components: Vec<ComponentStatus> = components
        .into_iter()
        .map(|c| ComponentStatus {
            state: states
                .get(&c.id)
                .copied()
                .unwrap_or(ComponentState::Operational),
            id: c.id,
            name: c.name,
            description: c.description,
            group: c.group,
        })
        .collect();
    let overall = components
        .iter()
        .fold(ComponentState::Operational, |worst, c| worst.worst(c.state));
    let (open, recent): (Vec<_>, Vec<_>) = incidents
        .into_iter()
        .map(|(i, _)| i)
        .partition(|i| i.resolved_at.is_none());
    Ok(Some(PublicStatus {
        name: settings.name,
        logo_url: settings.logo_url,
        brand_colour: settings.brand_colour,
        links: settings.links,
        overall,
        components,
        open,
        recent,
        generated_at: now,
    }))
}

/// The latest published incidents (at most [`HISTORY`]), newest first, with the page's
/// settings and the components' names by id; `None` while the page is off.
pub async fn public_history(
    db: &impl ConnectionTrait,
) -> Result<Option<(StatusSettings, HashMap<i64, String>, Vec<PublicIncident>)>, AppError> {
    let settings = settings(db).await?;
    if !settings.enabled {
        return Ok(None);
    }
    let names: HashMap<i64, String> = components(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut incidents: Vec<PublicIncident> =
        public_incidents(db, Condition::all(), &settings, &names)
            .await?
            .into_iter()
            .map(|(i, _)| i)
            .collect();
    incidents.truncate(HISTORY);
    Ok(Some((settings, names, incidents)))
}

/// How many incidents the history answers, as Statuspage's `incidents.json` does.
pub const HISTORY: usize = 50;

/// One published incident for its public page, with the page's look; `None` when the
/// page is off or there is no such published incident.
pub async fn public_incident(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<(StatusSettings, PublicIncident)>, AppError> {
    let settings = settings(db).await?;
    if !settings.enabled {
        return Ok(None);
    }
    let names: HashMap<i64, String> = components(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut found = public_incidents(
        db,
        Condition::all().add(status_incident::Column::Id.eq(id)),
        &settings,
        &names,
    )
    .await?;
    Ok(found.pop().map(|(incident, _)| (settings, incident)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_takes_the_worst_state_of_the_open_incidents_naming_it() {
        let states = component_states(
            &[1, 2, 3],
            &[
                (ComponentState::Degraded, vec![1, 2]),
                (ComponentState::Major, vec![2]),
                // A component taken off the page since: ignored.
                (ComponentState::Major, vec![9]),
            ],
        );
        assert_eq!(states[&1], ComponentState::Degraded);
        assert_eq!(states[&2], ComponentState::Major);
        assert_eq!(states[&3], ComponentState::Operational);
        assert_eq!(states.len(), 3);
    }
}
