//! What the public page shows: component states derived from the open published
//! incidents, each component's last [`UPTIME_DAYS`] days, and the incidents as customers
//! read them.

use super::components::{ordered, public_names};
use super::setup::settings;
use super::told::public_incidents;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::AppError;
use crate::metrics::formulas::{self, IncidentTimes, Secs, Span};
use crate::status::entities::status_incident;
use crate::status::{
    ComponentState, ComponentStatus, DayBar, Maintenance, MaintenancePhase, PublicIncident,
    PublicStatus, RECENT_DAYS, StatusSettings, UPTIME_DAYS,
};

const DAY: Secs = 86_400;

/// The state each component is in: the worst impact of the open published incidents
/// (and maintenance in progress) that name it.
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

/// The impact window of a published incident as the reliability formulas read it.
fn times(i: &PublicIncident) -> IncidentTimes {
    let start = i.impact_start.timestamp();
    IncidentTimes {
        start,
        detected: start,
        acknowledged: None,
        mitigated: i.impact_end.map(|at| at.timestamp()),
        resolved: None,
    }
}

/// A maintenance window as a span, clipped to `now` (it has not happened past it yet).
fn maintenance_span(m: &Maintenance, now: Secs) -> Span {
    Span {
        start: m.starts_at.timestamp(),
        end: m.end().timestamp().min(now),
    }
}

/// A component's uptime over the [`UPTIME_DAYS`] days before `now` (the reliability
/// pages' availability over the same window, from the published incidents that name
/// it and the maintenance that counts against the SLO), and one bar per UTC day, today
/// last.
pub fn component_history(
    component: i64,
    incidents: &[PublicIncident],
    maintenance: &[Maintenance],
    now: DateTime<Utc>,
) -> (f64, Vec<DayBar>) {
    let end = now.timestamp();
    let mine: Vec<&PublicIncident> = incidents.iter().filter(|i| i.affects(component)).collect();
    let times: Vec<IncidentTimes> = mine.iter().map(|i| times(i)).collect();
    let worked: Vec<(&Maintenance, Span)> = maintenance
        .iter()
        .filter(|m| m.touches(component) && m.phase != MaintenancePhase::Cancelled)
        .map(|m| (m, maintenance_span(m, end)))
        .filter(|(_, span)| !span.is_empty())
        .collect();
    let planned: Vec<Span> = worked
        .iter()
        .filter(|(m, _)| m.counts_against_slo)
        .map(|(_, span)| *span)
        .collect();
    let window = Span {
        start: end - UPTIME_DAYS * DAY,
        end,
    };
    let uptime = formulas::reliability_with_planned(&times, &planned, window)
        .availability()
        .unwrap_or(1.0);
    let today = end.div_euclid(DAY);
    let first = today - UPTIME_DAYS + 1;
    let bars = Span {
        start: first * DAY,
        end,
    };
    let down = formulas::downtime_spans(&times, &planned, bars);
    let days = (first..=today)
        .map(|d| {
            let day = Span {
                start: d * DAY,
                end: ((d + 1) * DAY).min(end),
            };
            // An incident open since this very second colours today already.
            let whole_day = (d + 1) * DAY;
            let worst = mine
                .iter()
                .zip(&times)
                .filter(|(_, t)| t.start < whole_day && t.mitigated.is_none_or(|m| m > day.start))
                .map(|(i, _)| i.impact)
                .chain(
                    worked
                        .iter()
                        .filter(|(_, s)| s.start < whole_day && s.end > day.start)
                        .map(|_| ComponentState::Maintenance),
                )
                .reduce(ComponentState::worst);
            DayBar {
                date: DateTime::<Utc>::from_timestamp(d * DAY, 0)
                    .unwrap_or_default()
                    .date_naive(),
                worst,
                down: formulas::covered(&down, day),
            }
        })
        .collect();
    (uptime, days)
}

/// Everything the public side shows, read at once.
#[derive(Debug, Clone)]
pub struct PublicView {
    pub settings: StatusSettings,
    pub status: PublicStatus,
    /// The latest published incidents (at most [`HISTORY`]), newest first.
    pub history: Vec<PublicIncident>,
    /// Every window of the last [`UPTIME_DAYS`] days and ahead, called off ones too.
    pub maintenance: Vec<Maintenance>,
}

/// How many incidents the history answers, as Statuspage's `incidents.json` does.
pub const HISTORY: usize = 50;

