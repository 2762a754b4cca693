//! The public page as Atlassian Statuspage's public API v2 shapes it
//! (`/api/v2/summary.json`, `/api/v2/incidents.json`), so widgets and monitors written
//! for Statuspage read Vigil's page. What differs is documented in the README: ids are
//! Vigil's numbers as strings, update bodies are the Markdown as written, `shortlink` is
//! the incident's page on Vigil, and a maintenance window has one update, its text.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    ComponentState, ComponentStatus, Maintenance, MaintenancePhase, PublicIncident, PublicState,
    PublicStatus,
};

#[derive(Debug, Serialize)]
pub struct Page {
    pub id: String,
    pub name: String,
    pub url: String,
    pub time_zone: &'static str,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct Component {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub description: Option<String>,
    pub position: usize,
    pub group_id: Option<String>,
    pub group: bool,
    pub only_show_if_degraded: bool,
    pub showcase: bool,
    pub page_id: String,
}

#[derive(Debug, Serialize)]
pub struct AffectedComponent {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct IncidentUpdate {
    pub id: String,
    pub incident_id: String,
    pub status: &'static str,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub display_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct Incident {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub impact: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub shortlink: String,
    pub page_id: String,
    pub incident_updates: Vec<IncidentUpdate>,
    pub components: Vec<AffectedComponent>,
    /// The public sections of its published postmortem, as Markdown under `##` titles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postmortem_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postmortem_published_at: Option<DateTime<Utc>>,
}

/// A maintenance window: an incident with `impact` "maintenance" and its planned times.
#[derive(Debug, Serialize)]
pub struct ScheduledMaintenance {
    #[serde(flatten)]
    pub incident: Incident,
    pub scheduled_for: DateTime<Utc>,
    pub scheduled_until: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct ScheduledMaintenances {
    pub page: Page,
    pub scheduled_maintenances: Vec<ScheduledMaintenance>,
}

#[derive(Debug, Serialize)]
pub struct Indicator {
    /// `none`, `minor`, `major`, `critical` or `maintenance`.
    pub indicator: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub page: Page,
    pub components: Vec<Component>,
    pub incidents: Vec<Incident>,
    /// In progress and announced, soonest first.
    pub scheduled_maintenances: Vec<ScheduledMaintenance>,
    pub status: Indicator,
}

#[derive(Debug, Serialize)]
pub struct Incidents {
    pub page: Page,
    pub incidents: Vec<Incident>,
}

/// Statuspage has one page per account; Vigil has one page.
const PAGE_ID: &str = "vigil";

pub fn page(name: &str, base_url: &str, updated_at: DateTime<Utc>) -> Page {
    Page {
        id: PAGE_ID.into(),
        name: name.into(),
        url: format!("{base_url}/status"),
        time_zone: "Etc/UTC",
        updated_at,
    }
}

/// Statuspage's impact words for a component state.
pub fn impact(state: ComponentState) -> &'static str {
    match state {
        ComponentState::Operational => "none",
        ComponentState::Maintenance => "maintenance",
        ComponentState::Degraded => "minor",
        ComponentState::Partial => "major",
        ComponentState::Major => "critical",
    }
}

pub fn indicator(overall: ComponentState) -> Indicator {
    Indicator {
        indicator: impact(overall),
        description: match overall {
            ComponentState::Operational => "All Systems Operational",
            ComponentState::Maintenance => "Service Under Maintenance",
            ComponentState::Degraded => "Minor Service Outage",
            ComponentState::Partial => "Partial System Outage",
            ComponentState::Major => "Major System Outage",
        },
    }
}

pub fn components(list: &[ComponentStatus]) -> Vec<Component> {
    list.iter()
        .enumerate()
        .map(|(n, c)| Component {
            id: c.id.to_string(),
            name: c.name.clone(),
            status: c.state.as_str(),
            description: (!c.description.is_empty()).then(|| c.description.clone()),
            position: n + 1,
            // Vigil's groups are headings, not components of their own.
            group_id: None,
            group: false,
            only_show_if_degraded: false,
            showcase: true,
            page_id: PAGE_ID.into(),
        })
        .collect()
}

pub fn incident(i: &PublicIncident, base_url: &str) -> Incident {
    let id = i.id.to_string();
    let monitoring_at = i
        .updates
        .iter()
        .rev()
        .find(|u| u.state == PublicState::Monitoring)
        .map(|u| u.at);
    Incident {
        name: i.title.clone(),
        status: i.state.as_str(),
        impact: impact(i.impact),
        created_at: i.published_at,
        updated_at: i.updated_at,
        started_at: i.published_at,
        monitoring_at,
        resolved_at: i.resolved_at,
        shortlink: format!("{base_url}/status/incidents/{id}"),
        page_id: PAGE_ID.into(),
        incident_updates: i
            .updates
            .iter()
            .map(|u| IncidentUpdate {
                id: u.id.to_string(),
                incident_id: id.clone(),
                status: u.state.as_str(),
                body: u.body.clone(),
                created_at: u.at,
                updated_at: u.at,
                display_at: u.at,
            })
            .collect(),
        components: i
            .components
            .iter()
            .map(|(id, name)| AffectedComponent {
                id: id.to_string(),
                name: name.clone(),
            })
            .collect(),
        postmortem_body: i.postmortem.as_ref().map(|p| {
            p.sections
                .iter()
                .map(|s| format!("## {}\n\n{}", s.title, s.body.trim()))
                .collect::<Vec<_>>()
                .join("\n\n")
        }),
        postmortem_published_at: i.postmortem.as_ref().map(|p| p.published_at),
        id,
    }
}

/// `summary.json`: the page, its components, the open incidents and the overall
/// indicator.
pub fn summary(status: &PublicStatus, base_url: &str) -> Summary {
    let updated_at = status
        .open
        .iter()
        .chain(&status.recent)
        .map(|i| i.updated_at)
        .max()
        .unwrap_or(status.generated_at);
    Summary {
        page: page(&status.name, base_url, updated_at),
        components: components(&status.components),
        incidents: status.open.iter().map(|i| incident(i, base_url)).collect(),
        scheduled_maintenances: status
            .maintenance
            .iter()
            .map(|m| maintenance(m, base_url))
            .collect(),
        status: indicator(status.overall),
    }
}

/// `incidents.json`: the latest published incidents with their updates.
pub fn incidents(
    name: &str,
    history: &[PublicIncident],
    base_url: &str,
    now: DateTime<Utc>,
) -> Incidents {
    let updated_at = history.iter().map(|i| i.updated_at).max().unwrap_or(now);
    Incidents {
        page: page(name, base_url, updated_at),
        incidents: history.iter().map(|i| incident(i, base_url)).collect(),
    }
}

/// A maintenance window in Statuspage's shape: its text is its one update.
pub fn maintenance(m: &Maintenance, base_url: &str) -> ScheduledMaintenance {
    let id = format!("m{}", m.id);
    let status = m.phase.as_str();
    let started = m.phase != MaintenancePhase::Scheduled;
    let ended = matches!(
        m.phase,
        MaintenancePhase::Completed | MaintenancePhase::Cancelled
    );
    ScheduledMaintenance {
        incident: Incident {
            name: m.title.clone(),
            status,
            impact: impact(ComponentState::Maintenance),
            created_at: m.created_at,
            updated_at: m.updated_at,
            started_at: if started { m.starts_at } else { m.created_at },
            monitoring_at: None,
            resolved_at: ended.then(|| m.cancelled_at.unwrap_or_else(|| m.end())),
            shortlink: format!("{base_url}/status/maintenance/{}", m.id),
            page_id: PAGE_ID.into(),
            incident_updates: vec![IncidentUpdate {
                id: format!("{id}-1"),
                incident_id: id.clone(),
                status,
                body: m.body.clone(),
                created_at: m.created_at,
                updated_at: m.updated_at,
                display_at: m.updated_at,
            }],
            components: m
                .components
                .iter()
                .map(|(id, name)| AffectedComponent {
                    id: id.to_string(),
                    name: name.clone(),
                })
                .collect(),
            postmortem_body: None,
            postmortem_published_at: None,
            id,
        },
        scheduled_for: m.starts_at,
        scheduled_until: m.ends_at,
    }
}

/// `scheduled-maintenances.json`: the windows in progress and announced, soonest first.
pub fn scheduled_maintenances(status: &PublicStatus, base_url: &str) -> ScheduledMaintenances {
    let updated_at = status
        .maintenance
        .iter()
        .map(|m| m.updated_at)
        .max()
        .unwrap_or(status.generated_at);
    ScheduledMaintenances {
        page: page(&status.name, base_url, updated_at),
        scheduled_maintenances: status
            .maintenance
            .iter()
            .map(|m| maintenance(m, base_url))
            .collect(),
    }
}
