//! Rules as admins write them: checked against what exists, stored, audited, described
//! in words; and run (see [`run`]) or tried (see [`dry_run`]).

mod dry_run;
mod names;
pub mod run;

pub use dry_run::{dry_run, try_input};
pub use names::{Names, choices, describe};

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};
use serde_json::json;

use crate::audit::service::{self as audit, Actor};
use crate::db::{Kept, Writer};
use crate::error::{AppError, FieldError};
use crate::rules::entities::rule;
use crate::rules::{Actions, Conditions, FieldMatch, RuleInput, RuleView};
use crate::text::has_control_characters;

/// A stored rule read back; JSON that no longer reads (never written by this code) acts
/// as no conditions and no actions rather than failing every change.
pub(crate) fn parts(model: &rule::Model) -> (Conditions, Actions) {
    (
        serde_json::from_str(&model.conditions).unwrap_or_default(),
        serde_json::from_str(&model.actions).unwrap_or_default(),
    )
}

fn view(model: rule::Model, names: &Names) -> RuleView {
    let (conditions, actions) = parts(&model);
    let (conditions_text, actions_text) = describe(&conditions, &actions, names);
    RuleView {
        id: model.id,
        name: model.name,
        description: model.description,
        trigger: model.trigger,
        conditions,
        actions,
        enabled: model.enabled,
        version: model.version,
        conditions_text,
        actions_text,
    }
}

/// Every rule, in the order they run.
pub async fn list_rules(db: &impl Writer) -> Result<Vec<RuleView>, AppError> {
    let rows = rule::Entity::find()
        .order_by_asc(rule::Column::Id)
        .all(db)
        .await?;
    let names = Names::load(db).await?;
    Ok(rows.into_iter().map(|r| view(r, &names)).collect())
}

pub(crate) async fn load(db: &impl ConnectionTrait, id: i64) -> Result<rule::Model, AppError> {
    rule::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("No such rule.".into()))
}

pub async fn get_rule(db: &impl Writer, id: i64) -> Result<RuleView, AppError> {
    let model = load(db, id).await?;
    Ok(view(model, &Names::load(db).await?))
}

