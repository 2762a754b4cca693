//! Incident types as admins shape them. Which playbooks, channels and custom fields a
//! type brings live with those domains; `crate::workflow` writes them with the type.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};
use serde_json::json;

use std::sync::Arc;

use crate::audit::service::{self as audit, Actor};
use crate::db::{Kept, Writer};
use crate::error::{AppError, FieldError};
use crate::incidents::entities::incident::{self, Entity as Incident};
use crate::incidents::entities::incident_role;
use crate::incidents::entities::incident_type::{self, Entity as IncidentType};
use crate::incidents::entities::severity;
use crate::incidents::types::{
    IncidentTypeView, REQUIRABLE_ROLES, TypeInput, roles_from_words, roles_to_words,
};
use crate::incidents::{IncidentRef, IncidentRole};

pub fn view(model: &incident_type::Model) -> IncidentTypeView {
    IncidentTypeView {
        id: model.id,
        name: model.name.clone(),
        description: model.description.clone(),
        default_severity_id: model.default_severity_id,
        required_roles: roles_from_words(&model.required_roles),
        postmortem_required: model.postmortem_required,
        is_default: model.is_default,
        archived: model.archived_at.is_some(),
        version: model.version,
    }
}

/// Every type (archived ones too) by name, kept between requests: every incident page and
/// every declaration reads them. Whatever commits a write to types calls `TYPES.wrote()`.
pub static TYPES: Kept<Vec<incident_type::Model>> = Kept::new();

async fn all_types(db: &impl Writer) -> Result<Arc<Vec<incident_type::Model>>, AppError> {
    TYPES
        .get(db, || async {
            Ok(IncidentType::find()
                .order_by_asc(incident_type::Column::Name)
                .all(db)
                .await?)
        })
        .await
}

/// Every type, the default first, then by name; archived ones only when asked.
pub async fn list_types(
    db: &impl Writer,
    archived: bool,
) -> Result<Vec<IncidentTypeView>, AppError> {
    let mut types: Vec<_> = all_types(db)
        .await?
        .iter()
        .filter(|t| archived || t.archived_at.is_none())
        .map(view)
        .collect();
    types.sort_by_key(|t| !t.is_default);
    Ok(types)
}

pub async fn get_type(db: &impl Writer, id: i64) -> Result<incident_type::Model, AppError> {
    all_types(db)
        .await?
        .iter()
        .find(|t| t.id == id)
        .cloned()
        .ok_or_else(|| AppError::NotFound("There is no such incident type.".into()))
}

/// The type a declaration names (not archived), or the default type when it names none.
/// An unknown or archived one is refused beside the `type_id` field.
pub async fn type_for_declaration(
    db: &impl Writer,
    id: Option<i64>,
) -> Result<incident_type::Model, AppError> {
    let types = all_types(db).await?;
    let found = match id {
        Some(id) => types.iter().find(|t| t.id == id && t.archived_at.is_none()),
        None => types.iter().find(|t| t.is_default),
    };
    found.cloned().ok_or_else(|| {
        AppError::invalid(
            "type_id",
            "Choose an incident type from the list; that one does not exist or is archived.",
        )
    })
}

/// The default type (the migration creates one; saving another as default moves it).
pub async fn default_type(db: &impl Writer) -> Result<Option<incident_type::Model>, AppError> {
    Ok(all_types(db).await?.iter().find(|t| t.is_default).cloned())
}

/// An incident's type: its own, or the default for a row from before types.
pub async fn type_of(
    db: &impl Writer,
    current: &incident::Model,
) -> Result<Option<incident_type::Model>, AppError> {
    let types = all_types(db).await?;
    Ok(match current.type_id {
        Some(id) => types.iter().find(|t| t.id == id),
        None => types.iter().find(|t| t.is_default),
    }
    .cloned())
}

