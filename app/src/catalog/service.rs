//! Adding, editing, archiving and reading services.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};
use serde_json::json;

use super::entities::runbook::{self, Entity as RunbookEntity};
use super::entities::service::{self as entity, Entity as Service};
use super::form::{ServiceForm, ServiceSpec};
use super::{Runbook, ServiceDetail, ServiceRef, ServiceRunbooks, Slo};
use crate::audit::service::{self as audit, Actor};
use crate::db::Writer;
use crate::error::AppError;

pub fn to_ref(model: entity::Model) -> ServiceRef {
    ServiceRef {
        id: model.id,
        slug: model.slug,
        name: model.name,
        owner_team: model.owner_team,
    }
}

fn to_detail(model: entity::Model, runbooks: Vec<Runbook>) -> ServiceDetail {
    ServiceDetail {
        description_html: crate::markdown::render(&model.description),
        slo: model.slo_target_ppm.map(|ppm| Slo {
            target_ppm: i64::from(ppm),
            window_days: model.slo_window_days,
        }),
        archived: model.archived_at.is_some(),
        id: model.id,
        slug: model.slug,
        name: model.name,
        description: model.description,
        owner_team: model.owner_team,
        tier: model.tier,
        failure_severity_position: model.failure_severity_position,
        version: model.version,
        runbooks,
    }
}

/// A URL-safe slug from a name: lower-case ASCII letters, digits and single dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(64).collect()
}

fn name_taken() -> AppError {
    AppError::invalid("name", "A service with this name already exists.")
}

fn check_slug(spec: &ServiceSpec) -> Result<String, AppError> {
    let slug = slugify(&spec.name);
    if slug.is_empty() {
        return Err(AppError::invalid(
            "name",
            "Give the service a name with at least one letter or digit (A-Z, 0-9).",
        ));
    }
    Ok(slug)
}

