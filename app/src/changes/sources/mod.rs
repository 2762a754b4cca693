//! Change sources, for admins: add one (its secret shown once), issue a new secret,
//! pause and resume. What the webhooks do with a delivery is in `deliveries`.

mod deliveries;

pub use deliveries::{Received, authenticate, authenticate_github, receive};

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::entities::{change, change_source};
use super::{ChangeSourceForm, ChangeSourceKind, ChangeSourceView, IssuedSecret};
use crate::accounts::CurrentUser;
use crate::audit::service::record as audit;
use crate::catalog::ServiceRef;
use crate::catalog::entities::service;
use crate::choices::service::{find_services, resolve_service};
use crate::error::{AppError, FieldError};
use crate::secrets;
use crate::text::has_control_characters;

/// Secrets carry a recognisable prefix, so a leaked one is easy to grep for.
const SECRET_PREFIX: &str = "vigil_change_";

/// Mapping lines a source may hold.
const MAX_MAPPING: usize = 500;

/// What a form asks for, checked.
struct Checked {
    name: String,
    kind: ChangeSourceKind,
    service_id: i64,
    mapping: BTreeMap<String, String>,
    environments: String,
    workflows: String,
}

/// A comma-separated list of short words, lower-cased; an error names the field.
fn word_list(errors: &mut Vec<FieldError>, field: &str, value: &str) -> String {
    let words: Vec<String> = value
        .split(',')
        .map(|w| w.trim().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    if words
        .iter()
        .any(|w| w.chars().count() > 100 || has_control_characters(w) || w.contains('='))
        || words.join(",").len() > 500
    {
        errors.push(FieldError::new(
            field,
            "List names separated by commas, each under 100 characters.",
        ));
    }
    words.join(",")
}

async fn check(db: &impl ConnectionTrait, form: &ChangeSourceForm) -> Result<Checked, AppError> {
    let mut errors = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "Name the source, e.g. “GitHub acme”.",
        ));
    } else if name.chars().count() > 100 || has_control_characters(&name) {
        errors.push(FieldError::new(
            "name",
            "Keep the name to one line under 100 characters.",
        ));
    }
    let kind = ChangeSourceKind::parse(form.kind.trim());
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Choose what sends the changes."));
    }
    let service_id = match resolve_service(db, "service", &form.service).await {
        Ok(Some(id)) => Some(id),
        Ok(None) => {
            errors.push(FieldError::new(
                "service",
                "Choose the service changes go to when the mapping names none.",
            ));
            None
        }
        Err(AppError::Invalid(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(other) => return Err(other),
    };
    if let Some(id) = service_id
        && service::Entity::find_by_id(id)
            .filter(service::Column::ArchivedAt.is_null())
            .one(db)
            .await?
            .is_none()
    {
        errors.push(FieldError::new("service", "Choose a service in use."));
    }
    let mut mapping = BTreeMap::new();
    let lines: Vec<(usize, &str)> = form
        .mapping
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if lines.len() > MAX_MAPPING {
        errors.push(FieldError::new(
            "mapping",
            format!("Map at most {MAX_MAPPING} repositories or applications."),
        ));
    }
    let (mut pairs, mut bad_lines) = (Vec::new(), Vec::new());
    for (number, line) in lines.into_iter().take(MAX_MAPPING) {
        let Some((from, to)) = line.split_once('=') else {
            bad_lines.push((number, "write “repository = service”.".to_owned()));
            continue;
        };
        let from = from.trim().to_lowercase();
        if from.is_empty() || from.chars().count() > 200 || has_control_characters(&from) {
            bad_lines.push((
                number,
                "name a repository or application before “=”.".to_owned(),
            ));
            continue;
        }
        let to = to.trim();
        if to.is_empty() {
            bad_lines.push((number, "name a service after “=”.".to_owned()));
            continue;
        }
        pairs.push((number, from, to));
    }
    let targets: Vec<&str> = pairs.iter().map(|(_, _, to)| *to).collect();
    let services = find_services(db, &targets).await?;
    for ((number, from, to), found) in pairs.into_iter().zip(services) {
        match found {
            Some(s) => {
                mapping.insert(from, s.slug);
            }
            None => bad_lines.push((number, format!("no service is called “{to}”."))),
        }
    }
    // The first bad line is the one shown.
    bad_lines.sort_by_key(|(number, _)| *number);
    errors.extend(
        bad_lines.into_iter().map(|(number, message)| {
            FieldError::new("mapping", format!("Line {number}: {message}"))
        }),
    );
    let environments = word_list(&mut errors, "environments", &form.environments);
    let mut workflows = word_list(&mut errors, "workflows", &form.workflows);
    if workflows.is_empty() {
        workflows = "deploy".into();
    }
    // One message per field: the form shows one beside each.
    let mut seen = Vec::new();
    errors.retain(|e| {
        let first = !seen.contains(&e.field);
        seen.push(e.field.clone());
        first
    });
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(Checked {
        name,
        kind: kind.expect("checked above"),
        service_id: service_id.expect("checked above"),
        mapping,
        environments,
        workflows,
    })
}

/// Adds a source and returns its secret, shown once. Stored hashed; a GitHub source's
/// also as is, since checking GitHub's signatures needs the key.
pub async fn create_source(
    db: &impl crate::db::Writer,
    admin: &CurrentUser,
    form: &ChangeSourceForm,
    ip: Option<String>,
) -> Result<IssuedSecret, AppError> {
    admin.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let checked = check(&*txn, form).await?;
    let taken = change_source::Entity::find()
        .filter(change_source::Column::Name.eq(checked.name.clone()))
        .count(&*txn)
        .await?;
    if taken > 0 {
        return Err(AppError::invalid("name", "Another source has this name."));
    }
    let secrets::Issued { token, hash, hint } = secrets::issue(SECRET_PREFIX);
    let now = Utc::now();
    let created = change_source::ActiveModel {
        name: Set(checked.name.clone()),
        kind: Set(checked.kind),
        token_hash: Set(hash),
        token_hint: Set(hint),
        signing_key: Set((checked.kind == ChangeSourceKind::GitHub).then(|| token.clone())),
        service_id: Set(checked.service_id),
        mapping: Set(serde_json::to_string(&checked.mapping).map_err(AppError::internal)?),
        environments: Set(checked.environments),
        workflows: Set(checked.workflows),
        created_by: Set(admin.id.0),
        created_at: Set(now),
        updated_at: Set(now),
        disabled_at: Set(None),
        last_received_at: Set(None),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    audit(
        &*txn,
        &admin.actor(ip),
        "change_source.created",
        Some(&format!("change source {}", created.id)),
        json!({ "name": checked.name, "kind": checked.kind.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedSecret {
        source_name: checked.name,
        kind: checked.kind,
        secret: token,
    })
}

async fn find_source(db: &impl ConnectionTrait, id: i64) -> Result<change_source::Model, AppError> {
    change_source::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("No such change source.".to_owned()))
}

/// Replaces a source's secret: the old one stops working at once.
pub async fn rotate_secret(
    db: &impl crate::db::Writer,
    admin: &CurrentUser,
    id: i64,
    ip: Option<String>,
) -> Result<IssuedSecret, AppError> {
    admin.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let found = find_source(&*txn, id).await?;
    let secrets::Issued { token, hash, hint } = secrets::issue(SECRET_PREFIX);
    change_source::ActiveModel {
        id: Set(found.id),
        token_hash: Set(hash),
        token_hint: Set(hint),
        signing_key: Set((found.kind == ChangeSourceKind::GitHub).then(|| token.clone())),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&*txn)
    .await?;
    audit(
        &*txn,
        &admin.actor(ip),
        "change_source.secret_rotated",
        Some(&format!("change source {}", found.id)),
        json!({ "name": found.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedSecret {
        source_name: found.name,
        kind: found.kind,
        secret: token,
    })
}

/// Pauses (or resumes) a source: a paused source's deliveries get 401.
pub async fn set_disabled(
    db: &impl crate::db::Writer,
    admin: &CurrentUser,
    id: i64,
    disabled: bool,
    ip: Option<String>,
) -> Result<(), AppError> {
    admin.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let found = find_source(&*txn, id).await?;
    let now = Utc::now();
    change_source::ActiveModel {
        id: Set(found.id),
        disabled_at: Set(disabled.then_some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&*txn)
    .await?;
    audit(
        &*txn,
        &admin.actor(ip),
        if disabled {
            "change_source.disabled"
        } else {
            "change_source.enabled"
        },
        Some(&format!("change source {}", found.id)),
        json!({ "name": found.name }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The word changes from `source` are recorded under: with the sender's id, it makes a
/// re-sent delivery update its change.
fn source_word(source: &change_source::Model) -> String {
    format!("{}.{}", source.kind.as_str(), source.id)
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The sources as the admin page shows them, with how many changes each has sent.
pub async fn admin_view(db: &impl ConnectionTrait) -> Result<Vec<ChangeSourceView>, AppError> {
    let rows = change_source::Entity::find()
        .order_by_asc(change_source::Column::Name)
        .all(db)
        .await?;
    let words: Vec<String> = rows.iter().map(source_word).collect();
    let counts: HashMap<String, i64> = change::Entity::find()
        .select_only()
        .column(change::Column::Source)
        .column_as(change::Column::Id.count(), "n")
        .filter(change::Column::Source.is_in(words))
        .group_by(change::Column::Source)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let services: HashMap<i64, service::Model> = service::Entity::find()
        .filter(service::Column::Id.is_in(rows.iter().map(|s| s.service_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(rows
        .into_iter()
        .map(|s| {
            let mapping: BTreeMap<String, String> = serde_json::from_str(&s.mapping)
                .unwrap_or_else(|e| {
                    tracing::error!(source = s.id, error = %e, "unreadable change source mapping");
                    BTreeMap::new()
                });
            let service = services.get(&s.service_id).map_or_else(
                || ServiceRef {
                    id: s.service_id,
                    slug: String::new(),
                    name: "(removed)".to_owned(),
                    owner_team: None,
                },
                |m| ServiceRef {
                    id: m.id,
                    slug: m.slug.clone(),
                    name: m.name.clone(),
                    owner_team: m.owner_team.clone(),
                },
            );
            ChangeSourceView {
                change_count: counts.get(&source_word(&s)).copied().unwrap_or(0),
                id: s.id,
                kind: s.kind,
                token_hint: s.token_hint,
                service,
                mapping: mapping.into_iter().collect(),
                environments: split(&s.environments),
                workflows: split(&s.workflows),
                disabled: s.disabled_at.is_some(),
                last_received_at: s.last_received_at,
                name: s.name,
            }
        })
        .collect())
}
