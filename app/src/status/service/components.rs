//! The services shown on the page, under their public names.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::accounts::CurrentUser;
use crate::audit::service::{self as audit, Actor};
use crate::catalog::entities::service;
use crate::db::{Kept, Writer};
use crate::error::{AppError, FieldError};
use crate::status::entities::{component, incident_component};
use crate::status::{ComponentEdit, ComponentView};
use crate::text::checked_line;

/// The components' rows in the page's order: by group, then position, then name.
pub(super) async fn ordered(db: &impl Writer) -> Result<Vec<component::Model>, AppError> {
    let kept = COMPONENTS
        .get(db, || async {
            Ok(component::Entity::find()
                .order_by_asc(component::Column::GroupName)
                .order_by_asc(component::Column::Position)
                .order_by_asc(component::Column::Name)
                .all(db)
                .await?)
        })
        .await?;
    Ok(kept.as_ref().clone())
}

/// The components, kept between requests: every incident page's status card reads them.
/// `super::changed` forgets them.
pub(super) static COMPONENTS: Kept<Vec<component::Model>> = Kept::new();

/// The public name of each component on the page, by id.
pub(super) async fn public_names(db: &impl Writer) -> Result<HashMap<i64, String>, AppError> {
    Ok(ordered(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// The components in the page's order, with their services' internal names (for admins).
pub async fn components(db: &impl Writer) -> Result<Vec<ComponentView>, AppError> {
    let rows = ordered(db).await?;
    let names: HashMap<i64, String> = service::Entity::find()
        .filter(service::Column::Id.is_in(rows.iter().map(|r| r.service_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| ComponentView {
            id: r.id,
            service_id: r.service_id,
            service_name: names.get(&r.service_id).cloned().unwrap_or_default(),
            name: r.name,
            description: r.description,
            group: r.group_name,
            position: r.position,
        })
        .collect())
}

fn checked_component(edit: &ComponentEdit) -> Result<(String, String, String), AppError> {
    let mut errors = Vec::new();
    let name = checked_line(&mut errors, "name", &edit.name, 100);
    let group = checked_line(&mut errors, "group", &edit.group, 100);
    let description = edit.description.trim().to_owned();
    if description.chars().count() > 500 {
        errors.push(FieldError::new(
            "description",
            "Use at most 500 characters.",
        ));
    }
    if errors.is_empty() {
        Ok((name, description, group))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Shows a service on the page.
pub async fn add_component(
    db: &impl Writer,
    admin: &CurrentUser,
    actor: &Actor,
    edit: &ComponentEdit,
) -> Result<ComponentView, AppError> {
    admin.require_admin()?;
    let (name, description, group) = checked_component(edit)?;
    let service_id = crate::choices::service::resolve_service(db, "service", &edit.service)
        .await?
        .ok_or_else(|| AppError::invalid("service", "Choose the service to show."))?;
    let service = service::Entity::find_by_id(service_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::invalid("service", "There is no such service."))?;
    let txn = crate::db::begin_write(db).await?;
    let shown = component::Entity::find()
        .filter(component::Column::ServiceId.eq(service_id))
        .one(&*txn)
        .await?;
    if shown.is_some() {
        return Err(AppError::invalid(
            "service",
            format!("{} is already on the page.", service.name),
        ));
    }
    let last: Option<i32> = component::Entity::find()
        .select_only()
        .column_as(component::Column::Position.max(), "max")
        .into_tuple::<Option<i32>>()
        .one(&*txn)
        .await?
        .flatten();
    let now = Utc::now();
    let saved = component::ActiveModel {
        service_id: Set(service_id),
        name: Set(if name.is_empty() {
            service.name.clone()
        } else {
            name
        }),
        description: Set(description),
        group_name: Set(group),
        position: Set(edit.position.unwrap_or(last.unwrap_or(0) + 1)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    audit::record(
        &*txn,
        actor,
        "status_component.added",
        Some(&service.slug),
        json!({ "name": saved.name }),
    )
    .await?;
    txn.commit().await?;
    super::changed();
    Ok(ComponentView {
        id: saved.id,
        service_id,
        service_name: service.name,
        name: saved.name,
        description: saved.description,
        group: saved.group_name,
        position: saved.position,
    })
}

fn component_missing(id: i64) -> AppError {
    AppError::NotFound(format!("There is no component {id}."))
}

/// Renames, describes, groups or moves a component.
pub async fn update_component(
    db: &impl Writer,
    admin: &CurrentUser,
    actor: &Actor,
    id: i64,
    edit: &ComponentEdit,
) -> Result<(), AppError> {
    admin.require_admin()?;
    let (name, description, group) = checked_component(edit)?;
    if name.is_empty() {
        return Err(AppError::invalid("name", "Give the component a name."));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = component::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| component_missing(id))?;
    component::ActiveModel {
        id: Set(id),
        name: Set(name.clone()),
        description: Set(description),
        group_name: Set(group),
        position: Set(edit.position.unwrap_or(current.position)),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&*txn)
    .await?;
    audit::record(
        &*txn,
        actor,
        "status_component.updated",
        None,
        json!({ "id": id, "name": name }),
    )
    .await?;
    txn.commit().await?;
    super::changed();
    Ok(())
}

/// Takes a component off the page; published incidents no longer name it.
pub async fn remove_component(
    db: &impl Writer,
    admin: &CurrentUser,
    actor: &Actor,
    id: i64,
) -> Result<(), AppError> {
    admin.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let current = component::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| component_missing(id))?;
    incident_component::Entity::delete_many()
        .filter(incident_component::Column::ComponentId.eq(id))
        .exec(&*txn)
        .await?;
    component::Entity::delete_by_id(id).exec(&*txn).await?;
    audit::record(
        &*txn,
        actor,
        "status_component.removed",
        None,
        json!({ "id": id, "name": current.name }),
    )
    .await?;
    txn.commit().await?;
    super::changed();
    Ok(())
}
