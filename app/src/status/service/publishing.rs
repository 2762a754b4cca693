//! Publishing an incident and posting its updates, from the incident page.

use super::components::ordered;
use super::setup::stored;
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::accounts::CurrentUser;
use crate::error::{AppError, FieldError};
use crate::incidents::service::timeline::{AutoEvent, record_event};
use crate::incidents::{EventKind, IncidentRef};
use crate::status::entities::{component, draft, incident_component, status_incident, update};
use crate::status::{
    ComponentState, ComponentView, IncidentStatusCard, PublicState, Publication, PublishedIncident,
    PublishedUpdate, StatusDraftView,
};
use crate::text::has_control_characters;

/// The longest update, in characters.
pub const MAX_UPDATE: usize = 5000;

/// Publishes incident `reference` to the status page, or posts an update to it. Each is
/// also recorded on the internal timeline.
pub async fn publish(
    db: &impl crate::db::Writer,
    user: &CurrentUser,
    reference: IncidentRef,
    form: &Publication,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let state = PublicState::parse(&form.state);
    if state.is_none() {
        errors.push(FieldError::new("state", "Choose a state from the list."));
    }
    let body = form.body.trim();
    if body.is_empty() {
        errors.push(FieldError::new("body", "Write what customers should know."));
    } else if body.chars().count() > MAX_UPDATE {
        errors.push(FieldError::new(
            "body",
            format!("Use at most {MAX_UPDATE} characters."),
        ));
    }
    let title = form
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(title) = title
        && (title.chars().count() > 200 || has_control_characters(title))
    {
        errors.push(FieldError::new(
            "title",
            "Use one line of at most 200 characters.",
        ));
    }
    let impact = match form.impact.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(word) => match ComponentState::parse(word) {
            Some(state) if state.is_impact() => Some(state),
            _ => {
                errors.push(FieldError::new("impact", "Choose a state from the list."));
                None
            }
        },
    };
    let components: Option<Vec<i64>> = form.components.as_ref().map(|ids| {
        let mut ids = ids.clone();
        ids.sort_unstable();
        ids.dedup();
        ids
    });
    if let Some(ids) = &components {
        let known = component::Entity::find()
            .filter(component::Column::Id.is_in(ids.iter().copied()))
            .count(db)
            .await?;
        if known != ids.len() as u64 {
            errors.push(FieldError::new(
                "components",
                "Choose components from the list.",
            ));
        }
    }
    let stored = stored(db).await?;
    let txn = crate::db::begin_write(db).await?;
    let incident = crate::incidents::service::load(&*txn, reference).await?;
    let current = status_incident::Entity::find()
        .filter(status_incident::Column::IncidentId.eq(incident.id))
        .one(&*txn)
        .await?;
    if current.is_none() {
        if !stored.enabled {
            errors.push(FieldError::new(
                "state",
                "The status page is switched off: an admin can switch it on.",
            ));
        }
        if title.is_none() {
            errors.push(FieldError::new(
                "title",
                "Give customers a title, without internal names.",
            ));
        }
        if components.as_ref().is_none_or(Vec::is_empty) {
            errors.push(FieldError::new(
                "components",
                "Choose at least one component customers would notice.",
            ));
        }
    } else if components.as_ref().is_some_and(Vec::is_empty) {
        errors.push(FieldError::new(
            "components",
            "Keep at least one component.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let state = state.unwrap_or(PublicState::Investigating);
    let now = Utc::now();
    let resolved_at = (state == PublicState::Resolved).then_some(now);
    let (id, title, first) = match current {
        None => {
            let saved = status_incident::ActiveModel {
                incident_id: Set(incident.id),
                title: Set(title.unwrap_or_default().to_owned()),
                impact: Set(impact),
                state: Set(state),
                published_at: Set(now),
                updated_at: Set(now),
                resolved_at: Set(resolved_at),
                version: Set(1),
                ..Default::default()
            }
            .insert(&*txn)
            .await?;
            (saved.id, saved.title, true)
        }
        Some(current) => {
            let Some(version) = form.version else {
                return Err(AppError::Invalid(vec![FieldError::new(
                    "version",
                    "Give the version of the published incident you read.",
                )]));
            };
            if version != current.version {
                return Err(AppError::Conflict {
                    message: "Someone updated the status page for this incident since you opened it. Reload to see their update before posting yours.".into(),
                });
            }
            let title = title.map(str::to_owned).unwrap_or(current.title.clone());
            let saved = crate::db::update_versioned(
                &*txn,
                status_incident::ActiveModel {
                    title: Set(title.clone()),
                    impact: Set(if form.impact.is_some() {
                        impact
                    } else {
                        current.impact
                    }),
                    state: Set(state),
                    updated_at: Set(now),
                    resolved_at: Set(resolved_at),
                    ..Default::default()
                },
                (status_incident::Column::Id, current.id),
                (status_incident::Column::Version, current.version),
            )
            .await?;
            if !saved {
                return Err(AppError::Conflict {
                    message: "Someone updated the status page for this incident at the same moment. Reload to see their update.".into(),
                });
            }
            (current.id, title, false)
        }
    };
    if let Some(ids) = &components {
        incident_component::Entity::delete_many()
            .filter(incident_component::Column::StatusIncidentId.eq(id))
            .exec(&*txn)
            .await?;
        incident_component::Entity::insert_many(ids.iter().map(|c| {
            incident_component::ActiveModel {
                status_incident_id: Set(id),
                component_id: Set(*c),
            }
        }))
        .exec(&*txn)
        .await?;
    }
    update::ActiveModel {
        status_incident_id: Set(id),
        state: Set(state),
        body: Set(body.to_owned()),
        created_by: Set(user.id.0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    let what = if first {
        format!("Published to the status page as “{title}”")
    } else {
        "Status page updated".to_owned()
    };
    record_event(
        &*txn,
        incident.id,
        user,
        AutoEvent {
            kind: EventKind::StatusPage,
            body: format!("{what} ({}):\n\n{}", state.label(), quoted(body)),
            at: now,
        },
    )
    .await?;
    super::announce::incident(&*txn, id, first).await?;
    draft::Entity::delete_by_id(incident.id).exec(&*txn).await?;
    txn.commit().await?;
    super::changed();
    Ok(())
}

/// Writes (or replaces) the update rule `rule` drafted for the incident, inside the
/// caller's transaction: a person reviews and publishes it from the incident page.
/// Answers what happened, in words.
pub async fn draft_for_rule(
    db: &impl ConnectionTrait,
    incident_id: i64,
    state: PublicState,
    body: &str,
    rule: &str,
) -> Result<String, AppError> {
    draft::Entity::delete_by_id(incident_id).exec(db).await?;
    draft::ActiveModel {
        incident_id: Set(incident_id),
        state: Set(state),
        body: Set(body.to_owned()),
        rule_name: Set(rule.to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(format!(
        "drafted a status page update ({}) for a person to review and publish",
        state.label().to_lowercase()
    ))
}

/// `text` as a Markdown block quote.
fn quoted(text: &str) -> String {
    text.lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the incident page's status card shows, from the incident already read: two
/// small reads while the page is off, the components and updates when it is on.
pub async fn incident_card(
    db: &impl crate::db::Writer,
    incident: &crate::incidents::IncidentView,
) -> Result<IncidentStatusCard, AppError> {
    let stored = stored(db).await?;
    let row = status_incident::Entity::find()
        .filter(status_incident::Column::IncidentId.eq(incident.reference.0))
        .one(db)
        .await?;
    let severity_state = stored.state_for(incident.severity.id, incident.severity.position);
    if !stored.enabled && row.is_none() {
        return Ok(IncidentStatusCard {
            enabled: false,
            components: Vec::new(),
            suggested: Vec::new(),
            severity_state,
            published: None,
            draft: None,
        });
    }
    let draft = draft::Entity::find_by_id(incident.reference.0)
        .one(db)
        .await?
        .map(|d| StatusDraftView {
            state: d.state,
            body: d.body,
            rule: d.rule_name,
        });
    let components: Vec<ComponentView> = ordered(db)
        .await?
        .into_iter()
        .map(|r| ComponentView {
            id: r.id,
            service_id: r.service_id,
            // The card shows public names only.
            service_name: String::new(),
            name: r.name,
            description: r.description,
            group: r.group_name,
            position: r.position,
        })
        .collect();
    let services: HashSet<i64> = incident.services.iter().map(|s| s.id).collect();
    let suggested = components
        .iter()
        .filter(|c| services.contains(&c.service_id))
        .map(|c| c.id)
        .collect();
    let published = match row {
        None => None,
        Some(row) => Some(published(db, row).await?),
    };
    Ok(IncidentStatusCard {
        enabled: stored.enabled,
        components,
        suggested,
        severity_state,
        published,
        draft,
    })
}

/// A published incident with its components and updates, each with who posted it.
async fn published(
    db: &impl ConnectionTrait,
    row: status_incident::Model,
) -> Result<PublishedIncident, AppError> {
    use crate::accounts::entities::user;
    let component_ids = incident_component::Entity::find()
        .filter(incident_component::Column::StatusIncidentId.eq(row.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.component_id)
        .collect();
    let author = update::Entity::belongs_to(user::Entity)
        .from(update::Column::CreatedBy)
        .to(user::Column::Id);
    let updates = update::Entity::find()
        .filter(update::Column::StatusIncidentId.eq(row.id))
        .join(sea_orm::JoinType::InnerJoin, author.into())
        .select_also(user::Entity)
        .order_by_desc(update::Column::Id)
        .all(db)
        .await?;
    Ok(PublishedIncident {
        id: row.id,
        title: row.title,
        state: row.state,
        impact_override: row.impact,
        component_ids,
        version: row.version,
        updates: updates
            .into_iter()
            .map(|(u, author)| PublishedUpdate {
                state: u.state,
                body_html: crate::markdown::render(&u.body),
                at: u.created_at,
                author: author.map(|a| a.display_name).unwrap_or_default(),
            })
            .collect(),
    })
}
