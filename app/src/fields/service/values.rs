//! Incidents' values: checked against the definitions, required at their step, written
//! with one timeline event that says what changed.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::defs::list_fields;
use crate::accounts::CurrentUser;
use crate::accounts::entities::user;
use crate::db::Writer;
use crate::error::{AppError, FieldError};
use crate::fields::entities::field_value;
use crate::fields::value::{check, key};
use crate::fields::{FieldDef, FieldEntry, FieldKind, IncidentFields, ShownValue, Stage, TypeRef};
use crate::incidents::entities::incident;
use crate::incidents::service::timeline::{AutoEvent, record_event};
use crate::incidents::types::FieldValues;
use crate::incidents::{EventKind, IncidentRef};
use crate::markdown::literal;

/// Values that passed [`check_values`]: for each field entered, what to store.
#[derive(Debug, Default)]
pub struct CheckedValues(Vec<(FieldDef, Vec<String>)>);

/// What an incident holds now, by field.
async fn stored(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> Result<HashMap<i64, Vec<String>>, AppError> {
    let mut by_field: HashMap<i64, Vec<String>> = HashMap::new();
    for row in field_value::Entity::find()
        .filter(field_value::Column::IncidentId.eq(incident_id))
        .order_by_asc(field_value::Column::Id)
        .all(db)
        .await?
    {
        by_field.entry(row.field_id).or_default().push(row.value);
    }
    Ok(by_field)
}

/// Checks values entered for an incident of type `type_id` (every error at once, each
/// beside its `field_<id>`): fields that exist and are not archived, values of their kind,
/// people who exist. Fields needed at `step` must end up filled, counting what
/// `incident_id` holds already.
pub async fn check_values(
    db: &impl Writer,
    me: &CurrentUser,
    type_id: i64,
    entered: &FieldValues,
    step: Stage,
    incident_id: Option<i64>,
) -> Result<CheckedValues, AppError> {
    let defs = list_fields(db, false).await?;
    let held = match incident_id {
        Some(id) => stored(db, id).await?,
        None => HashMap::new(),
    };
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    for (id, values) in entered {
        let Some(def) = defs.iter().find(|d| d.id == *id) else {
            errors.push(FieldError::new(
                "fields",
                format!("There is no custom field {id} (or it is archived)."),
            ));
            continue;
        };
        match check(def, values) {
            Err(message) => errors.push(FieldError::new(key(def.id), message)),
            Ok(values) if def.kind == FieldKind::Person && !values.is_empty() => {
                match crate::choices::service::resolve_person(db, me, &key(def.id), &values[0])
                    .await
                {
                    Ok(Some(user_id)) => checked.push((def.clone(), vec![user_id.to_string()])),
                    Ok(None) => checked.push((def.clone(), vec![])),
                    Err(AppError::Invalid(refused)) => errors.extend(refused),
                    Err(other) => return Err(other),
                }
            }
            Ok(values) => checked.push((def.clone(), values)),
        }
    }
    for def in defs
        .iter()
        .filter(|d| d.applies_to(type_id) && d.required_at.needed_at(step))
    {
        let filled = match checked.iter().find(|(d, _)| d.id == def.id) {
            Some((_, values)) => !values.is_empty(),
            None if entered.contains_key(&def.id) => true, // refused above already
            None => held.get(&def.id).is_some_and(|v| !v.is_empty()),
        };
        if !filled {
            errors.push(FieldError::new(
                key(def.id),
                format!("Fill in {} {}.", def.label, step.phrase()),
            ));
        }
    }
    if errors.is_empty() {
        Ok(CheckedValues(checked))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Refuses a move of `current` to `step` (resolve, close) while a field its type needs
/// by then is empty, naming them all.
pub async fn require_stage(
    db: &impl Writer,
    current: &incident::Model,
    step: Stage,
) -> Result<(), AppError> {
    if step == Stage::Never {
        return Ok(());
    }
    let Some(kind) = crate::incidents::service::types::type_of(db, current).await? else {
        return Ok(());
    };
    let needed: Vec<FieldDef> = list_fields(db, false)
        .await?
        .into_iter()
        .filter(|d| d.applies_to(kind.id) && d.required_at.needed_at(step))
        .collect();
    if needed.is_empty() {
        return Ok(());
    }
    let held = stored(db, current.id).await?;
    let missing: Vec<&str> = needed
        .iter()
        .filter(|d| held.get(&d.id).is_none_or(Vec::is_empty))
        .map(|d| d.label.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(AppError::invalid(
        "status",
        format!(
            "{} incidents need {} filled in {}. Set {} under Fields on /incidents/{}.",
            kind.name,
            missing.join(", "),
            step.phrase(),
            if missing.len() == 1 { "it" } else { "them" },
            IncidentRef(current.id)
        ),
    ))
}

/// Writes checked values inside the caller's transaction, replacing what each entered
/// field held, with one timeline event naming the changes (none if nothing changed).
pub async fn write_values(
    txn: &impl ConnectionTrait,
    actor: &CurrentUser,
    reference: IncidentRef,
    CheckedValues(checked): CheckedValues,
) -> Result<bool, AppError> {
    if checked.is_empty() {
        // Nothing entered (most declarations): nothing to read.
        return Ok(false);
    }
    let held = stored(txn, reference.0).await?;
    let mut changes = Vec::new();
    for (def, values) in &checked {
        let before = held.get(&def.id).cloned().unwrap_or_default();
        if before == *values {
            continue;
        }
        field_value::Entity::delete_many()
            .filter(field_value::Column::IncidentId.eq(reference.0))
            .filter(field_value::Column::FieldId.eq(def.id))
            .exec(txn)
            .await?;
        for value in values {
            field_value::ActiveModel {
                incident_id: Set(reference.0),
                field_id: Set(def.id),
                value: Set(value.clone()),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        let (old, new) = (
            joined(shown(txn, def, &before).await?),
            joined(shown(txn, def, values).await?),
        );
        // The timeline renders Markdown: labels and values are shown as typed.
        let (label, old, new) = (literal(&def.label), literal(&old), literal(&new));
        changes.push(match (old.is_empty(), new.is_empty()) {
            (true, _) => format!("{label} set to {new}"),
            (false, true) => format!("{label} cleared (was {old})"),
            (false, false) => format!("{label} changed from {old} to {new}"),
        });
    }
    if changes.is_empty() {
        return Ok(false);
    }
    record_event(
        txn,
        reference.0,
        actor,
        AutoEvent {
            kind: EventKind::FieldsChanged,
            body: changes.join("; "),
            at: Utc::now(),
        },
    )
    .await?;
    Ok(true)
}

/// Sets one field to one value for a rule, inside the caller's transaction (the value
/// was checked when the rule was saved; it is checked again, the field may have changed
/// since). Answers what happened, in words.
pub async fn set_for_rule(
    txn: &impl Writer,
    actor: &CurrentUser,
    reference: IncidentRef,
    field_id: i64,
    value: &str,
) -> Result<String, AppError> {
    let entered = FieldValues::from([(field_id, vec![value.to_owned()])]);
    match check_values(txn, actor, 0, &entered, Stage::Never, None).await {
        Ok(checked) => {
            let label = checked
                .0
                .first()
                .map(|(def, _)| literal(&def.label))
                .unwrap_or_default();
            Ok(if write_values(txn, actor, reference, checked).await? {
                format!("set {label}")
            } else {
                format!("found {label} set already")
            })
        }
        Err(AppError::Invalid(errors)) => Ok(format!(
            "could not set a custom field: {}",
            literal(
                &errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        )),
        Err(other) => Err(other),
    }
}

fn joined(values: Vec<ShownValue>) -> String {
    values
        .into_iter()
        .map(|s| s.text)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Values as a reader sees them: a person's name for their id.
async fn shown(
    db: &impl ConnectionTrait,
    def: &FieldDef,
    values: &[String],
) -> Result<Vec<ShownValue>, AppError> {
    let mut out = Vec::new();
    for value in values {
        let text = match def.kind {
            FieldKind::Person => match value.parse::<i64>() {
                Ok(id) => user::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .map(|u| u.display_name)
                    .unwrap_or_else(|| format!("user {id}")),
                Err(_) => value.clone(),
            },
            _ => value.clone(),
        };
        out.push(ShownValue {
            value: value.clone(),
            text,
        });
    }
    Ok(out)
}

/// An incident's type and fields: those its type asks for, in order, and any other
/// field that holds a value on it.
pub async fn incident_fields(
    db: &impl Writer,
    reference: IncidentRef,
) -> Result<IncidentFields, AppError> {
    let current = crate::incidents::service::load(db, reference).await?;
    let kind = crate::incidents::service::types::type_of(db, &current)
        .await?
        .map(|t| TypeRef {
            id: t.id,
            name: t.name,
        })
        .unwrap_or(TypeRef {
            id: 0,
            name: "Default".into(),
        });
    fields_of(db, reference, kind, current.version).await
}

/// [`incident_fields`] for a page that has read the incident and its type already: one
/// statement when no custom field exists, three more (their types, the values, and
/// people's names) when some do.
pub async fn fields_of(
    db: &impl Writer,
    reference: IncidentRef,
    kind: TypeRef,
    version: i32,
) -> Result<IncidentFields, AppError> {
    let defs = list_fields(db, true).await?;
    let held = if defs.is_empty() {
        HashMap::new()
    } else {
        stored(db, reference.0).await?
    };
    let mut entries = Vec::new();
    for def in defs {
        let values = held.get(&def.id).cloned().unwrap_or_default();
        if values.is_empty() && (def.archived || !def.applies_to(kind.id)) {
            continue;
        }
        let values = shown(db, &def, &values).await?;
        entries.push(FieldEntry { field: def, values });
    }
    Ok(IncidentFields {
        reference,
        incident_type: kind,
        entries,
        version,
    })
}

/// The stored form of a list filter's value for field `id` (an option as spelled, a
/// number normalised), or the error beside the filter.
pub async fn filter_value(
    db: &impl Writer,
    me: &CurrentUser,
    id: i64,
    text: &str,
) -> Result<String, AppError> {
    super::get_field(db, id)
        .await
        .map_err(|_| AppError::invalid("field", "Choose a custom field from the list."))?;
    let entered = FieldValues::from([(id, vec![text.to_owned()])]);
    let CheckedValues(checked) = check_values(db, me, 0, &entered, Stage::Never, None)
        .await
        .map_err(|e| match e {
            AppError::Invalid(errors) => AppError::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError::new("value", e.message))
                    .collect(),
            ),
            other => other,
        })?;
    checked
        .into_iter()
        .next()
        .and_then(|(_, v)| v.into_iter().next())
        .ok_or_else(|| AppError::invalid("value", "Say which value to look for."))
}

/// The list's "field holds value" filter from the URL: both empty, none; a value
/// without a field, or one the field could never hold, is refused beside it.
pub async fn field_filter(
    db: &impl Writer,
    me: &CurrentUser,
    field: Option<String>,
    value: Option<String>,
) -> Result<Option<(i64, String)>, AppError> {
    let field = field.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty());
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    match (field, value) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(AppError::invalid("field", "Choose the field to look in.")),
        (Some(_), None) => Err(AppError::invalid("value", "Say which value to look for.")),
        (Some(field), Some(value)) => {
            let id = field
                .parse::<i64>()
                .map_err(|_| AppError::invalid("field", "Choose a custom field from the list."))?;
            Ok(Some((id, filter_value(db, me, id, &value).await?)))
        }
    }
}
