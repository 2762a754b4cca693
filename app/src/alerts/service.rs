//! Alert sources (admin) and ingestion (senders). Ingestion runs in one transaction per
//! payload: every alert of it is applied, or none.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};
use serde_json::json;

use super::payload::{self, AlertState, IncomingAlert};
use super::{
    AlertSourceView, AlertsAdmin, IssuedToken, Rule, Rules, SEVERITY_WORDS, SourceKind, alert,
    severity_word, source,
};
use crate::accounts::entities::user;
use crate::accounts::service::setup::{random_token, sha256_hex};
use crate::accounts::{CurrentUser, Role, UserId};
use crate::audit::service::{Actor, record as audit};
use crate::catalog::entity as service;
use crate::error::{AppError, FieldError};
use crate::incidents::entities::{incident, severity};
use crate::incidents::service::declare::{Declaration, declare_incident};
use crate::incidents::service::lifecycle::change_status;
use crate::incidents::service::timeline::{AutoEvent, record_event};
use crate::incidents::{EventKind, IncidentRef, Status};

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

fn bad(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

async fn parse_form(
    db: &impl ConnectionTrait,
    form: &SourceForm,
) -> Result<(String, SourceKind, i64, Rules), AppError> {
    let mut errors = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        errors.push(bad(
            "name",
            "Name the source, e.g. “Production Alertmanager”.",
        ));
    } else if name.chars().count() > 100 {
        errors.push(bad("name", "Keep the name under 100 characters."));
    }
    let kind = SourceKind::parse(&form.kind);
    if kind.is_none() {
        errors.push(bad("kind", "Choose what sends the alerts."));
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
        errors.push(bad(
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
                    errors.push(bad(
                        &format!("rule_{word}"),
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

fn issue_token() -> (String, String, String) {
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let hint = token[token.len() - 4..].to_owned();
    (sha256_hex(&token), hint, token)
}

fn audit_actor(admin: &CurrentUser, ip: Option<String>) -> Actor {
    Actor {
        id: Some(admin.id.0),
        email: Some(admin.email.clone()),
        ip,
    }
}

/// Adds a source and returns its token, which is shown once and stored only hashed.
pub async fn create_source(
    db: &impl ConnectionTrait,
    admin: &CurrentUser,
    form: SourceForm,
    ip: Option<String>,
) -> Result<IssuedToken, AppError> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let (name, kind, service_id, rules) = parse_form(db, &form).await?;
    let taken = source::Entity::find()
        .filter(source::Column::Name.eq(name.clone()))
        .count(db)
        .await?;
    if taken > 0 {
        return Err(AppError::invalid("name", "Another source has this name."));
    }
    let (hash, hint, token) = issue_token();
    let now = Utc::now();
    let created = source::ActiveModel {
        name: Set(name.clone()),
        kind: Set(kind.as_str().to_owned()),
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
        &audit_actor(admin, ip),
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
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let found = find_source(db, id).await?;
    let (hash, hint, token) = issue_token();
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
        &audit_actor(admin, ip),
        "alert_source.token_rotated",
        Some(&format!("alert source {}", found.id)),
        json!({ "name": found.name }),
    )
    .await?;
    Ok(IssuedToken {
        source_name: found.name,
        kind: SourceKind::parse(&found.kind).unwrap_or(SourceKind::Alertmanager),
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
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
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
        &audit_actor(admin, ip),
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
    crate::catalog::ServiceRef {
        id: m.id,
        slug: m.slug.clone(),
        name: m.name.clone(),
        owner_team: m.owner_team.clone(),
    }
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
            let rules: Rules = serde_json::from_str(&s.rules).unwrap_or_default();
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
                kind: SourceKind::parse(&s.kind).unwrap_or(SourceKind::Alertmanager),
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
        .map(|a| super::list::view(a, &names))
        .collect();
    Ok(AlertsAdmin {
        sources,
        recent,
        severities,
    })
}

/// What ingestion did with one alert.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    pub fingerprint: String,
    /// `opened`, `attached`, `repeated`, `recorded`, `resolved` or `acknowledged`.
    pub action: &'static str,
    /// The incident, as `INC-12`, when the alert belongs to one.
    pub incident: Option<String>,
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
                .filter(source::Column::TokenHash.eq(sha256_hex(t)))
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

/// Reads `body` in the source's format and applies every alert of it, or none.
pub async fn ingest<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    source: &source::Model,
    body: &[u8],
) -> Result<Vec<Outcome>, AppError> {
    let kind = SourceKind::parse(&source.kind).unwrap_or(SourceKind::Alertmanager);
    let alerts = match kind {
        SourceKind::PagerDuty => payload::parse_pagerduty(body).map(|a| vec![a]),
        SourceKind::Alertmanager | SourceKind::Grafana => payload::parse_alertmanager(body),
    }
    .map_err(|e| {
        AppError::Invalid(vec![FieldError {
            field: e.field,
            message: e.message,
        }])
    })?;
    let owner = owner_of(db, source).await?;
    let rules: Rules = serde_json::from_str(&source.rules).unwrap_or_default();
    let now = Utc::now();
    // A payload is applied whole or not at all, so one that met another writer is
    // simply applied again.
    let outcomes = crate::db::retrying(|| async {
        let txn = crate::db::begin_write(db).await?;
        // Two senders of the same group (or the same alert) must not both find it without
        // an incident and open two. SQLite's write lock already orders every payload; on
        // PostgreSQL each payload locks its own groups and fingerprints, so payloads of
        // other groups apply at the same time.
        lock_keys(&txn, source.id, &alerts).await?;
        let mut known = latest_of(&txn, source.id, &alerts).await?;
        let mut incidents = OpenIncidents::default();
        let payload = Payload {
            source,
            owner: &owner,
            rules: &rules,
            now,
        };
        let mut outcomes = Vec::with_capacity(alerts.len());
        for incoming in &alerts {
            let previous = match known.remove(&incoming.fingerprint) {
                Some(previous) => previous,
                // The same fingerprint again in this payload: read what the first wrote.
                None => latest(&txn, source.id, &incoming.fingerprint).await?,
            };
            outcomes.push(apply(&txn, payload, incoming.clone(), previous, &mut incidents).await?);
        }
        txn.commit().await?;
        Ok(outcomes)
    })
    .await?;
    touch_source(db, source, now).await?;
    Ok(outcomes)
}

/// Transaction-scoped PostgreSQL advisory locks on each group key and fingerprint of
/// the payload (both: a repeat is matched by fingerprint, a newcomer by group), taken
/// in one order so two payloads never wait on each other in a circle.
async fn lock_keys(
    txn: &impl ConnectionTrait,
    source_id: i64,
    alerts: &[IncomingAlert],
) -> Result<(), AppError> {
    if txn.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    let mut keys: Vec<i64> = alerts
        .iter()
        .flat_map(|a| {
            let group = a.group_key.as_ref().map(|g| format!("group:{g}"));
            [Some(format!("fingerprint:{}", a.fingerprint)), group]
        })
        .flatten()
        .map(|key| lock_key(source_id, &key))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    // One round trip for all of them, taken in the array's (sorted) order. The array
    // travels as its text form (`{1,2,3}`): numbers only, and no array support needed
    // from the driver.
    let array = format!(
        "{{{}}}",
        keys.iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock(t.k) \
         FROM unnest($1::text::bigint[]) WITH ORDINALITY AS t(k, n) ORDER BY t.n",
        [array.into()],
    ))
    .await?;
    Ok(())
}

/// A stable 64-bit lock id for `key` of a source: the first bytes of its SHA-256.
fn lock_key(source_id: i64, key: &str) -> i64 {
    let digest = sha256_hex(&format!("vigil-alert:{source_id}:{key}"));
    i64::from_str_radix(&digest[..15], 16).unwrap_or(0)
}

/// When the source last sent something, written at most once a second: in a storm,
/// every payload writing the same row would queue behind each other for nothing.
async fn touch_source(
    db: &impl ConnectionTrait,
    source: &source::Model,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let recently = now - chrono::Duration::seconds(1);
    if source.last_received_at.is_some_and(|t| t >= recently) {
        return Ok(());
    }
    source::Entity::update_many()
        .col_expr(source::Column::LastReceivedAt, Expr::value(now))
        .filter(source::Column::Id.eq(source.id))
        .filter(
            Condition::any()
                .add(source::Column::LastReceivedAt.is_null())
                .add(source::Column::LastReceivedAt.lt(recently)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The latest stored alert of each fingerprint in the payload, in one query.
async fn latest_of(
    db: &impl ConnectionTrait,
    source_id: i64,
    alerts: &[IncomingAlert],
) -> Result<HashMap<String, Option<alert::Model>>, AppError> {
    let fingerprints: Vec<String> = alerts.iter().map(|a| a.fingerprint.clone()).collect();
    let mut known: HashMap<String, Option<alert::Model>> =
        fingerprints.iter().map(|f| (f.clone(), None)).collect();
    let newest = Query::select()
        .expr(Expr::col(alert::Column::Id).max())
        .from(alert::Entity)
        .and_where(alert::Column::SourceId.eq(source_id))
        .and_where(alert::Column::Fingerprint.is_in(fingerprints))
        .group_by_col(alert::Column::Fingerprint)
        .to_owned();
    for row in alert::Entity::find()
        .filter(alert::Column::Id.in_subquery(newest))
        .all(db)
        .await?
    {
        known.insert(row.fingerprint.clone(), Some(row));
    }
    Ok(known)
}

/// The admin incidents are declared in the name of (the source's owner).
async fn owner_of(
    db: &impl ConnectionTrait,
    source: &source::Model,
) -> Result<CurrentUser, AppError> {
    let owner = user::Entity::find_by_id(source.owner_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("alert source owner missing"))?;
    Ok(CurrentUser {
        id: UserId(owner.id),
        email: owner.email,
        display_name: owner.display_name,
        role: Role::parse(&owner.role).unwrap_or(Role::Viewer),
        password_change_required: false,
        time_zone: None,
    })
}

/// The open incidents one payload has looked at, read once each: a payload's alerts
/// mostly belong to the same incident.
#[derive(Default)]
struct OpenIncidents(HashMap<i64, Option<incident::Model>>);

impl OpenIncidents {
    /// The incident `incident_id` names, if it is still open.
    async fn get(
        &mut self,
        db: &impl ConnectionTrait,
        incident_id: Option<i64>,
    ) -> Result<Option<incident::Model>, AppError> {
        let Some(id) = incident_id else {
            return Ok(None);
        };
        if let Some(known) = self.0.get(&id) {
            return Ok(known.clone());
        }
        let found = incident::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|i| Status::parse(&i.status).is_some_and(Status::is_open));
        self.0.insert(id, found.clone());
        Ok(found)
    }

    /// Read it again next time: this payload changed it.
    fn forget(&mut self, id: i64) {
        self.0.remove(&id);
    }
}

fn labels_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned())
}

/// The latest stored alert with this fingerprint from this source.
async fn latest(
    db: &impl ConnectionTrait,
    source_id: i64,
    fingerprint: &str,
) -> Result<Option<alert::Model>, AppError> {
    Ok(alert::Entity::find()
        .filter(alert::Column::SourceId.eq(source_id))
        .filter(alert::Column::Fingerprint.eq(fingerprint))
        .order_by_desc(alert::Column::Id)
        .one(db)
        .await?)
}

async fn timeline(
    db: &impl ConnectionTrait,
    incident_id: i64,
    owner: &CurrentUser,
    body: String,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    record_event(
        db,
        incident_id,
        owner,
        AutoEvent {
            kind: EventKind::Alert,
            body,
            at,
        },
    )
    .await
}

fn describe(source: &source::Model, a: &IncomingAlert) -> String {
    let mut text = format!("“{}” from {}", a.title, source.name);
    if let Some(sev) = &a.severity {
        text.push_str(&format!(" ({sev})"));
    }
    text
}

/// What every alert of one payload is applied with.
#[derive(Clone, Copy)]
struct Payload<'a> {
    source: &'a source::Model,
    owner: &'a CurrentUser,
    rules: &'a Rules,
    now: DateTime<Utc>,
}

/// Applies one alert, given the latest stored alert with its fingerprint.
async fn apply<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    payload: Payload<'_>,
    a: IncomingAlert,
    previous: Option<alert::Model>,
    incidents: &mut OpenIncidents,
) -> Result<Outcome, AppError> {
    let Payload {
        source,
        owner,
        rules,
        now,
    } = payload;
    let outcome = |action, incident: Option<i64>| Outcome {
        fingerprint: a.fingerprint.clone(),
        action,
        incident: incident.map(|i| IncidentRef(i).to_string()),
    };
    match a.state {
        AlertState::Resolved | AlertState::Acknowledged => {
            let Some(prev) = previous else {
                // Nothing to resolve: keep the record, open nothing.
                let stored = insert(db, source, &a, None, "recorded", now).await?;
                return Ok(outcome("recorded", stored.incident_id));
            };
            let resolved = a.state == AlertState::Resolved;
            if resolved {
                alert::ActiveModel {
                    id: Set(prev.id),
                    state: Set(a.state.as_str().to_owned()),
                    ends_at: Set(a.ends_at.or(Some(now))),
                    last_received_at: Set(now),
                    raw: Set(a.raw.clone()),
                    ..Default::default()
                }
                .update(db)
                .await?;
            }
            let open = incidents.get(db, prev.incident_id).await?;
            if let Some(incident) = open {
                let what = if resolved {
                    "resolved"
                } else {
                    "acknowledged by the sender"
                };
                timeline(
                    db,
                    incident.id,
                    owner,
                    format!("Alert {what}: “{}” from {}", prev.title, source.name),
                    now,
                )
                .await?;
                if resolved && source.auto_resolve {
                    auto_resolve(db, owner, &incident).await?;
                    incidents.forget(incident.id);
                }
            }
            Ok(outcome(
                if resolved { "resolved" } else { "acknowledged" },
                prev.incident_id,
            ))
        }
        AlertState::Firing => {
            // A repeat of an alert still being handled updates it in place.
            if let Some(prev) = previous {
                let open = incidents.get(db, prev.incident_id).await?;
                let still_recorded = prev.incident_id.is_none() && prev.state == "firing";
                if open.is_some() || still_recorded {
                    alert::ActiveModel {
                        id: Set(prev.id),
                        state: Set("firing".to_owned()),
                        labels: Set(labels_json(&a.labels)),
                        annotations: Set(labels_json(&a.annotations)),
                        raw: Set(a.raw.clone()),
                        repeats: Set(prev.repeats + 1),
                        last_received_at: Set(now),
                        ..Default::default()
                    }
                    .update(db)
                    .await?;
                    return Ok(outcome("repeated", prev.incident_id));
                }
            }
            // A new alert of a group that already has an open incident joins it.
            if let Some(group) = &a.group_key {
                let siblings = alert::Entity::find()
                    .filter(alert::Column::SourceId.eq(source.id))
                    .filter(alert::Column::GroupKey.eq(group.clone()))
                    .filter(alert::Column::IncidentId.is_not_null())
                    .order_by_desc(alert::Column::Id)
                    .limit(20)
                    .all(db)
                    .await?;
                for sibling in siblings {
                    if let Some(incident) = incidents.get(db, sibling.incident_id).await? {
                        insert(db, source, &a, Some(incident.id), "attached", now).await?;
                        timeline(
                            db,
                            incident.id,
                            owner,
                            format!("Alert joined: {}", describe(source, &a)),
                            now,
                        )
                        .await?;
                        return Ok(outcome("attached", Some(incident.id)));
                    }
                }
            }
            match rules.get(severity_word(a.severity.as_deref())) {
                Some(Rule::Open { severity_id }) => {
                    let service_id = labelled_service(db, &a).await?.unwrap_or(source.service_id);
                    let mut summary = a.description.clone();
                    if let Some(url) = &a.generator_url {
                        summary.push_str(&format!("\n\nSource: {url}"));
                    }
                    let reference = declare_incident(
                        db,
                        owner,
                        Declaration {
                            title: a.title.clone(),
                            severity_id: *severity_id,
                            service_ids: vec![service_id],
                            summary: summary.trim().to_owned(),
                            customer_impact: false,
                            commander_id: None,
                        },
                    )
                    .await?;
                    // The alert firing is when the problem was detected.
                    if let Some(started) = a.starts_at.filter(|t| *t < now) {
                        incident::ActiveModel {
                            id: Set(reference.0),
                            detected_at: Set(Some(started)),
                            ..Default::default()
                        }
                        .update(db)
                        .await?;
                    }
                    insert(db, source, &a, Some(reference.0), "opened", now).await?;
                    timeline(
                        db,
                        reference.0,
                        owner,
                        format!("Opened by alert: {}", describe(source, &a)),
                        now,
                    )
                    .await?;
                    Ok(outcome("opened", Some(reference.0)))
                }
                _ => {
                    insert(db, source, &a, None, "recorded", now).await?;
                    Ok(outcome("recorded", None))
                }
            }
        }
    }
}

/// The service a `service` label names (by slug or name), when it exists and is active.
async fn labelled_service(
    db: &impl ConnectionTrait,
    a: &IncomingAlert,
) -> Result<Option<i64>, AppError> {
    let Some(label) = a
        .labels
        .get("service")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    Ok(service::Entity::find()
        .filter(service::Column::ArchivedAt.is_null())
        .filter(
            Condition::any()
                .add(service::Column::Slug.eq(label.to_ascii_lowercase()))
                .add(service::Column::Name.eq(label)),
        )
        .one(db)
        .await?
        .map(|s| s.id))
}

async fn insert(
    db: &impl ConnectionTrait,
    source: &source::Model,
    a: &IncomingAlert,
    incident_id: Option<i64>,
    action: &str,
    now: DateTime<Utc>,
) -> Result<alert::Model, AppError> {
    Ok(alert::ActiveModel {
        source_id: Set(source.id),
        fingerprint: Set(a.fingerprint.clone()),
        group_key: Set(a.group_key.clone()),
        state: Set(a.state.as_str().to_owned()),
        title: Set(a.title.clone()),
        description: Set(a.description.clone()),
        severity: Set(a.severity.clone().map(|s| s.chars().take(50).collect())),
        labels: Set(labels_json(&a.labels)),
        annotations: Set(labels_json(&a.annotations)),
        starts_at: Set(a.starts_at),
        ends_at: Set(a.ends_at),
        generator_url: Set(a.generator_url.clone()),
        raw: Set(a.raw.clone()),
        incident_id: Set(incident_id),
        action: Set(action.to_owned()),
        repeats: Set(0),
        received_at: Set(now),
        last_received_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// With auto-resolve on, an incident whose alerts have all resolved moves to resolved,
/// if its lifecycle allows that move now.
async fn auto_resolve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    owner: &CurrentUser,
    incident: &incident::Model,
) -> Result<(), AppError> {
    let firing = alert::Entity::find()
        .filter(alert::Column::IncidentId.eq(incident.id))
        .filter(alert::Column::State.eq("firing"))
        .count(db)
        .await?;
    let status = Status::parse(&incident.status).unwrap_or(Status::Triage);
    if firing == 0 && status.can_move_to(Status::Resolved) {
        change_status(
            db,
            owner,
            IncidentRef(incident.id),
            Status::Resolved,
            None,
            incident.version,
        )
        .await?;
    }
    Ok(())
}