/// Checks a type's fields, all at once.
pub async fn check_input(
    db: &impl ConnectionTrait,
    input: &TypeInput,
) -> Result<TypeInput, AppError> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "Give the type a name, like “Security” or “Customer-facing outage”.",
        ));
    } else if name.chars().count() > 80 {
        errors.push(FieldError::new(
            "name",
            "Keep the name under 80 characters.",
        ));
    } else if crate::text::has_control_characters(&name) {
        errors.push(FieldError::new("name", crate::text::ONE_LINE));
    }
    let description = input.description.trim().to_owned();
    if description.chars().count() > 500 {
        errors.push(FieldError::new(
            "description",
            "Keep the description under 500 characters.",
        ));
    }
    if let Some(id) = input.default_severity_id
        && severity::Entity::find_by_id(id).one(db).await?.is_none()
    {
        errors.push(FieldError::new(
            "default_severity_id",
            "Choose a severity from the list.",
        ));
    }
    if input
        .required_roles
        .iter()
        .any(|r| !REQUIRABLE_ROLES.contains(r))
    {
        errors.push(FieldError::new(
            "required_roles",
            "The commander is always named when declaring; require the communications lead, the operations lead or a scribe.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(TypeInput {
        name,
        description,
        ..input.clone()
    })
}

fn name_taken() -> AppError {
    AppError::invalid("name", "Another incident type already has this name.")
}

async fn ensure_name_free(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<i64>,
) -> Result<(), AppError> {
    let taken = IncidentType::find()
        .all(db)
        .await?
        .into_iter()
        .any(|t| Some(t.id) != except && t.name.eq_ignore_ascii_case(name));
    if taken { Err(name_taken()) } else { Ok(()) }
}

/// The default moves to `id`: every other type stops being it.
async fn take_default(db: &impl ConnectionTrait, id: i64) -> Result<(), AppError> {
    IncidentType::update_many()
        .col_expr(incident_type::Column::IsDefault, Expr::value(false))
        .filter(incident_type::Column::Id.ne(id))
        .filter(incident_type::Column::IsDefault.eq(true))
        .exec(db)
        .await?;
    Ok(())
}

fn unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Adds a checked type inside the caller's transaction; answers its id.
pub(crate) async fn create_type(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    input: &TypeInput,
) -> Result<i64, AppError> {
    ensure_name_free(txn, &input.name, None).await?;
    let now = Utc::now();
    let created = incident_type::ActiveModel {
        name: Set(input.name.clone()),
        description: Set(input.description.clone()),
        default_severity_id: Set(input.default_severity_id),
        required_roles: Set(roles_to_words(&input.required_roles)),
        postmortem_required: Set(input.postmortem_required),
        is_default: Set(input.is_default),
        archived_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            name_taken()
        } else {
            e.into()
        }
    })?;
    if input.is_default {
        take_default(txn, created.id).await?;
    }
    audit::record(
        txn,
        actor,
        "incident_type.created",
        Some(&input.name),
        json!({ "type_id": created.id, "input": input }),
    )
    .await?;
    Ok(created.id)
}

/// Saves a checked type if nobody changed it since `expected_version`. The default type
/// stays the default until another takes its place.
pub(crate) async fn update_type(
    txn: &impl Writer,
    actor: &Actor,
    id: i64,
    input: &TypeInput,
    expected_version: i32,
) -> Result<(), AppError> {
    let current = get_type(txn, id).await?;
    ensure_name_free(txn, &input.name, Some(id)).await?;
    if current.is_default && !input.is_default {
        return Err(AppError::invalid(
            "is_default",
            "One type is always the default: make another type the default instead.",
        ));
    }
    if input.is_default && current.archived_at.is_some() {
        return Err(AppError::invalid(
            "is_default",
            "An archived type cannot be the default; bring it back first.",
        ));
    }
    let saved = crate::db::update_versioned(
        txn,
        incident_type::ActiveModel {
            name: Set(input.name.clone()),
            description: Set(input.description.clone()),
            default_severity_id: Set(input.default_severity_id),
            required_roles: Set(roles_to_words(&input.required_roles)),
            postmortem_required: Set(input.postmortem_required),
            is_default: Set(input.is_default),
            updated_at: Set(Utc::now()),
            ..Default::default()
        },
        (incident_type::Column::Id, id),
        (incident_type::Column::Version, expected_version),
    )
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            name_taken()
        } else {
            e.into()
        }
    })?;
    if !saved {
        return Err(AppError::Conflict {
            message: format!(
                "The type {} was changed by someone else in the meantime. Reload it, review their change and save again.",
                current.name
            ),
        });
    }
    if input.is_default {
        take_default(txn, id).await?;
    }
    audit::record(
        txn,
        actor,
        "incident_type.updated",
        Some(&input.name),
        json!({ "type_id": id, "previous_name": current.name, "input": input }),
    )
    .await?;
    Ok(())
}

