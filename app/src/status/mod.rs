//! The public status page: customers read what is working and what is being fixed,
//! without signing in. Admins choose the services shown (components); the incident
//! commander publishes an incident with customer-facing words and updates it. Nothing
//! internal (notes, people, alert data, services not shown) is read to build the public
//! side: it is built only from the status tables and the published incidents' times.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::named::named_enum;

pub mod admin_page;
pub mod incident_card;
pub mod maintenance_page;
pub mod server_fns;
pub mod subscribers;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod feeds;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod public;
#[cfg(feature = "ssr")]
pub mod public_maintenance;
#[cfg(feature = "ssr")]
pub mod public_subscribe;
#[cfg(feature = "ssr")]
pub mod served;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod statuspage;

named_enum! {
    /// How a component is doing, in the words of Atlassian Statuspage's API (widgets and
    /// monitors read them), least to most severe.
    pub enum ComponentState {
        Operational => "operational", "Operational";
        /// A maintenance window naming it is in progress (an incident's state is worse).
        Maintenance => "under_maintenance", "Under maintenance";
        Degraded => "degraded_performance", "Degraded performance";
        Partial => "partial_outage", "Partial outage";
        Major => "major_outage", "Major outage";
    }
}

impl ComponentState {
    /// The worse of two states.
    pub fn worst(self, other: Self) -> Self {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// A state an incident can give its components (maintenance and operational are not).
    pub fn is_impact(self) -> bool {
        !matches!(self, Self::Operational | Self::Maintenance)
    }

    /// The states an incident can give, least severe first: the choices of the forms.
    pub fn impacts() -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(|s| s.is_impact())
    }

    fn rank(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The default state for a severity at `position` (1 is the most severe).
    pub fn for_position(position: i32) -> Self {
        match position {
            ..=1 => Self::Major,
            2 => Self::Partial,
            _ => Self::Degraded,
        }
    }
}

named_enum! {
    /// Where a published incident stands, as customers are told.
    pub enum PublicState {
        Investigating => "investigating", "Investigating";
        Identified => "identified", "Identified";
        Monitoring => "monitoring", "Monitoring";
        Resolved => "resolved", "Resolved";
    }
}

named_enum! {
    /// Where a maintenance window stands, in Statuspage's words.
    pub enum MaintenancePhase {
        Scheduled => "scheduled", "Scheduled";
        InProgress => "in_progress", "In progress";
        Completed => "completed", "Completed";
        Cancelled => "cancelled", "Cancelled";
    }
}

impl MaintenancePhase {
    /// The phase at `now` of a window planned for `[starts, ends)`, ended early at
    /// `completed` or called off at `cancelled`.
    pub fn at(
        now: DateTime<Utc>,
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
        completed: Option<DateTime<Utc>>,
        cancelled: Option<DateTime<Utc>>,
    ) -> Self {
        if cancelled.is_some() {
            Self::Cancelled
        } else if completed.is_some() || now >= ends {
            Self::Completed
        } else if now >= starts {
            Self::InProgress
        } else {
            Self::Scheduled
        }
    }
}

/// A planned maintenance window as the status page and its editors see it: nothing in
/// it is internal but `version` and `counts_against_slo`, which the public side omits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintenance {
    pub id: i64,
    pub title: String,
    /// The Markdown as written for customers.
    pub body: String,
    /// Sanitised HTML rendered from `body`.
    pub body_html: String,
    pub phase: MaintenancePhase,
    pub starts_at: DateTime<Utc>,
    /// The planned end.
    pub ends_at: DateTime<Utc>,
    /// When it ended early (the planned end otherwise).
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Its time is downtime for the SLOs and uptime of the services it names.
    pub counts_against_slo: bool,
    /// The components it touches (those still on the page): id and public name, by name.
    pub components: Vec<(i64, String)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Maintenance {
    pub fn touches(&self, component: i64) -> bool {
        self.components.iter().any(|(id, _)| *id == component)
    }

    /// When it ended or will end: early completion, else the planned end.
    pub fn end(&self) -> DateTime<Utc> {
        crate::metrics::formulas::planned_end(self.ends_at, self.completed_at)
    }
}

/// A maintenance window as the form sends it (`datetime-local` values in the editor's
/// zone); `version` when editing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MaintenanceForm {
    pub title: String,
    pub body: String,
    pub starts_at: String,
    pub ends_at: String,
    pub components: Option<Vec<i64>>,
    /// A checkbox: present when ticked.
    pub counts_against_slo: Option<String>,
    pub version: Option<i32>,
}

