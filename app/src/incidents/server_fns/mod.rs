//! Thin server functions over `service`: who is asking, then one call.
//!
//! A form with many fields arrives as one struct (`DeclareForm`, inputs named
//! `form[title]`), so two fields cannot be swapped by position.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{DeclareForm, DetailsForm, IncidentView, TimelineEventView};
use crate::error::AppError;

mod list;
mod severities;

pub use list::*;
pub use severities::*;

#[cfg(feature = "ssr")]
use {
    super::service::{declare, edit, query, timeline},
    super::{IncidentRef, IncidentRole, Marker, Status},
    crate::accounts::Role,
    crate::choices::service as choices,
    crate::web::{self, redirect_form_post, with_status},
};

/// The services a form names: ids (`service_ids[]`, as the API and older forms send them)
/// and the search field's comma-separated slugs or names.
#[cfg(feature = "ssr")]
async fn with_named_services(
    db: &impl sea_orm::ConnectionTrait,
    ids: Option<Vec<i64>>,
    text: Option<String>,
) -> Result<Vec<i64>, AppError> {
    let mut ids = ids.unwrap_or_default();
    if let Some(text) = text {
        for id in choices::resolve_services(db, "service_ids", &text).await? {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

#[server(prefix = "/rpc", endpoint = "declare_incident")]
pub async fn declare_incident(#[server(default)] form: DeclareForm) -> Result<String, AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let declaration = declare::Declaration {
            title: form.title,
            severity_id: match form.severity_id.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(id) => Some(
                    id.parse()
                        .map_err(|_| AppError::invalid("severity_id", "Choose a severity."))?,
                ),
            },
            type_id: crate::fields::server_fns::chosen_type(form.type_id.as_deref())?,
            service_ids: with_named_services(&state.db, form.service_ids, form.services).await?,
            summary: form.summary.unwrap_or_default(),
            customer_impact: form.customer_impact.is_some(),
            commander_id: choices::person_or_id(
                &state.db,
                &user,
                "commander_id",
                form.commander.as_deref(),
                form.commander_id,
            )
            .await?,
            detected_at: None,
            fields: crate::fields::server_fns::entered_values(form.fields.unwrap_or_default())?,
            unattended: false,
        };
        match form.suspected_change {
            Some(change) => {
                crate::workflow::declare_incident_after_change(
                    &state.db,
                    &user,
                    declaration,
                    change,
                )
                .await
            }
            None => crate::workflow::declare_incident(&state.db, &user, declaration).await,
        }
    }
    .await;
    let reference = with_status(result)?;
    let path = format!("/incidents/{reference}");
    redirect_form_post(&path);
    Ok(path)
}

/// Everything the incident page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDetail {
    pub incident: IncidentView,
    pub timeline: Vec<TimelineEventView>,
    pub can_write: bool,
    pub now: chrono::DateTime<chrono::Utc>,
    /// What the live updates compare against (see `marker::change_marker`).
    pub marker: String,
    /// The status of its postmortem, if one was started.
    pub postmortem: Option<crate::postmortems::PostmortemStatus>,
    /// Runbooks of the affected services, shown prominently while responding.
    pub runbooks: Vec<crate::catalog::ServiceRunbooks>,
    /// The changes to its services before it began, and those marked as its cause.
    pub changes: crate::changes::ChangesBefore,
    /// Whether and how it is published to the status page.
    pub status_page: crate::status::IncidentStatusCard,
    /// Its type and custom fields.
    pub fields: crate::fields::IncidentFields,
    /// The types it could be changed to.
    pub types: Vec<crate::incidents::types::IncidentTypeView>,
}

#[server(prefix = "/rpc", endpoint = "incident_detail")]
pub async fn get_incident_detail(
    reference: String,
    changes_window: Option<u32>,
) -> Result<IncidentDetail, AppError> {
    use crate::changes::service::{DEFAULT_WINDOW_HOURS, changes_before_incident};
    let (state, user) = web::require(Role::Viewer)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let incident = query::get_incident(&state.db, reference).await?;
        let window = changes_window.unwrap_or(DEFAULT_WINDOW_HOURS);
        let types = crate::incidents::service::types::list_types(&state.db, true).await?;
        let (timeline, marker) =
            timeline::timeline_and_marker(&state.db, reference, user.role, incident.version)
                .await?;
        Ok(IncidentDetail {
            changes: changes_before_incident(&state.db, &incident, window).await?,
            runbooks: crate::catalog::service::runbooks_for(&state.db, &incident.services).await?,
            timeline,
            can_write: user.role.can_write(),
            now: chrono::Utc::now(),
            marker,
            status_page: crate::status::service::incident_card(&state.db, &incident).await?,
            fields: {
                let kind = types
                    .iter()
                    .find(|t| Some(t.id) == incident.type_id)
                    .or_else(|| types.iter().find(|t| t.is_default))
                    .map(|t| crate::fields::TypeRef {
                        id: t.id,
                        name: t.name.clone(),
                    })
                    .ok_or(AppError::Internal)?;
                crate::fields::service::fields_of(&state.db, reference, kind, incident.version)
                    .await?
            },
            // Those it can move to: its own, and any not archived.
            types: types
                .into_iter()
                .filter(|t| !t.archived || Some(t.id) == incident.type_id)
                .collect(),
            incident,
            postmortem: crate::postmortems::service::query::postmortem_status(&state.db, reference)
                .await?,
        })
    }
    .await;
    with_status(result)
}

