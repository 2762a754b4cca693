//! The demo's playbooks: one for rolling back a bad deploy (checkout) and one for a
//! search cascade, followed step by step during the Shakespeare outage.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use crate::accounts::CurrentUser;
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::entities::timeline_event;
use crate::incidents::{EventKind, IncidentRef};
use crate::playbooks::entities::{incident_playbook, step_tick};
use crate::playbooks::service::{check_form, create_playbook, incident_playbooks, tick_step};
use crate::playbooks::{PlaybookForm, PlaybookId};

const PLAYBOOKS: [(&str, &str, &str); 2] = [
    (
        "Roll back a bad deploy",
        "About 70% of outages follow a change: when errors rise right after a deploy, roll back first and investigate after.\n\nRolling back is safe for every service with backwards-compatible migrations (all of ours since 2025).",
        "Confirm errors rose after the deploy | https://grafana.demo.vigil.invalid/d/checkout\nFreeze deploys and say so in #incidents | needs: communications\nRoll back to the previous release | needs: operations\nWatch the error rate for 15 minutes | needs: operations\nPost a status page update | needs: communications",
    ),
    (
        "Search cascading failure",
        "When one bad query takes down search backends one after another, shed load before anything else: restarts alone only feed the cascade.",
        "Check backend health and file descriptors | https://grafana.demo.vigil.invalid/d/search\nShed load: turn on request rejection at the front end | needs: operations\nFind the query of death in the slow-query log | needs: operations\nBlock the query at the front end\nRestart backends one rack at a time | needs: operations\nTell customers what is affected | needs: communications",
    ),
];

/// Writes the playbooks (before the incidents, so the affected services' incidents get
/// them); `services` are the demo's checkout and search service ids.
pub async fn seed_playbooks(
    db: &impl Writer,
    author: &CurrentUser,
    services: [i64; 2],
) -> Result<Vec<PlaybookId>, AppError> {
    let mut ids = Vec::new();
    for ((title, body, steps), service) in PLAYBOOKS.into_iter().zip(services) {
        let form = PlaybookForm {
            title: title.into(),
            body: body.into(),
            steps: steps.into(),
            services: String::new(),
        };
        let (spec, _) = check_form(db, &form).await?;
        ids.push(create_playbook(db, &author.actor(None), &spec, &[service]).await?);
    }
    Ok(ids)
}

/// Ticks every step of `playbook` on `reference`, spread between acknowledgement and
/// mitigation (on the timeline too), as its responders did.
pub async fn follow(
    db: &impl Writer,
    who: &CurrentUser,
    reference: IncidentRef,
    playbook: PlaybookId,
) -> Result<(), AppError> {
    let steps = incident_playbooks(db, reference)
        .await?
        .checklists
        .iter()
        .find(|c| c.playbook_id == playbook)
        .map_or(0, |c| c.steps.len());
    for index in 0..steps {
        tick_step(db, who, reference, playbook, index, true).await?;
    }
    let incident = crate::incidents::service::load(db, reference).await?;
    let start = incident.acknowledged_at.unwrap_or(incident.declared_at);
    let span = incident.mitigated_at.unwrap_or(start + Duration::hours(1)) - start;
    let at = |n: usize| start + span * (n as i32 + 1) / (steps as i32 + 1);
    let Some(attached) = incident_playbook::Entity::find()
        .filter(incident_playbook::Column::IncidentId.eq(reference.0))
        .filter(incident_playbook::Column::PlaybookId.eq(playbook.0))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let ticks = step_tick::Entity::find()
        .filter(step_tick::Column::IncidentPlaybookId.eq(attached.id))
        .order_by_asc(step_tick::Column::Step)
        .all(db)
        .await?;
    for (n, tick) in ticks.into_iter().enumerate() {
        let mut model = tick.into_active_model();
        model.done_at = Set(at(n));
        model.update(db).await?;
    }
    let events = timeline_event::Entity::find()
        .filter(timeline_event::Column::IncidentId.eq(reference.0))
        .filter(timeline_event::Column::Kind.eq(EventKind::Playbook))
        .filter(timeline_event::Column::Body.contains(" done: "))
        .order_by_asc(timeline_event::Column::Id)
        .all(db)
        .await?;
    for (n, event) in events.into_iter().enumerate() {
        let mut model = event.into_active_model();
        model.occurred_at = Set(at(n));
        model.recorded_at = Set(at(n));
        model.update(db).await?;
    }
    Ok(())
}