async fn replace_runbooks(
    db: &impl ConnectionTrait,
    service_id: i64,
    runbooks: &[Runbook],
) -> Result<(), AppError> {
    RunbookEntity::delete_many()
        .filter(runbook::Column::ServiceId.eq(service_id))
        .exec(db)
        .await?;
    for (position, r) in runbooks.iter().enumerate() {
        runbook::ActiveModel {
            service_id: Set(service_id),
            title: Set(r.title.clone()),
            url: Set(r.url.clone()),
            position: Set(position as i32),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Adds a service from the admin's form.
pub async fn add_service(
    db: &impl Writer,
    actor: &Actor,
    form: &ServiceForm,
) -> Result<ServiceDetail, AppError> {
    let spec = form.parse().map_err(AppError::Invalid)?;
    let slug = check_slug(&spec)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let inserted = entity::ActiveModel {
        slug: Set(slug),
        name: Set(spec.name.clone()),
        owner_team: Set(spec.owner_team.clone()),
        description: Set(spec.description.clone()),
        tier: Set(spec.tier),
        slo_target_ppm: Set(spec.slo.map(|s| s.target_ppm as i32)),
        slo_window_days: Set(spec.slo.map_or(30, |s| s.window_days)),
        failure_severity_position: Set(spec.failure_severity_position),
        archived_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let model = match inserted {
        Ok(model) => model,
        Err(err) => {
            // Roll back now: SQLite would otherwise keep the write lock until the
            // pooled connection is next used.
            txn.rollback().await?;
            return Err(
                if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
                    name_taken()
                } else {
                    err.into()
                },
            );
        }
    };
    replace_runbooks(&txn, model.id, &spec.runbooks).await?;
    audit::record(
        &txn,
        actor,
        "service.created",
        Some(&model.name),
        json!({ "service_id": model.id }),
    )
    .await?;
    txn.commit().await?;
    super::known::wrote();
    Ok(to_detail(model, spec.runbooks))
}

/// Adds a service with just a name and owner (tests and the seed).
pub async fn create_service(
    db: &impl Writer,
    name: &str,
    owner_team: Option<&str>,
) -> Result<ServiceRef, AppError> {
    let form = ServiceForm {
        name: name.to_owned(),
        owner_team: owner_team.unwrap_or_default().to_owned(),
        ..Default::default()
    };
    Ok(add_service(db, &Actor::default(), &form).await?.as_ref())
}

/// Saves an edit if nobody changed the service since `expected_version`. Renaming keeps
/// the slug, so links to the service keep working.
pub async fn update_service(
    db: &impl Writer,
    actor: &Actor,
    id: i64,
    form: &ServiceForm,
    expected_version: i32,
) -> Result<ServiceDetail, AppError> {
    let spec = form.parse().map_err(AppError::Invalid)?;
    check_slug(&spec)?;
    // Names compare case-insensitively (the unique slug is derived from the name).
    let same_name_elsewhere = Service::find()
        .filter(entity::Column::Id.ne(id))
        .all(db)
        .await?
        .into_iter()
        .any(|s| s.name.eq_ignore_ascii_case(&spec.name) || s.slug == slugify(&spec.name));
    if same_name_elsewhere {
        return Err(name_taken());
    }
    let current = find(db, id).await?;
    let txn = crate::db::begin_write(db).await?;
    let saved = crate::db::update_versioned(
        &txn,
        entity::ActiveModel {
            name: Set(spec.name.clone()),
            owner_team: Set(spec.owner_team.clone()),
            description: Set(spec.description.clone()),
            tier: Set(spec.tier),
            slo_target_ppm: Set(spec.slo.map(|s| s.target_ppm as i32)),
            slo_window_days: Set(spec.slo.map_or(30, |s| s.window_days)),
            failure_severity_position: Set(spec.failure_severity_position),
            updated_at: Set(Utc::now()),
            ..Default::default()
        },
        (entity::Column::Id, id),
        (entity::Column::Version, expected_version),
    )
    .await;
    let saved = match saved {
        Ok(saved) => saved,
        Err(err) => {
            txn.rollback().await?;
            return Err(err.into());
        }
    };
    if !saved {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            message: format!(
                "{} was changed by someone else while you were editing. Reload the page to see their changes, then edit again.",
                current.name
            ),
        });
    }
    replace_runbooks(&txn, id, &spec.runbooks).await?;
    audit::record(
        &txn,
        actor,
        "service.updated",
        Some(&spec.name),
        json!({ "service_id": id, "previous_name": current.name }),
    )
    .await?;
    let saved = find(&txn, id).await?;
    txn.commit().await?;
    super::known::wrote();
    Ok(to_detail(saved, spec.runbooks))
}

pub(crate) async fn find(db: &impl ConnectionTrait, id: i64) -> Result<entity::Model, AppError> {
    Service::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such service.".into()))
}

/// Archives a service (kept for history and metrics, no longer offered for new
/// incidents) or brings it back.
pub async fn set_archived(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
    archived: bool,
) -> Result<(), AppError> {
    let current = find(db, id).await?;
    Service::update_many()
        .set(entity::ActiveModel {
            archived_at: Set(archived.then(Utc::now)),
            updated_at: Set(Utc::now()),
            ..Default::default()
        })
        .col_expr(
            entity::Column::Version,
            Expr::col(entity::Column::Version).add(1),
        )
        .filter(entity::Column::Id.eq(id))
        .exec(db)
        .await?;
    // Not a write transaction: counted here, so the budgets kept for the home page drop it.
    crate::db::wrote();
    super::known::wrote();
    audit::record(
        db,
        actor,
        if archived {
            "service.archived"
        } else {
            "service.restored"
        },
        Some(&current.name),
        json!({ "service_id": id }),
    )
    .await
}

/// Deletes a service and its runbooks inside the caller's write transaction.
/// `crate::workflow::delete_service` first makes sure no incident ever affected it, so
/// history and the reliability numbers stay intact (such a service is archived instead).
pub async fn remove(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    current: entity::Model,
) -> Result<(), AppError> {
    let id = current.id;
    RunbookEntity::delete_many()
        .filter(runbook::Column::ServiceId.eq(id))
        .exec(txn)
        .await?;
    Service::delete_by_id(id).exec(txn).await?;
    audit::record(
        txn,
        actor,
        "service.deleted",
        Some(&current.name),
        json!({ "service_id": id }),
    )
    .await?;
    Ok(())
}

async fn runbooks_of(
    db: &impl ConnectionTrait,
    service_ids: &[i64],
) -> Result<HashMap<i64, Vec<Runbook>>, AppError> {
    let mut out: HashMap<i64, Vec<Runbook>> = HashMap::new();
    if service_ids.is_empty() {
        return Ok(out);
    }
    let rows = RunbookEntity::find()
        .filter(runbook::Column::ServiceId.is_in(service_ids.iter().copied()))
        .order_by_asc(runbook::Column::ServiceId)
        .order_by_asc(runbook::Column::Position)
        .all(db)
        .await?;
    for r in rows {
        out.entry(r.service_id).or_default().push(Runbook {
            title: r.title,
            url: r.url,
        });
    }
    Ok(out)
}

/// One service by its slug, with its runbooks.
pub async fn get_service(db: &impl ConnectionTrait, slug: &str) -> Result<ServiceDetail, AppError> {
    let model = Service::find()
        .filter(entity::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such service.".into()))?;
    let runbooks = runbooks_of(db, &[model.id])
        .await?
        .remove(&model.id)
        .unwrap_or_default();
    Ok(to_detail(model, runbooks))
}

/// Every service in the catalogue (archived ones last), with runbooks.
pub async fn list_catalog(db: &impl ConnectionTrait) -> Result<Vec<ServiceDetail>, AppError> {
    let models = Service::find()
        .order_by_asc(entity::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let mut runbooks = runbooks_of(db, &ids).await?;
    let mut list: Vec<ServiceDetail> = models
        .into_iter()
        .map(|m| {
            let r = runbooks.remove(&m.id).unwrap_or_default();
            to_detail(m, r)
        })
        .collect();
    list.sort_by_key(|s| s.archived);
    Ok(list)
}

/// The services new incidents may affect (archived ones are not offered).
pub async fn list_services(db: &impl ConnectionTrait) -> Result<Vec<ServiceRef>, AppError> {
    Ok(Service::find()
        .filter(entity::Column::ArchivedAt.is_null())
        .order_by_asc(entity::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(to_ref)
        .collect())
}

/// The runbooks of the given services, in the order of `services`.
pub async fn runbooks_for(
    db: &impl ConnectionTrait,
    services: &[ServiceRef],
) -> Result<Vec<ServiceRunbooks>, AppError> {
    let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
    let mut runbooks = runbooks_of(db, &ids).await?;
    Ok(services
        .iter()
        .filter_map(|s| {
            runbooks.remove(&s.id).map(|r| ServiceRunbooks {
                service: s.clone(),
                runbooks: r,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Payments API"), "payments-api");
        assert_eq!(slugify("  Edge / CDN (EU) "), "edge-cdn-eu");
        assert_eq!(slugify("!!!"), "");
    }
}
