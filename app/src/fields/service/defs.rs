//! Field definitions as admins shape them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, SqlErr,
};
use serde_json::json;

use crate::audit::service::{self as audit, Actor};
use crate::db::{Kept, Writer};
use crate::error::AppError;
use crate::fields::entities::{custom_field, field_type, field_value};
use crate::fields::value::check_input;
use crate::fields::{FieldDef, FieldInput, TypeRef};
use crate::incidents::entities::incident_type;

fn def(model: custom_field::Model, types: Vec<TypeRef>) -> FieldDef {
    FieldDef {
        id: model.id,
        label: model.label,
        description: model.description,
        kind: model.kind,
        options: serde_json::from_str(&model.options).unwrap_or_default(),
        required_at: model.required_at,
        types,
        archived: model.archived_at.is_some(),
        version: model.version,
    }
}

/// Every field in order (archived ones only when asked), each with its types.
pub async fn list_fields(db: &impl Writer, archived: bool) -> Result<Vec<FieldDef>, AppError> {
    Ok(all_fields(db)
        .await?
        .iter()
        .filter(|f| archived || !f.archived)
        .cloned()
        .collect())
}

/// Every field (archived ones too) with the types it is asked for, kept between
/// requests: every incident page and every declaration reads them. Whatever commits a
/// write to fields or types calls `FIELDS.wrote()`.
pub static FIELDS: Kept<Vec<FieldDef>> = Kept::new();

async fn all_fields(db: &impl Writer) -> Result<Arc<Vec<FieldDef>>, AppError> {
    FIELDS.get(db, || read_fields(db)).await
}

async fn read_fields(db: &impl ConnectionTrait) -> Result<Vec<FieldDef>, AppError> {
    let fields = custom_field::Entity::find()
        .order_by_asc(custom_field::Column::Position)
        .order_by_asc(custom_field::Column::Id)
        .all(db)
        .await?;
    if fields.is_empty() {
        return Ok(vec![]);
    }
    let names: HashMap<i64, String> = incident_type::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut types: HashMap<i64, Vec<TypeRef>> = HashMap::new();
    for link in field_type::Entity::find().all(db).await? {
        if let Some(name) = names.get(&link.type_id) {
            types.entry(link.field_id).or_default().push(TypeRef {
                id: link.type_id,
                name: name.clone(),
            });
        }
    }
    Ok(fields
        .into_iter()
        .map(|f| {
            let mut of = types.remove(&f.id).unwrap_or_default();
            of.sort_by(|a, b| a.name.cmp(&b.name));
            def(f, of)
        })
        .collect())
}

pub async fn get_field(db: &impl Writer, id: i64) -> Result<FieldDef, AppError> {
    list_fields(db, true)
        .await?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| AppError::NotFound("There is no such custom field.".into()))
}

async fn check(db: &impl ConnectionTrait, input: &FieldInput) -> Result<FieldInput, AppError> {
    let checked = check_input(input).map_err(AppError::Invalid)?;
    let known = incident_type::Entity::find()
        .filter(incident_type::Column::Id.is_in(checked.type_ids.clone()))
        .count(db)
        .await?;
    if known != checked.type_ids.len() as u64 {
        return Err(AppError::invalid(
            "type_ids",
            "One of the chosen incident types does not exist.",
        ));
    }
    Ok(checked)
}

fn label_taken() -> AppError {
    AppError::invalid("label", "Another custom field already has this label.")
}

async fn ensure_label_free(
    db: &impl ConnectionTrait,
    label: &str,
    except: Option<i64>,
) -> Result<(), AppError> {
    let taken = custom_field::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .any(|f| Some(f.id) != except && f.label.eq_ignore_ascii_case(label));
    if taken { Err(label_taken()) } else { Ok(()) }
}

