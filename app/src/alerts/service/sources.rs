//! Alert sources, for admins: add one (its token shown once, stored hashed), issue a
//! new token, pause and resume, and the admin page's view of them.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::accounts::CurrentUser;
use crate::alerts::entities::{alert, source};
use crate::alerts::{
    AlertSourceView, AlertsAdmin, IssuedToken, Rule, Rules, SEVERITY_WORDS, SourceKind,
};
use crate::audit::service::{Actor, record as audit};
use crate::catalog::entities::service;
use crate::error::{AppError, FieldError};
use crate::incidents::entities::severity;
use crate::secrets;

/// Tokens carry a recognisable prefix, so a leaked one is easy to grep for.
const TOKEN_PREFIX: &str = "vigil_alert_";

/// What an admin fills in to add a source.
#[derive(Debug, Clone, Default)]
pub struct SourceForm {
    pub name: String,
    pub kind: String,
    pub service_id: String,
    /// Severity word to `record` or a severity id.
    pub rules: BTreeMap<String, String>,
    pub auto_resolve: bool,
}

async fn parse_form(
    db: &impl ConnectionTrait,
    form: &SourceForm,
) -> Result<(String, SourceKind, i64, Rules), AppError> {
    let mut errors = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new(
            "name",
            "Name the source, e.g. “Production Alertmanager”.",
        ));
    } else if name.chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "Keep the name under 100 characters.",
        ));
    }
    let kind = SourceKind::parse(&form.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Choose what sends the alerts."));
    }
    let service_id = form.service_id.trim().parse::<i64>().ok();
    let service_ok = match service_id {
        Some(id) => service::Entity::find_by_id(id)
            .filter(service::Column::ArchivedAt.is_null())
            .one(db)
            .await?
            .is_some(),
        None => false,
    };
    if !service_ok {
        errors.push(FieldError::new(
            "service_id",
            "Choose the service incidents from this source affect by default.",
        ));
    }
    let known: Vec<i64> = severity::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut rules = Rules::new();
    for word in SEVERITY_WORDS {
        let value = form.rules.get(word).map(|v| v.trim()).unwrap_or("record");
        let rule = match value {
            "" | "record" => Rule::Record,
            id => match id.parse::<i64>() {
                Ok(id) if known.contains(&id) => Rule::Open { severity_id: id },
                _ => {
                    errors.push(FieldError::new(
                        format!("rule_{word}"),
                        "Choose a severity or “record only”.",
                    ));
                    Rule::Record
                }
            },
        };
        rules.insert(word.to_owned(), rule);
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok((
        name,
        kind.expect("checked above"),
        service_id.expect("checked above"),
        rules,
    ))
}

/// Adds a source and returns its token, which is shown once and stored only hashed.
pub async fn create_source(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    form: SourceForm,
    ip: Option<String>,
) -> Result<IssuedToken, AppError> {
    admin.require_admin()?;
    let (name, kind, service_id, rules) = parse_form(db, &form).await?;
    let taken = source::Entity::find()
        .filter(source::Column::Name.eq(name.clone()))
        .count(db)
        .await?;
    if taken > 0 {
        return Err(AppError::invalid("name", "Another source has this name."));
    }
    let secrets::Issued { token, hash, hint } = secrets::issue(TOKEN_PREFIX);
    let now = Utc::now();
    let created = source::ActiveModel {
        name: Set(name.clone()),
        kind: Set(kind),
        token_hash: Set(hash),
        token_hint: Set(hint),
        service_id: Set(service_id),
        rules: Set(serde_json::to_string(&rules).map_err(AppError::internal)?),
        auto_resolve: Set(form.auto_resolve),
        owner_id: Set(admin.id.0),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        disabled_at: Set(None),
        last_received_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit(
        db,
        &admin.actor(ip),
        "alert_source.created",
        Some(&format!("alert source {}", created.id)),
        json!({ "name": name, "kind": kind.as_str() }),
    )
    .await?;
    Ok(IssuedToken {
        source_name: name,
        kind,
        token,
    })
}

async fn find_source(db: &impl ConnectionTrait, id: i64) -> Result<source::Model, AppError> {
    source::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("No such alert source.".to_owned()))
}

