//! Searching people and services, and resolving what was typed into a field to one of them.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{Choice, ChoiceKind, MAX_QUERY, PersonTerm, SUGGESTIONS, person_value, split_terms};
use crate::accounts::entities::user;
use crate::accounts::{CurrentUser, Role};
use crate::catalog::entities::service;
use crate::error::AppError;
use crate::incidents::service::query::escape_like;

/// `lower(column) LIKE %text%`, with the pattern characters of `text` taken literally.
fn contains(column: impl sea_orm::sea_query::IntoColumnRef, text: &str) -> SimpleExpr {
    let text: String = text.trim().to_lowercase().chars().take(MAX_QUERY).collect();
    let pattern = format!("%{}%", escape_like(&text));
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern).escape('\\'))
}

/// People who can be chosen: active, and allowed to respond.
fn choosable_people() -> Condition {
    Condition::all()
        .add(user::Column::DeactivatedAt.is_null())
        .add(user::Column::Role.is_in([Role::Responder, Role::Admin]))
}

/// Up to [`SUGGESTIONS`] matches for `query` in names (and emails or slugs), by name.
pub async fn search(
    db: &impl ConnectionTrait,
    kind: ChoiceKind,
    query: &str,
) -> Result<Vec<Choice>, AppError> {
    Ok(match kind {
        ChoiceKind::People => user::Entity::find()
            .filter(choosable_people())
            .filter(
                Condition::any()
                    .add(contains(user::Column::DisplayName, query))
                    .add(contains(user::Column::Email, query)),
            )
            .order_by_asc(user::Column::DisplayName)
            .order_by_asc(user::Column::Id)
            .limit(SUGGESTIONS)
            .all(db)
            .await?
            .into_iter()
            .map(|u| Choice {
                value: person_value(&u.display_name, &u.email),
                detail: u.email,
                label: u.display_name,
            })
            .collect(),
        ChoiceKind::Services => service::Entity::find()
            .filter(service::Column::ArchivedAt.is_null())
            .filter(
                Condition::any()
                    .add(contains(service::Column::Name, query))
                    .add(contains(service::Column::Slug, query)),
            )
            .order_by_asc(service::Column::Name)
            .limit(SUGGESTIONS)
            .all(db)
            .await?
            .into_iter()
            .map(|s| Choice {
                detail: match &s.owner_team {
                    Some(team) => format!("{} · {team}", s.slug),
                    None => s.slug.clone(),
                },
                value: s.slug,
                label: s.name,
            })
            .collect(),
    })
}

/// The person a field names, or a field error that says why none could be chosen.
pub async fn resolve_person(
    db: &impl ConnectionTrait,
    me: &CurrentUser,
    field: &str,
    text: &str,
) -> Result<Option<i64>, AppError> {
    let Some(term) = PersonTerm::parse(text) else {
        return Ok(None);
    };
    // Any active account: whether it may take a role or own work is the domain's rule.
    let query = user::Entity::find().filter(user::Column::DeactivatedAt.is_null());
    let found = match &term {
        PersonTerm::Me => query.filter(user::Column::Id.eq(me.id.0)).all(db).await?,
        PersonTerm::Id(id) => query.filter(user::Column::Id.eq(*id)).all(db).await?,
        PersonTerm::Email(email) => query.filter(user::Column::Email.eq(email)).all(db).await?,
        PersonTerm::Name(name) => {
            query
                .filter(
                    Expr::expr(Func::lower(Expr::col(user::Column::DisplayName)))
                        .eq(name.to_lowercase()),
                )
                .limit(2)
                .all(db)
                .await?
        }
    };
    match found.as_slice() {
        [one] => Ok(Some(one.id)),
        [] => Err(AppError::invalid(
            field,
            format!(
                "No active person matches “{}”. Type a name or email and pick from the suggestions.",
                text.trim()
            ),
        )),
        _ => Err(AppError::invalid(
            field,
            format!(
                "More than one person is called “{}”: type their email instead.",
                text.trim()
            ),
        )),
    }
}

/// The people a list field names (comma-separated, as [`resolve_person`] reads each), in
/// the order typed; a term that names no one is a field error, never dropped.
pub async fn resolve_people(
    db: &impl ConnectionTrait,
    me: &CurrentUser,
    field: &str,
    text: &str,
) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for term in split_terms(text) {
        if let Some(id) = resolve_person(db, me, field, &term).await?
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// `ids` as a list field shows them (`Name <email>, …`), in the order given.
pub async fn people_value(db: &impl ConnectionTrait, ids: &[i64]) -> Result<String, AppError> {
    let found = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|u| u.id == *id))
        .map(|u| person_value(&u.display_name, &u.email))
        .collect::<Vec<_>>()
        .join(", "))
}

