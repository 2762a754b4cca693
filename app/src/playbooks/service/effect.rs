//! The numbers behind "does it help?": restore times by playbook use over a window, and a
//! playbook's steps across the incidents that used it.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    StreamTrait,
};

use super::decode_steps;
use crate::db::pack;
use crate::error::AppError;
use crate::metrics::formulas::Secs;
use crate::playbooks::PlaybookId;
use crate::playbooks::effect::{Effect, Run, StepRecord, Use, classify, step_records};
use crate::playbooks::entities::{incident_playbook, revision, step_tick};

/// The steps of each (playbook, version) named.
async fn steps_of(
    db: &impl ConnectionTrait,
    attachments: &[incident_playbook::Model],
) -> Result<HashMap<(i64, i32), Vec<String>>, AppError> {
    let mut ids: Vec<i64> = attachments.iter().map(|a| a.playbook_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(revision::Entity::find()
        .filter(revision::Column::PlaybookId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            let texts = decode_steps(&r.steps).into_iter().map(|s| s.text).collect();
            ((r.playbook_id, r.version), texts)
        })
        .collect())
}

/// Restore times of the incidents whose impact started at or after `since` and that were
/// mitigated (merged duplicates left out, as in the reliability reports), by how they used
/// their playbooks; only those affecting `service` when one is given.
pub async fn effect(
    db: &(impl ConnectionTrait + StreamTrait),
    since: Secs,
    service: Option<i64>,
) -> Result<Effect, AppError> {
    let i = Alias::new("incidents");
    let backend = ConnectionTrait::get_database_backend(db);
    let plus = if backend == DatabaseBackend::Sqlite {
        "+"
    } else {
        ""
    };
    // Packed into one value: a year of 100,000 incidents handed over row by row took
    // half a second on SQLite, the whole dashboard's budget.
    let mut query = Query::select()
        .expr_as(
            Expr::cust(pack::aggregate(
                backend,
                &[
                    "incidents.id",
                    "incidents.start_secs",
                    "incidents.mitigate_secs",
                ],
            )),
            Alias::new("packed"),
        )
        .from(i.clone())
        .and_where(Expr::col((i.clone(), Alias::new("mitigate_secs"))).is_not_null())
        // SQLite: `+` keeps these columns off their indexes, so the read is one range
        // of the covering report index (mitigation first, migration 20): 10 ms for a
        // year of 100,000 incidents, where the start index and a table lookup per row
        // took 110 ms. `since` is an integer of ours.
        .and_where(Expr::cust(format!(
            "{plus}incidents.merged_into_id IS NULL"
        )))
        .and_where(Expr::cust(format!("{plus}incidents.start_secs >= {since}")))
        .to_owned();
    if let Some(service) = service {
        query.and_where(
            Expr::col((i.clone(), Alias::new("id"))).in_subquery(
                Query::select()
                    .column(Alias::new("incident_id"))
                    .from(Alias::new("incident_services"))
                    .and_where(Expr::col(Alias::new("service_id")).eq(service))
                    .to_owned(),
            ),
        );
    }
    let mut statement = backend.build(&query);
    statement
        .sql
        .push_str(&pack::pieces_by_day(backend, "incidents.start_secs"));
    let mut restored = Vec::new();
    pack::read(db, statement, |[id, start, mitigated]: [Option<i64>; 3]| {
        let (Some(id), Some(start), Some(mitigated)) = (id, start, mitigated) else {
            return Err(AppError::internal(
                "a packed restore time without its fields",
            ));
        };
        restored.push((id, start, mitigated));
        Ok(())
    })
    .await?;
    // Only incidents with a playbook have attachments: few, each incident looked up by
    // its key (the list of a year's incident ids took 40 ms to build and probe).
    let attachments = incident_playbook::Entity::find()
        .filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(i.clone())
                .and_where(Expr::col((i.clone(), Alias::new("id"))).equals((
                    incident_playbook::Entity,
                    incident_playbook::Column::IncidentId,
                )))
                .and_where(Expr::col((i.clone(), Alias::new("start_secs"))).gte(since))
                .to_owned(),
        ))
        .all(db)
        .await?;
    let steps = steps_of(db, &attachments).await?;
    let ticks = step_tick::Entity::find()
        .filter(step_tick::Column::IncidentPlaybookId.is_in(attachments.iter().map(|a| a.id)))
        .all(db)
        .await?;
    // Ticks by checklist, read once: the window's attachments times its ticks would be
    // quadratic in a busy year.
    let mut ticked: HashMap<i64, Vec<usize>> = HashMap::new();
    for t in &ticks {
        ticked
            .entry(t.incident_playbook_id)
            .or_default()
            .push(t.step as usize);
    }
    let mut checklists: HashMap<i64, Vec<(usize, usize)>> = HashMap::new();
    for a in &attachments {
        let total = steps.get(&(a.playbook_id, a.version)).map_or(0, Vec::len);
        let done = ticked
            .get(&a.id)
            .map_or(0, |steps| steps.iter().filter(|s| **s < total).count());
        checklists
            .entry(a.incident_id)
            .or_default()
            .push((done, total));
    }
    Ok(Effect::of(restored.into_iter().map(
        |(id, start, mitigated)| {
            let used = checklists
                .get(&id)
                .map_or(Use::Without, |lists| classify(lists));
            (mitigated - start, used)
        },
    )))
}

#[derive(FromQueryResult)]
struct Mitigated {
    id: i64,
}

/// A playbook's steps across every incident that used it.
pub async fn step_report(
    db: &impl ConnectionTrait,
    id: PlaybookId,
) -> Result<Vec<StepRecord>, AppError> {
    let attachments = incident_playbook::Entity::find()
        .filter(incident_playbook::Column::PlaybookId.eq(id.0))
        .all(db)
        .await?;
    if attachments.is_empty() {
        return Ok(Vec::new());
    }
    let steps = steps_of(db, &attachments).await?;
    let ticks = step_tick::Entity::find()
        .filter(step_tick::Column::IncidentPlaybookId.is_in(attachments.iter().map(|a| a.id)))
        .all(db)
        .await?;
    let query = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("incidents"))
        .and_where(Expr::col(Alias::new("mitigate_secs")).is_not_null())
        .and_where(Expr::col(Alias::new("id")).is_in(attachments.iter().map(|a| a.incident_id)))
        .to_owned();
    let mitigated: HashSet<i64> =
        Mitigated::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect();
    let done_at: HashMap<(i64, usize), i64> = ticks
        .iter()
        .map(|t| {
            (
                (t.incident_playbook_id, t.step as usize),
                t.done_at.timestamp(),
            )
        })
        .collect();
    let runs: Vec<Run> = attachments
        .iter()
        .map(|a| Run {
            attached_at: a.attached_at.timestamp(),
            finished: mitigated.contains(&a.incident_id),
            steps: steps
                .get(&(a.playbook_id, a.version))
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(index, text)| (text, done_at.get(&(a.id, index)).copied()))
                .collect(),
        })
        .collect();
    Ok(step_records(&runs))
}