/// Replaces a source's token: the old one stops working at once.
pub async fn rotate_token(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    id: i64,
    ip: Option<String>,
) -> Result<IssuedToken, AppError> {
    admin.require_admin()?;
    let found = find_source(db, id).await?;
    let secrets::Issued { token, hash, hint } = secrets::issue(TOKEN_PREFIX);
    source::ActiveModel {
        id: Set(found.id),
        token_hash: Set(hash),
        token_hint: Set(hint),
        version: Set(found.version + 1),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    audit(
        db,
        &admin.actor(ip),
        "alert_source.token_rotated",
        Some(&format!("alert source {}", found.id)),
        json!({ "name": found.name }),
    )
    .await?;
    Ok(IssuedToken {
        source_name: found.name,
        kind: found.kind,
        token,
    })
}

/// Pauses (or resumes) a source: a paused source's token gets 401.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    id: i64,
    disabled: bool,
    ip: Option<String>,
) -> Result<(), AppError> {
    admin.require_admin()?;
    let found = find_source(db, id).await?;
    let now = Utc::now();
    source::ActiveModel {
        id: Set(found.id),
        disabled_at: Set(disabled.then_some(now)),
        version: Set(found.version + 1),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    audit(
        db,
        &admin.actor(ip),
        if disabled {
            "alert_source.disabled"
        } else {
            "alert_source.enabled"
        },
        Some(&format!("alert source {}", found.id)),
        json!({ "name": found.name }),
    )
    .await?;
    Ok(())
}

fn service_ref(m: &service::Model) -> crate::catalog::ServiceRef {
    crate::catalog::service::to_ref(m.clone())
}

/// How many recent alerts the admin page lists.
pub const RECENT_ALERTS: u64 = 50;

/// The sources with their rules and counts, and the latest alerts.
pub async fn admin_view(db: &impl ConnectionTrait) -> Result<AlertsAdmin, AppError> {
    let severities: Vec<(i64, String)> = severity::Entity::find()
        .order_by_asc(severity::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let severity_name = |id: i64| {
        severities
            .iter()
            .find(|(s, _)| *s == id)
            .map_or_else(|| "a removed severity".to_owned(), |(_, n)| n.clone())
    };
    let counts: HashMap<i64, i64> = alert::Entity::find()
        .select_only()
        .column(alert::Column::SourceId)
        .column_as(alert::Column::Id.count(), "n")
        .group_by(alert::Column::SourceId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let rows = source::Entity::find()
        .order_by_asc(source::Column::Name)
        .all(db)
        .await?;
    let names: HashMap<i64, String> = rows.iter().map(|s| (s.id, s.name.clone())).collect();
    // Only the sources' default services: the form picks one with a search field.
    let services: Vec<service::Model> = service::Entity::find()
        .filter(service::Column::Id.is_in(rows.iter().map(|s| s.service_id).collect::<Vec<_>>()))
        .all(db)
        .await?;
    let by_id: HashMap<i64, &service::Model> = services.iter().map(|s| (s.id, s)).collect();
    let sources = rows
        .into_iter()
        .map(|s| {
            let rules: Rules = serde_json::from_str(&s.rules).unwrap_or_else(|e| {
                tracing::error!(source = s.id, error = %e, "unreadable alert source rules");
                Rules::default()
            });
            let rules = SEVERITY_WORDS
                .iter()
                .map(|w| {
                    let what = match rules.get(*w) {
                        Some(Rule::Open { severity_id }) => {
                            format!("opens an incident at {}", severity_name(*severity_id))
                        }
                        _ => "is recorded only".to_owned(),
                    };
                    ((*w).to_owned(), what)
                })
                .collect();
            let service = by_id.get(&s.service_id).map_or_else(
                || crate::catalog::ServiceRef {
                    id: s.service_id,
                    slug: String::new(),
                    name: "(removed)".to_owned(),
                    owner_team: None,
                },
                |m| service_ref(m),
            );
            AlertSourceView {
                id: s.id,
                kind: s.kind,
                token_hint: s.token_hint,
                service,
                rules,
                auto_resolve: s.auto_resolve,
                disabled: s.disabled_at.is_some(),
                last_received_at: s.last_received_at,
                alert_count: counts.get(&s.id).copied().unwrap_or(0),
                version: s.version,
                name: s.name,
            }
        })
        .collect();
    let recent = alert::Entity::find()
        .order_by_desc(alert::Column::LastReceivedAt)
        .order_by_desc(alert::Column::Id)
        .limit(RECENT_ALERTS)
        .all(db)
        .await?
        .into_iter()
        .map(|a| crate::alerts::list::view(a, &names))
        .collect();
    Ok(AlertsAdmin {
        sources,
        recent,
        severities,
    })
}

/// Finds the enabled source a token belongs to. A wrong or paused token is refused
/// with 401 and written to the audit log (never the token itself); an address that
/// guessed too often gets 429.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: Option<&str>,
    ip: Option<String>,
) -> Result<source::Model, AppError> {
    let found = match token.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => {
            source::Entity::find()
                .filter(source::Column::TokenHash.eq(secrets::hash(t)))
                .one(db)
                .await?
        }
        None => None,
    };
    match found {
        Some(s) if s.disabled_at.is_none() => Ok(s),
        other => {
            let reason = match (&other, token.is_some()) {
                (Some(_), _) => "source disabled",
                (None, true) => "unknown token",
                (None, false) => "no token",
            };
            // Counted only when wrong: a right token is never refused because somebody
            // else guessed from the same address.
            crate::accounts::service::throttle::token_rejected(db, "alert_source", ip.as_deref())
                .await?;
            audit(
                db,
                &Actor {
                    id: None,
                    email: None,
                    ip,
                },
                "alerts.token_rejected",
                other
                    .as_ref()
                    .map(|s| format!("alert source {}", s.id))
                    .as_deref(),
                json!({ "reason": reason }),
            )
            .await?;
            Err(AppError::Unauthorized)
        }
    }
}