/// Checks a rule against what exists (every error at once, beside the form's fields):
/// the things it names exist and can be used, a field's value is one the field holds.
/// Answers the rule as stored (values normalised, text trimmed).
pub async fn check_input(
    db: &impl Writer,
    me: &crate::accounts::CurrentUser,
    input: &RuleInput,
) -> Result<RuleInput, AppError> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "Give the rule a name that says what it is for, like “Security incidents get the security lead”.",
        ));
    } else if name.chars().count() > 80 {
        errors.push(FieldError::new(
            "name",
            "Keep the name under 80 characters.",
        ));
    } else if has_control_characters(&name) {
        errors.push(FieldError::new("name", crate::text::ONE_LINE));
    }
    let description = input.description.trim().to_owned();
    if description.chars().count() > 500 {
        errors.push(FieldError::new(
            "description",
            "Keep the description under 500 characters.",
        ));
    }
    let names = Names::load(db).await?;
    let mut conditions = input.conditions.clone();
    let mut actions = input.actions.clone();
    let c = &mut conditions;
    if c.min_severity_id.is_some_and(|id| !names.has_severity(id)) {
        errors.push(FieldError::new(
            "min_severity_id",
            "Choose a severity from the list.",
        ));
    }
    c.service_ids.sort_unstable();
    c.service_ids.dedup();
    if c.service_ids.len() > 50 {
        errors.push(FieldError::new("services", "Name at most 50 services."));
    } else if c.service_ids.iter().any(|id| !names.has_service(*id)) {
        errors.push(FieldError::new(
            "services",
            "Choose services from the list.",
        ));
    }
    if c.type_id.is_some_and(|id| !names.has_type(id)) {
        errors.push(FieldError::new(
            "type_id",
            "Choose an incident type from the list.",
        ));
    }
    if let Some(field) = &mut c.field {
        check_field(db, me, field, ("field_id", "field_value"), &mut errors).await?;
    }
    if actions.is_empty() {
        errors.push(FieldError::new(
            "actions",
            "Choose at least one thing for the rule to do.",
        ));
    }
    let a = &mut actions;
    if a.playbook_id.is_some_and(|id| !names.has_playbook(id)) {
        errors.push(FieldError::new(
            "playbook_id",
            "Choose a playbook from the list (an archived one cannot be attached).",
        ));
    }
    if let Some(assign) = &a.assign_role
        && !names.has_person(assign.user_id)
    {
        errors.push(FieldError::new(
            "role_user_id",
            "Choose an active responder or admin.",
        ));
    }
    if let Some(item) = &mut a.action_item {
        item.title = item.title.trim().to_owned();
        if item.title.is_empty() || item.title.chars().count() > 200 {
            errors.push(FieldError::new(
                "item_title",
                "Give the action item a title of at most 200 characters.",
            ));
        } else if has_control_characters(&item.title) {
            errors.push(FieldError::new("item_title", crate::text::ONE_LINE));
        }
        if item.due_in_days.is_some_and(|d| d > 365) {
            errors.push(FieldError::new(
                "item_due_days",
                "Use a whole number of days from 0 to 365.",
            ));
        }
    }
    if let Some(field) = &mut a.set_field {
        check_field(
            db,
            me,
            field,
            ("set_field_id", "set_field_value"),
            &mut errors,
        )
        .await?;
    }
    if a.channel_id.is_some_and(|id| !names.has_channel(id)) {
        errors.push(FieldError::new(
            "channel_id",
            "Choose a channel from the list.",
        ));
    }
    if let Some(draft) = &mut a.status_draft {
        draft.body = draft.body.trim().to_owned();
        let length = draft.body.chars().count();
        if length == 0 || length > crate::status::service::MAX_UPDATE {
            errors.push(FieldError::new(
                "draft_body",
                format!(
                    "Write what customers should be told, in at most {} characters.",
                    crate::status::service::MAX_UPDATE
                ),
            ));
        }
    }
    if a.set_severity_id.is_some_and(|id| !names.has_severity(id)) {
        errors.push(FieldError::new(
            "set_severity_id",
            "Choose a severity from the list.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(RuleInput {
        name,
        description,
        trigger: input.trigger,
        conditions,
        actions,
        enabled: input.enabled,
    })
}

/// A field that exists and is not archived, and a value it can hold (normalised).
async fn check_field(
    db: &impl Writer,
    me: &crate::accounts::CurrentUser,
    field: &mut FieldMatch,
    (field_key, value_key): (&str, &str),
    errors: &mut Vec<FieldError>,
) -> Result<(), AppError> {
    match crate::fields::service::filter_value(db, me, field.field_id, &field.value).await {
        Ok(value) => field.value = value,
        Err(AppError::Invalid(found)) => {
            for e in found {
                let key = if e.field == "field" {
                    field_key
                } else {
                    value_key
                };
                errors.push(FieldError::new(key, e.message));
            }
        }
        Err(other) => return Err(other),
    }
    Ok(())
}

fn name_taken() -> AppError {
    AppError::invalid("name", "Another rule already has this name.")
}

async fn ensure_name_free(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<i64>,
) -> Result<(), AppError> {
    let taken = rule::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .any(|r| Some(r.id) != except && r.name.eq_ignore_ascii_case(name));
    if taken { Err(name_taken()) } else { Ok(()) }
}

fn stored_error(e: sea_orm::DbErr) -> AppError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        name_taken()
    } else {
        e.into()
    }
}

fn encode(input: &RuleInput) -> (String, String) {
    (
        serde_json::to_string(&input.conditions).unwrap_or_default(),
        serde_json::to_string(&input.actions).unwrap_or_default(),
    )
}