/// A maintenance window as the service takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceEdit {
    pub title: String,
    pub body: String,
    /// `None`: not given (or not readable), refused with the other fields' errors.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub components: Vec<i64>,
    pub counts_against_slo: bool,
    /// Required when editing: the version the form was filled against.
    pub version: Option<i32>,
}

/// How the public page looks, and which state each severity shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSettings {
    pub enabled: bool,
    pub name: String,
    pub logo_url: Option<String>,
    /// `#rrggbb`: the header's colour.
    pub brand_colour: String,
    /// Links in the header, such as the company's home page or support.
    pub links: Vec<StatusLink>,
    /// The state a published incident of each severity gives its components.
    pub impacts: Vec<SeverityImpact>,
    /// The postmortem sections (by title) a published incident's page shows once its
    /// postmortem is published; none: postmortems stay internal.
    pub postmortem_sections: Vec<String>,
    /// The sections admins may choose: the template's, less the timeline (filled from
    /// the internal one).
    pub section_choices: Vec<String>,
    /// Bumped by each save: a save over a newer one is refused.
    pub version: i32,
}

impl StatusSettings {
    /// The state a published incident of this severity gives its components.
    pub fn state_for(&self, severity_id: i64) -> ComponentState {
        self.impacts
            .iter()
            .find(|i| i.severity_id == severity_id)
            .map_or(ComponentState::Degraded, |i| i.state)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusLink {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityImpact {
    pub severity_id: i64,
    pub severity: String,
    pub state: ComponentState,
}

/// A service shown on the public page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComponentView {
    pub id: i64,
    pub service_id: i64,
    /// The service's internal name: admins and responders see it, customers do not.
    pub service_name: String,
    pub name: String,
    pub description: String,
    pub group: String,
    pub position: i32,
}

/// One customer-facing update of a published incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicUpdate {
    pub id: i64,
    pub state: PublicState,
    /// The Markdown as written for customers.
    pub body: String,
    /// Sanitised HTML rendered from the update's Markdown.
    pub body_html: String,
    pub at: DateTime<Utc>,
}

/// An incident as the public page tells it: no internal reference, people or services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicIncident {
    pub id: i64,
    pub title: String,
    pub state: PublicState,
    /// The worst state it gives its components.
    pub impact: ComponentState,
    /// The components it affects (those still on the page): id and public name, by name.
    pub components: Vec<(i64, String)>,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The impact window the uptime counts, as the reliability pages define it: impact
    /// start (or declaration) to mitigation, or to the public resolution when that came
    /// first; open while neither happened.
    pub impact_start: DateTime<Utc>,
    pub impact_end: Option<DateTime<Utc>>,
    /// Newest first.
    pub updates: Vec<PublicUpdate>,
    /// The sections of its published postmortem that admins made public.
    pub postmortem: Option<PublicPostmortem>,
}

/// What customers read of a published postmortem: the sections admins chose, in the
/// postmortem's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicPostmortem {
    pub published_at: DateTime<Utc>,
    pub sections: Vec<PublicSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicSection {
    pub title: String,
    /// The Markdown as written.
    pub body: String,
    /// Sanitised HTML rendered from `body`.
    pub body_html: String,
}

impl PublicIncident {
    pub fn affects(&self, component: i64) -> bool {
        self.components.iter().any(|(id, _)| *id == component)
    }

    /// For unit tests: incident `id` titled `title`, published and open since `at`
    /// with a degraded component 1 ("API") and one update saying `body_html`.
    #[cfg(test)]
    pub fn sample(id: i64, title: &str, at: DateTime<Utc>, body_html: &str) -> Self {
        Self {
            id,
            title: title.into(),
            state: PublicState::Investigating,
            impact: ComponentState::Degraded,
            components: vec![(1, "API".into())],
            published_at: at,
            updated_at: at,
            resolved_at: None,
            impact_start: at,
            impact_end: None,
            updates: vec![PublicUpdate {
                id: 1,
                state: PublicState::Investigating,
                body: String::new(),
                body_html: body_html.into(),
                at,
            }],
            postmortem: None,
        }
    }
}

