//! Incident types with what they bring: the type (incidents), its playbooks
//! (playbooks), its channels (notifications) and the fields asked for it (here).

use std::collections::HashMap;

use super::defs::list_fields;
use crate::audit::service::Actor;
use crate::db::{Writer, listed};
use crate::error::AppError;
use crate::fields::{TypeChoices, TypeRef, TypeSettings};
use crate::incidents::entities::severity;
use crate::incidents::service::types as incident_types;
use crate::incidents::types::TypeInput;
use crate::notifications::entities::channel;
use crate::playbooks::entities::playbook;

fn refs(rows: &[(i64, i64, String)], type_id: i64) -> Vec<TypeRef> {
    rows.iter()
        .filter(|(t, _, _)| *t == type_id)
        .map(|(_, id, name)| TypeRef {
            id: *id,
            name: name.clone(),
        })
        .collect()
}

/// Every type (archived ones when asked) with its playbooks, channels, fields and count.
pub async fn type_settings(
    db: &impl Writer,
    archived: bool,
) -> Result<Vec<TypeSettings>, AppError> {
    let types = incident_types::list_types(db, archived).await?;
    let playbooks = crate::playbooks::service::type_playbooks(db).await?;
    let channels = crate::notifications::outbox::all_type_channels(db).await?;
    let fields = list_fields(db, false).await?;
    let usage: HashMap<i64, u64> = incident_types::usage(db).await?.into_iter().collect();
    Ok(types
        .into_iter()
        .map(|kind| TypeSettings {
            playbooks: refs(&playbooks, kind.id),
            channels: refs(&channels, kind.id),
            fields: fields
                .iter()
                .filter(|f| f.applies_to(kind.id))
                .map(|f| TypeRef {
                    id: f.id,
                    name: f.label.clone(),
                })
                .collect(),
            incidents: usage.get(&kind.id).copied().unwrap_or(0),
            kind,
        })
        .collect())
}

/// What the type and field forms choose from.
pub async fn type_choices(db: &impl Writer) -> Result<TypeChoices, AppError> {
    let severities = listed::<severity::Entity, _>(db, severity::Column::Position, |s| TypeRef {
        id: s.id,
        name: s.name,
    })
    .await?;
    let playbooks = listed::<playbook::Entity, _>(db, playbook::Column::Title, |p| {
        p.archived_at.is_none().then_some(TypeRef {
            id: p.id,
            name: p.title,
        })
    })
    .await?
    .into_iter()
    .flatten()
    .collect();
    let channels = listed::<channel::Entity, _>(db, channel::Column::Name, |c| TypeRef {
        id: c.id,
        name: c.name,
    })
    .await?;
    let types = incident_types::list_types(db, false)
        .await?
        .into_iter()
        .map(|t| TypeRef {
            id: t.id,
            name: t.name,
        })
        .collect();
    Ok(TypeChoices {
        severities,
        playbooks,
        channels,
        types,
    })
}

/// Adds a type (`id` `None`) or saves one at `expected_version`, with its playbooks and
/// channels, in one transaction; answers its id.
pub async fn save_type(
    db: &impl Writer,
    actor: &Actor,
    id: Option<i64>,
    input: &TypeInput,
    playbook_ids: &[i64],
    channel_ids: &[i64],
    expected_version: i32,
) -> Result<i64, AppError> {
    let input = incident_types::check_input(db, input).await?;
    let txn = crate::db::begin_write(db).await?;
    let id = match id {
        None => incident_types::create_type(&txn, actor, &input).await?,
        Some(id) => {
            incident_types::update_type(&txn, actor, id, &input, expected_version).await?;
            id
        }
    };
    crate::playbooks::service::set_type_playbooks(&txn, id, playbook_ids).await?;
    crate::notifications::outbox::set_type_channels(&txn, id, channel_ids).await?;
    txn.commit().await?;
    types_written();
    Ok(id)
}

/// Archives a type (no new incident gets it; incidents of it keep it) or brings it back.
pub async fn archive_type(
    db: &impl Writer,
    actor: &Actor,
    id: i64,
    archive: bool,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    incident_types::set_archived(&txn, actor, id, archive).await?;
    txn.commit().await?;
    types_written();
    Ok(())
}

/// Forgets the kept reads that hold types: the types, the fields naming them and the
/// channels they name.
fn types_written() {
    incident_types::TYPES.wrote();
    super::defs::FIELDS.wrote();
    crate::notifications::outbox::CHANNELS.wrote();
}