/// Adds a checked rule; answers its id. Audited.
pub async fn create_rule(
    db: &impl Writer,
    actor: &Actor,
    input: &RuleInput,
) -> Result<i64, AppError> {
    let txn = crate::db::begin_write(db).await?;
    ensure_name_free(&txn, &input.name, None).await?;
    let (conditions, actions) = encode(input);
    let now = Utc::now();
    let created = rule::ActiveModel {
        name: Set(input.name.clone()),
        description: Set(input.description.clone()),
        trigger: Set(input.trigger),
        conditions: Set(conditions),
        actions: Set(actions),
        enabled: Set(input.enabled),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(stored_error)?;
    audit::record(
        &txn,
        actor,
        "rule.created",
        Some(&input.name),
        json!({ "rule_id": created.id, "input": input }),
    )
    .await?;
    txn.commit().await?;
    RULES.wrote();
    Ok(created.id)
}

/// Saves a checked rule if nobody changed it since `expected_version`. Audited, with
/// what it was before.
pub async fn update_rule(
    db: &impl Writer,
    actor: &Actor,
    id: i64,
    input: &RuleInput,
    expected_version: i32,
) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let current = load(&txn, id).await?;
    ensure_name_free(&txn, &input.name, Some(id)).await?;
    let (conditions, actions) = encode(input);
    let saved = crate::db::update_versioned(
        &txn,
        rule::ActiveModel {
            name: Set(input.name.clone()),
            description: Set(input.description.clone()),
            trigger: Set(input.trigger),
            conditions: Set(conditions),
            actions: Set(actions),
            enabled: Set(input.enabled),
            updated_at: Set(Utc::now()),
            ..Default::default()
        },
        (rule::Column::Id, id),
        (rule::Column::Version, expected_version),
    )
    .await
    .map_err(stored_error)?;
    if !saved {
        return Err(AppError::Conflict {
            message: format!(
                "The rule {} was changed by someone else in the meantime. Reload it, review their change and save again.",
                current.name
            ),
        });
    }
    let (before_conditions, before_actions) = parts(&current);
    audit::record(
        &txn,
        actor,
        "rule.updated",
        Some(&input.name),
        json!({
            "rule_id": id,
            "before": {
                "name": current.name,
                "trigger": current.trigger,
                "enabled": current.enabled,
                "conditions": before_conditions,
                "actions": before_actions,
            },
            "input": input,
        }),
    )
    .await?;
    txn.commit().await?;
    RULES.wrote();
    Ok(())
}

/// Turns a rule on or off if nobody changed it since `expected_version`.
pub async fn set_enabled(
    db: &impl Writer,
    actor: &Actor,
    id: i64,
    enabled: bool,
    expected_version: i32,
) -> Result<(), AppError> {
    let current = load(db, id).await?;
    let (conditions, actions) = parts(&current);
    let input = RuleInput {
        name: current.name,
        description: current.description,
        trigger: current.trigger,
        conditions,
        actions,
        enabled,
    };
    update_rule(db, actor, id, &input, expected_version).await
}

/// Deletes a rule. What it did stays on the incidents' timelines. Audited.
pub async fn delete_rule(db: &impl Writer, actor: &Actor, id: i64) -> Result<(), AppError> {
    let txn = crate::db::begin_write(db).await?;
    let current = load(&txn, id).await?;
    rule::Entity::delete_by_id(id).exec(&txn).await?;
    let (conditions, actions) = parts(&current);
    audit::record(
        &txn,
        actor,
        "rule.deleted",
        Some(&current.name),
        json!({
            "rule_id": id,
            "trigger": current.trigger,
            "conditions": conditions,
            "actions": actions,
        }),
    )
    .await?;
    txn.commit().await?;
    RULES.wrote();
    Ok(())
}

/// The enabled rules, kept between changes: every change a rule can be set off by reads
/// them, and admins rarely write them. Whatever commits a write to rules calls
/// `RULES.wrote()`.
static RULES: Kept<Vec<rule::Model>> = Kept::new();

/// The enabled rules, in the order they run (a handful: read whole). A change reads them
/// before its write begins, so on SQLite the one writer's turn is not spent on them; a
/// rule saved meanwhile runs from the next change.
pub async fn enabled_rules(db: &impl Writer) -> Result<Arc<Vec<rule::Model>>, AppError> {
    RULES
        .get(db, || async {
            Ok(rule::Entity::find()
                .filter(rule::Column::Enabled.eq(true))
                .order_by_asc(rule::Column::Id)
                .all(db)
                .await?)
        })
        .await
}