/// A component and its state now, with its history on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentStatus {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub group: String,
    pub state: ComponentState,
    /// Uptime over the last [`UPTIME_DAYS`] days, by the reliability pages' definition.
    pub uptime: f64,
    /// One bar a UTC day, oldest first, today last.
    pub days: Vec<DayBar>,
}

/// One day of a component's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayBar {
    pub date: chrono::NaiveDate,
    /// The worst state of the day; `None` when no published incident touched it.
    pub worst: Option<ComponentState>,
    /// Seconds of the day inside an impact window.
    pub down: i64,
}

/// How many days of bars (and of uptime) the page shows per component.
pub const UPTIME_DAYS: i64 = 90;

/// Everything the public page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicStatus {
    pub name: String,
    pub logo_url: Option<String>,
    pub brand_colour: String,
    pub links: Vec<StatusLink>,
    /// The worst state of any component.
    pub overall: ComponentState,
    pub components: Vec<ComponentStatus>,
    /// Published and not resolved, newest first.
    pub open: Vec<PublicIncident>,
    /// Resolved in the last [`RECENT_DAYS`] days, newest first.
    pub recent: Vec<PublicIncident>,
    /// Maintenance in progress or announced, soonest first.
    pub maintenance: Vec<Maintenance>,
    pub generated_at: DateTime<Utc>,
}

/// How far back the page lists resolved incidents.
pub const RECENT_DAYS: i64 = 14;

/// What the incident page's status card shows and offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentStatusCard {
    /// The page is switched on (publishing is offered only then).
    pub enabled: bool,
    pub components: Vec<ComponentView>,
    /// The components its services are shown as: ticked at first publication.
    pub suggested: Vec<i64>,
    /// The state its severity maps to.
    pub severity_state: ComponentState,
    pub published: Option<PublishedIncident>,
    /// An update a rule drafted, filled into the form for a person to publish.
    pub draft: Option<StatusDraftView>,
}

/// A status page update a rule wrote ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusDraftView {
    pub state: PublicState,
    pub body: String,
    /// The rule that wrote it.
    pub rule: String,
}

/// The incident as published, with what responders may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PublishedIncident {
    pub id: i64,
    pub title: String,
    pub state: PublicState,
    /// Set by the commander over the severity's mapping.
    pub impact_override: Option<ComponentState>,
    pub component_ids: Vec<i64>,
    pub version: i32,
    /// Newest first.
    pub updates: Vec<PublishedUpdate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PublishedUpdate {
    pub state: PublicState,
    pub body_html: String,
    pub at: DateTime<Utc>,
    /// Who posted it (internal: shown to responders only).
    pub author: String,
}

/// The settings form as the admin page sends it (inputs named `form[name]` and so on;
/// `impact_ids[]` and `impact_states[]` pair up by position).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    /// A checkbox: present when ticked.
    pub enabled: Option<String>,
    pub name: String,
    pub logo_url: String,
    pub brand_colour: String,
    pub links: String,
    pub impact_ids: Option<Vec<i64>>,
    pub impact_states: Option<Vec<String>>,
    /// Ticked checkboxes: section titles.
    pub postmortem_sections: Option<Vec<String>>,
    pub version: i32,
}

/// The settings as the service takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsEdit {
    pub enabled: bool,
    pub name: String,
    pub logo_url: String,
    pub brand_colour: String,
    /// One link a line: `Label | https://…`.
    pub links: String,
    /// Severity id and the state's word.
    pub impacts: Vec<(i64, String)>,
    /// Postmortem section titles shown publicly.
    pub postmortem_sections: Vec<String>,
    pub version: i32,
}

/// A component as an admin fills it in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComponentEdit {
    /// The service (an id, slug or name); only read when adding.
    pub service: String,
    /// Empty: the service's name.
    pub name: String,
    pub description: String,
    pub group: String,
    pub position: Option<i32>,
}

/// A publication or a later update, as the incident page's form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Publication {
    /// The customer-facing title: required to publish, optional after.
    pub title: Option<String>,
    pub state: String,
    /// Required to publish; when updating, `None` keeps them.
    pub components: Option<Vec<i64>>,
    /// A state's word, or empty to follow the severity.
    pub impact: Option<String>,
    pub body: String,
    /// The published incident's version the form was filled against.
    pub version: Option<i32>,
}