async fn set_types(
    db: &impl ConnectionTrait,
    field_id: i64,
    type_ids: &[i64],
) -> Result<(), AppError> {
    field_type::Entity::delete_many()
        .filter(field_type::Column::FieldId.eq(field_id))
        .exec(db)
        .await?;
    for type_id in type_ids {
        field_type::ActiveModel {
            field_id: Set(field_id),
            type_id: Set(*type_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn on_unique(err: sea_orm::DbErr) -> AppError {
    if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        label_taken()
    } else {
        err.into()
    }
}

/// Adds a field at the end of the list; answers its id.
pub async fn create_field(
    db: &impl Writer,
    actor: &Actor,
    input: &FieldInput,
) -> Result<i64, AppError> {
    let input = check(db, input).await?;
    let txn = crate::db::begin_write(db).await?;
    ensure_label_free(&txn, &input.label, None).await?;
    let position = custom_field::Entity::find().count(&txn).await? as i32 + 1;
    let now = Utc::now();
    let created = custom_field::ActiveModel {
        label: Set(input.label.clone()),
        description: Set(input.description.clone()),
        kind: Set(input.kind),
        options: Set(serde_json::to_string(&input.options).map_err(AppError::internal)?),
        required_at: Set(input.required_at),
        position: Set(position),
        archived_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(on_unique)?;
    set_types(&txn, created.id, &input.type_ids).await?;
    audit::record(
        &txn,
        actor,
        "custom_field.created",
        Some(&input.label),
        json!({ "field_id": created.id, "input": input }),
    )
    .await?;
    txn.commit().await?;
    FIELDS.wrote();
    Ok(created.id)
}

/// Saves a field if nobody changed it since `expected_version`. A field that holds
/// values keeps its kind (the values would stop meaning anything).
pub async fn update_field(
    db: &impl Writer,
    actor: &Actor,
    id: i64,
    input: &FieldInput,
    expected_version: i32,
) -> Result<(), AppError> {
    let input = check(db, input).await?;
    let txn = crate::db::begin_write(db).await?;
    let current = custom_field::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such custom field.".into()))?;
    ensure_label_free(&txn, &input.label, Some(id)).await?;
    if current.kind != input.kind {
        let used = field_value::Entity::find()
            .filter(field_value::Column::FieldId.eq(id))
            .count(&txn)
            .await?;
        if used > 0 {
            return Err(AppError::invalid(
                "kind",
                format!(
                    "{} holds values on {used} incident{}; its kind stays {}. Add a new field instead.",
                    current.label,
                    if used == 1 { "" } else { "s" },
                    current.kind.label().to_lowercase()
                ),
            ));
        }
    }
    let saved = crate::db::update_versioned(
        &txn,
        custom_field::ActiveModel {
            label: Set(input.label.clone()),
            description: Set(input.description.clone()),
            kind: Set(input.kind),
            options: Set(serde_json::to_string(&input.options).map_err(AppError::internal)?),
            required_at: Set(input.required_at),
            updated_at: Set(Utc::now()),
            ..Default::default()
        },
        (custom_field::Column::Id, id),
        (custom_field::Column::Version, expected_version),
    )
    .await
    .map_err(on_unique)?;
    if !saved {
        return Err(AppError::Conflict {
            message: format!(
                "The field {} was changed by someone else in the meantime. Reload it, review their change and save again.",
                current.label
            ),
        });
    }
    set_types(&txn, id, &input.type_ids).await?;
    audit::record(
        &txn,
        actor,
        "custom_field.updated",
        Some(&input.label),
        json!({ "field_id": id, "previous_label": current.label, "input": input }),
    )
    .await?;
    txn.commit().await?;
    FIELDS.wrote();
    Ok(())
}

/// Archives a field (no longer asked for; incidents keep their values) or brings it back.
pub async fn set_field_archived(
    db: &impl Writer,
    actor: &Actor,
    id: i64,
    archive: bool,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let current = custom_field::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such custom field.".into()))?;
    if archive == current.archived_at.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    custom_field::ActiveModel {
        id: Set(id),
        archived_at: Set(archive.then_some(now)),
        updated_at: Set(now),
        version: Set(current.version + 1),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        if archive {
            "custom_field.archived"
        } else {
            "custom_field.restored"
        },
        Some(&current.label),
        json!({ "field_id": id }),
    )
    .await?;
    txn.commit().await?;
    FIELDS.wrote();
    Ok(())
}

/// Every field's id and label, in order, in one statement (the list's filter).
pub async fn field_labels(db: &impl ConnectionTrait) -> Result<Vec<(i64, String)>, AppError> {
    Ok(custom_field::Entity::find()
        .order_by_asc(custom_field::Column::Position)
        .order_by_asc(custom_field::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f.label))
        .collect())
}