/// Archives a type (no new incident gets it; incidents of it keep it) or brings it back.
/// The default type cannot be archived.
pub(crate) async fn set_archived(
    txn: &impl Writer,
    actor: &Actor,
    id: i64,
    archive: bool,
) -> Result<(), AppError> {
    let current = get_type(txn, id).await?;
    if archive && current.is_default {
        return Err(AppError::Conflict {
            message: format!(
                "{} is the default type; make another type the default before archiving it.",
                current.name
            ),
        });
    }
    if archive == current.archived_at.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    incident_type::ActiveModel {
        id: Set(id),
        archived_at: Set(archive.then_some(now)),
        updated_at: Set(now),
        version: Set(current.version + 1),
        ..Default::default()
    }
    .update(txn)
    .await?;
    audit::record(
        txn,
        actor,
        if archive {
            "incident_type.archived"
        } else {
            "incident_type.restored"
        },
        Some(&current.name),
        json!({ "type_id": id }),
    )
    .await?;
    Ok(())
}

/// How many incidents each type has (archived types included), for the admin page.
pub async fn usage(db: &impl ConnectionTrait) -> Result<Vec<(i64, u64)>, AppError> {
    use sea_orm::{FromQueryResult, QuerySelect};
    #[derive(FromQueryResult)]
    struct Row {
        type_id: Option<i64>,
        n: i64,
    }
    let rows = Incident::find()
        .select_only()
        .column(incident::Column::TypeId)
        .column_as(incident::Column::Id.count(), "n")
        .group_by(incident::Column::TypeId)
        .into_model::<Row>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.type_id?, r.n.max(0) as u64)))
        .collect())
}

/// Refuses to resolve (or close) an incident whose type requires roles nobody holds.
pub async fn require_roles(db: &impl Writer, current: &incident::Model) -> Result<(), AppError> {
    let Some(kind) = type_of(db, current).await? else {
        return Ok(());
    };
    let required = roles_from_words(&kind.required_roles);
    if required.is_empty() {
        return Ok(());
    }
    let held: Vec<IncidentRole> = incident_role::Entity::find()
        .filter(incident_role::Column::IncidentId.eq(current.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.role)
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .filter(|r| !held.contains(r))
        .map(|r| r.label())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(AppError::invalid(
        "roles",
        format!(
            "{} incidents need these roles held before they are resolved: {}. Assign {} on /incidents/{}.",
            kind.name,
            missing.join(", "),
            if missing.len() == 1 { "it" } else { "them" },
            IncidentRef(current.id)
        ),
    ))
}

/// Takes the incident at `expected_version` (bumping it, so a form of type and fields
/// is one optimistic write) and moves it to the type `type_id` (not archived unless it is
/// the incident's own). Answers whether the type changed.
pub async fn retype(
    txn: &impl Writer,
    actor: &crate::accounts::CurrentUser,
    reference: IncidentRef,
    type_id: i64,
    expected_version: i32,
) -> Result<bool, AppError> {
    let current = super::load(txn, reference).await?;
    let before = type_of(txn, &current).await?;
    let changed = before.as_ref().map(|t| t.id) != Some(type_id);
    let after = if changed {
        type_for_declaration(txn, Some(type_id)).await?
    } else {
        before.clone().expect("unchanged")
    };
    super::save_versioned(
        txn,
        &current,
        expected_version,
        incident::ActiveModel {
            type_id: Set(Some(after.id)),
            ..Default::default()
        },
        |m| format!("at version {}", m.version),
    )
    .await?;
    if changed {
        super::timeline::record_event(
            txn,
            current.id,
            actor,
            super::timeline::AutoEvent {
                kind: crate::incidents::EventKind::TypeChanged,
                body: format!(
                    "Type changed from {} to {}",
                    crate::markdown::literal(
                        &before.map(|t| t.name).unwrap_or_else(|| "none".into())
                    ),
                    crate::markdown::literal(&after.name)
                ),
                at: Utc::now(),
            },
        )
        .await?;
    }
    Ok(changed)
}