/// The page, its components with their states and days, and the incidents: the open
/// ones, those that touched the last [`UPTIME_DAYS`] days and the latest [`HISTORY`].
/// `None` while the page is switched off.
pub async fn public_view(
    db: &impl crate::db::Writer,
    now: DateTime<Utc>,
) -> Result<Option<PublicView>, AppError> {
    let settings = settings(db).await?;
    if !settings.enabled {
        return Ok(None);
    }
    let components = ordered(db).await?;
    let names: HashMap<i64, String> = components.iter().map(|c| (c.id, c.name.clone())).collect();
    let since = now - Duration::days(UPTIME_DAYS);
    // Resolution ends an impact window at the latest, so these are all that touch it.
    let mut rows = status_incident::Entity::find()
        .filter(
            Condition::any()
                .add(status_incident::Column::ResolvedAt.is_null())
                .add(status_incident::Column::ResolvedAt.gte(since)),
        )
        .all(db)
        .await?;
    let latest = status_incident::Entity::find()
        .order_by_desc(status_incident::Column::PublishedAt)
        .order_by_desc(status_incident::Column::Id)
        .limit(HISTORY as u64)
        .all(db)
        .await?;
    for row in latest {
        if !rows.iter().any(|r| r.id == row.id) {
            rows.push(row);
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse((r.published_at, r.id)));
    let incidents = public_incidents(db, rows, &settings, &names).await?;
    let maintenance = super::maintenance::since(db, since, &names, now).await?;
    let open_impacts: Vec<(ComponentState, Vec<i64>)> = incidents
        .iter()
        .filter(|i| i.resolved_at.is_none())
        .map(|i| (i.impact, i.components.iter().map(|c| c.0).collect()))
        .chain(
            maintenance
                .iter()
                .filter(|m| m.phase == MaintenancePhase::InProgress)
                .map(|m| {
                    (
                        ComponentState::Maintenance,
                        m.components.iter().map(|c| c.0).collect(),
                    )
                }),
        )
        .collect();
    let ids: Vec<i64> = components.iter().map(|c| c.id).collect();
    let states = component_states(&ids, &open_impacts);
    let components: Vec<ComponentStatus> = components
        .into_iter()
        .map(|c| {
            let (uptime, days) = component_history(c.id, &incidents, &maintenance, now);
            ComponentStatus {
                state: states
                    .get(&c.id)
                    .copied()
                    .unwrap_or(ComponentState::Operational),
                id: c.id,
                name: c.name,
                description: c.description,
                group: c.group_name,
                uptime,
                days,
            }
        })
        .collect();
    let overall = components
        .iter()
        .fold(ComponentState::Operational, |worst, c| worst.worst(c.state));
    let recent_since = now - Duration::days(RECENT_DAYS);
    let open: Vec<PublicIncident> = incidents
        .iter()
        .filter(|i| i.resolved_at.is_none())
        .cloned()
        .collect();
    let recent: Vec<PublicIncident> = incidents
        .iter()
        .filter(|i| i.resolved_at.is_some_and(|at| at >= recent_since))
        .cloned()
        .collect();
    let history: Vec<PublicIncident> = incidents.into_iter().take(HISTORY).collect();
    let shown: Vec<Maintenance> = maintenance
        .iter()
        .filter(|m| {
            matches!(
                m.phase,
                MaintenancePhase::Scheduled | MaintenancePhase::InProgress
            )
        })
        .cloned()
        .collect();
    Ok(Some(PublicView {
        status: PublicStatus {
            name: settings.name.clone(),
            logo_url: settings.logo_url.clone(),
            brand_colour: settings.brand_colour.clone(),
            links: settings.links.clone(),
            overall,
            components,
            open,
            recent,
            maintenance: shown,
            generated_at: now,
        },
        settings,
        history,
        maintenance,
    }))
}

/// One published incident for its public page, with the page's settings; `None` when
/// the page is off or there is no such published incident.
pub async fn public_incident(
    db: &impl crate::db::Writer,
    id: i64,
) -> Result<Option<(StatusSettings, PublicIncident)>, AppError> {
    let settings = settings(db).await?;
    if !settings.enabled {
        return Ok(None);
    }
    let Some(row) = status_incident::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let names = public_names(db).await?;
    let mut found = public_incidents(db, vec![row], &settings, &names).await?;
    Ok(found.pop().map(|incident| (settings, incident)))
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

    fn published(
        impact: ComponentState,
        components: &[i64],
        start: i64,
        end: Option<i64>,
    ) -> PublicIncident {
        let at = |secs| DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        PublicIncident {
            impact,
            components: components.iter().map(|c| (*c, String::new())).collect(),
            resolved_at: end.map(at),
            impact_end: end.map(at),
            updates: Vec::new(),
            ..PublicIncident::sample(start, "", at(start), "")
        }
    }

    #[test]
    fn days_take_the_worst_state_and_uptime_counts_overlaps_once() {
        const H: i64 = 3600;
        // 2025-12-05 15:00 UTC; days run midnight to midnight UTC.
        let now = DateTime::<Utc>::from_timestamp(1_764_946_800, 0).unwrap();
        let today = now.timestamp().div_euclid(DAY) * DAY;
        let yesterday = today - DAY;
        let incidents = [
            // 12:00 yesterday to 06:00 today: 12 h then 6 h.
            published(
                ComponentState::Degraded,
                &[1],
                yesterday + 12 * H,
                Some(today + 6 * H),
            ),
            // Inside the first one, and worse: counted once, colours yesterday.
            published(
                ComponentState::Major,
                &[1, 2],
                yesterday + 13 * H,
                Some(yesterday + 14 * H),
            ),
            // Still open since 14:00 today: one hour so far.
            published(ComponentState::Partial, &[1], today + 14 * H, None),
            // Another component's.
            published(ComponentState::Major, &[2], today, Some(today + H)),
            // Older than the window: no bar, no downtime.
            published(
                ComponentState::Major,
                &[1],
                today - 100 * DAY,
                Some(today - 99 * DAY),
            ),
        ];
        let (uptime, days) = component_history(1, &incidents, &[], now);
        assert_eq!(days.len(), UPTIME_DAYS as usize);
        let last = days[days.len() - 1];
        let before = days[days.len() - 2];
        assert_eq!(last.date, now.date_naive());
        assert_eq!(
            (before.worst, before.down),
            (Some(ComponentState::Major), 12 * H)
        );
        assert_eq!(
            (last.worst, last.down),
            (Some(ComponentState::Partial), 7 * H)
        );
        assert!(
            days[..days.len() - 2]
                .iter()
                .all(|d| d.worst.is_none() && d.down == 0)
        );
        let window = (UPTIME_DAYS * DAY) as f64;
        assert!(
            (uptime - (1.0 - (19 * H) as f64 / window)).abs() < 1e-12,
            "{uptime}"
        );

        let (quiet, days) = component_history(3, &incidents, &[], now);
        assert_eq!(quiet, 1.0);
        assert!(days.iter().all(|d| d.worst.is_none()));
    }
}