/// The person a form names in its search field or, when the field is absent or empty,
/// by the id the API and older forms send.
pub async fn person_or_id(
    db: &impl ConnectionTrait,
    me: &CurrentUser,
    field: &str,
    text: Option<&str>,
    id: Option<i64>,
) -> Result<Option<i64>, AppError> {
    let named = match text {
        Some(text) => resolve_person(db, me, field, text).await?,
        None => None,
    };
    Ok(named.or(id))
}

/// The services whose slug or lower-cased name is one of `keys`.
async fn services_named(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> Result<Vec<service::Model>, AppError> {
    // No slug or name holds a control character, and PostgreSQL refuses a NUL in a
    // parameter: such a key names nothing and is never sent.
    let keys: Vec<String> = keys
        .iter()
        .filter(|k| !crate::text::has_control_characters(k))
        .cloned()
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(service::Entity::find()
        .filter(
            Condition::any()
                .add(service::Column::Slug.is_in(keys.clone()))
                .add(Expr::expr(Func::lower(Expr::col(service::Column::Name))).is_in(keys)),
        )
        .all(db)
        .await?)
}

/// The one of `found` that `key` names: a slug first, then a name.
fn named<'a>(found: &'a [service::Model], key: &str) -> Option<&'a service::Model> {
    found
        .iter()
        .find(|s| s.slug == key)
        .or_else(|| found.iter().find(|s| s.name.to_lowercase() == key))
}

/// The services a list field names (slugs or names, comma-separated), in the order typed.
/// Archived services resolve too, so an incident that names one can still be edited.
pub async fn resolve_services(
    db: &impl ConnectionTrait,
    field: &str,
    text: &str,
) -> Result<Vec<i64>, AppError> {
    let terms = split_terms(text);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    if terms.len() > 100 {
        return Err(AppError::invalid(field, "Name at most 100 services."));
    }
    let keys: Vec<String> = terms.iter().map(|t| t.to_lowercase()).collect();
    let found = services_named(db, &keys).await?;
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for (term, key) in terms.iter().zip(&keys) {
        match named(&found, key) {
            Some(s) if !ids.contains(&s.id) => ids.push(s.id),
            Some(_) => {}
            None => unknown.push(format!("“{term}”")),
        }
    }
    if unknown.is_empty() {
        Ok(ids)
    } else {
        Err(AppError::invalid(
            field,
            format!(
                "No service is called {}. Type a service's name or slug and pick from the suggestions.",
                unknown.join(", ")
            ),
        ))
    }
}

/// The service each of `terms` names (an id, a slug or a whole name, any case), in one
/// read however many terms: a source's mapping may name hundreds.
pub async fn find_services(
    db: &impl ConnectionTrait,
    terms: &[&str],
) -> Result<Vec<Option<service::Model>>, AppError> {
    let keys: Vec<String> = terms.iter().map(|t| t.trim().to_lowercase()).collect();
    let ids: Vec<i64> = keys.iter().filter_map(|k| k.parse().ok()).collect();
    let mut found = services_named(db, &keys).await?;
    if !ids.is_empty() {
        found.extend(
            service::Entity::find()
                .filter(service::Column::Id.is_in(ids))
                .all(db)
                .await?,
        );
    }
    Ok(keys
        .iter()
        .map(|key| match key.parse::<i64>() {
            Ok(id) => found.iter().find(|s| s.id == id).cloned(),
            Err(_) => named(&found, key).cloned(),
        })
        .collect())
}

/// The service a filter names (an id, a slug or a whole name); `None` when empty.
pub async fn resolve_service(
    db: &impl ConnectionTrait,
    field: &str,
    text: &str,
) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(id) = text.parse::<i64>() {
        return Ok(Some(id));
    }
    let key = text.to_lowercase();
    let found = services_named(db, std::slice::from_ref(&key)).await?;
    match named(&found, &key) {
        Some(s) => Ok(Some(s.id)),
        None => Err(AppError::invalid(
            field,
            format!("No service is called “{text}”."),
        )),
    }
}