/// The timeline with its change marker and the header's facts: what the live timeline
/// re-reads in islands mode (the rest of the page is rendered once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentTimeline {
    pub marker: String,
    pub timeline: Vec<TimelineEventView>,
    pub can_write: bool,
    /// The header's title and badges as the server renders them now.
    pub facts_html: String,
}

#[server(prefix = "/rpc", endpoint = "incident_timeline")]
pub async fn get_incident_timeline(reference: String) -> Result<IncidentTimeline, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        // The header, then the events with the marker (at the version the header was
        // read at): a change landing between the two reads leaves the marker older than
        // what the events show, and the next report re-reads (idempotently); nothing is
        // missed.
        let incident = query::get_incident(&state.db, reference).await?;
        let (timeline, marker) =
            timeline::timeline_and_marker(&state.db, reference, user.role, incident.version)
                .await?;
        Ok(IncidentTimeline {
            marker,
            timeline,
            can_write: user.role.can_write(),
            facts_html: crate::incidents::pages::facts_html(&incident),
        })
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "change_incident_status")]
pub async fn change_incident_status(
    reference: String,
    status: String,
    version: i32,
    merged_into: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let to = Status::parse(&status)
            .ok_or_else(|| AppError::invalid("status", "Choose a status."))?;
        let merged_into = IncidentRef::parse_field("merged_into", merged_into.as_deref())?;
        crate::workflow::change_status(&state.db, &user, reference, to, merged_into, version)
            .await?;
        redirect_form_post(&format!("/incidents/{reference}"));
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "change_incident_severity")]
pub async fn change_incident_severity(
    reference: String,
    severity_id: i64,
    version: i32,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        crate::workflow::change_severity(&state.db, &user, reference, severity_id, version).await?;
        redirect_form_post(&format!("/incidents/{reference}"));
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "assign_incident_role")]
pub async fn assign_incident_role(
    reference: String,
    role: String,
    user_id: Option<i64>,
    person: Option<String>,
    version: i32,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let role = IncidentRole::parse(&role)
            .ok_or_else(|| AppError::invalid("role", "Choose a role."))?;
        let user_id =
            choices::person_or_id(&state.db, &user, "user_id", person.as_deref(), user_id)
                .await?
                .ok_or_else(|| {
                    AppError::invalid("user_id", "Name the person who takes the role.")
                })?;
        crate::workflow::assign_role(&state.db, &user, reference, role, user_id, version).await?;
        redirect_form_post(&format!("/incidents/{reference}"));
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "add_incident_note")]
pub async fn add_incident_note(
    reference: String,
    body: String,
    occurred_at: Option<String>,
    marker: Option<String>,
    highlighted: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let note = timeline::NewNote {
            body,
            occurred_at: crate::time::parse_input("occurred_at", occurred_at.as_deref())?,
            marker: marker.as_deref().and_then(Marker::parse),
            highlighted: highlighted.is_some(),
        };
        timeline::add_note(&state.db, &user, reference, note).await?;
        redirect_form_post(&format!("/incidents/{reference}#timeline"));
        Ok(())
    }
    .await;
    with_status(result)
}

/// Corrects the incident's facts; times are `YYYY-MM-DDTHH:MM` in the viewer's zone.
#[server(prefix = "/rpc", endpoint = "update_incident_details")]
pub async fn update_incident_details(
    reference: String,
    version: i32,
    #[server(default)] form: DetailsForm,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let time =
            |field: &str, value: &Option<String>| crate::time::parse_input(field, value.as_deref());
        let times = super::Timestamps {
            impact_started_at: time("impact_started_at", &form.impact_started_at)?,
            detected_at: time("detected_at", &form.detected_at)?,
            declared_at: time("declared_at", &form.declared_at)?.ok_or_else(|| {
                AppError::invalid("declared_at", "An incident always has a declaration time.")
            })?,
            acknowledged_at: time("acknowledged_at", &form.acknowledged_at)?,
            mitigated_at: time("mitigated_at", &form.mitigated_at)?,
            resolved_at: time("resolved_at", &form.resolved_at)?,
            closed_at: time("closed_at", &form.closed_at)?,
        };
        let details = edit::Details {
            title: form.title,
            summary: form.summary.unwrap_or_default(),
            customer_impact: form.customer_impact.is_some(),
            service_ids: with_named_services(&state.db, form.service_ids, form.services).await?,
            times,
        };
        crate::workflow::update_details(&state.db, &user, reference, details, version).await?;
        redirect_form_post(&format!("/incidents/{reference}"));
        Ok(())
    }
    .await;
    with_status(result)
}

/// Changes a note's text; the earlier text is kept as a revision.
#[server(prefix = "/rpc", endpoint = "edit_incident_note")]
pub async fn edit_incident_note(
    reference: String,
    event_id: i64,
    body: String,
    version: i32,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        timeline::edit_note(&state.db, &user, reference, event_id, &body, version).await?;
        redirect_form_post(&format!("/incidents/{reference}#timeline"));
        Ok(())
    }
    .await;
    with_status(result)
}

/// Hides a note from the timeline (admins still see it, marked deleted).
#[server(prefix = "/rpc", endpoint = "delete_incident_note")]
pub async fn delete_incident_note(reference: String, event_id: i64) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        timeline::delete_note(&state.db, &user, reference, event_id).await?;
        redirect_form_post(&format!("/incidents/{reference}#timeline"));
        Ok(())
    }
    .await;
    with_status(result)
}
