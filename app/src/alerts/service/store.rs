//! What ingestion reads and writes besides the steps themselves: the locks a payload
//! takes, the alerts stored before it, the incidents it looks at, and the rows it adds.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::alerts::entities::{alert, source};
use crate::alerts::payload::IncomingAlert;
use crate::alerts::{AlertAction, AlertState};
use crate::error::AppError;
use crate::incidents::entities::incident;

/// Transaction-scoped PostgreSQL advisory locks on each group key and fingerprint of
/// the payload (both: a repeat is matched by fingerprint, a newcomer by group), taken
/// in one order so two payloads never wait on each other in a circle.
pub(super) async fn lock_keys(
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
pub(super) fn lock_key(source_id: i64, key: &str) -> i64 {
    let digest = crate::secrets::hash(&format!("vigil-alert:{source_id}:{key}"));
    i64::from_str_radix(&digest[..15], 16).unwrap_or(0)
}

/// When the source last sent something, written at most once a second: in a storm,
/// every payload writing the same row would queue behind each other for nothing.
pub(super) async fn touch_source(
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
pub(super) async fn latest_of(
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

/// The open incidents one payload has looked at, read once each: a payload's alerts
/// mostly belong to the same incident.
#[derive(Default)]
pub(super) struct OpenIncidents(HashMap<i64, Option<incident::Model>>);

impl OpenIncidents {
    /// The incident `incident_id` names, if it is still open.
    pub(super) async fn get(
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
            .filter(|i| i.status.is_open());
        self.0.insert(id, found.clone());
        Ok(found)
    }

    /// Read it again next time: this payload changed it.
    pub(super) fn forget(&mut self, id: i64) {
        self.0.remove(&id);
    }
}

/// A firing alert seen again while its incident is open (or it is a record still
/// firing): it counts one more repeat and keeps the newest labels, annotations and body
/// when they changed (`texts`; a sender resending a group mostly sends the same ones).
pub(super) struct Repeat {
    pub id: i64,
    pub texts: Option<RepeatTexts>,
}

pub(super) struct RepeatTexts {
    pub labels: String,
    pub annotations: String,
    pub raw: String,
}

/// Writes a payload's repeats in one statement (a storm's payloads are mostly repeats,
/// seven alerts a post: one round trip instead of seven), and empties `repeats`. Texts
/// are written only for the repeats whose texts changed: on PostgreSQL every row version
/// is written whole either way, but the statement stays small and the row's values stay
/// where they are (a body over 2 KB is not stored out of line again).
pub(super) async fn write_repeats(
    db: &impl ConnectionTrait,
    repeats: &mut Vec<Repeat>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if repeats.is_empty() {
        return Ok(());
    }
    let mut update = alert::Entity::update_many()
        .col_expr(alert::Column::State, Expr::value(AlertState::Firing))
        .col_expr(
            alert::Column::Repeats,
            Expr::col(alert::Column::Repeats).add(1),
        )
        .col_expr(alert::Column::LastReceivedAt, Expr::value(now))
        .filter(alert::Column::Id.is_in(repeats.iter().map(|r| r.id)));
    let changed: Vec<(i64, &RepeatTexts)> = repeats
        .iter()
        .filter_map(|r| Some((r.id, r.texts.as_ref()?)))
        .collect();
    if let Some(((first_id, first), rest)) = changed.split_first() {
        let id = || Expr::col(alert::Column::Id);
        // Each text column takes the value of the row's own repeat: CASE id WHEN .. THEN ..
        let per_row = |value: fn(&RepeatTexts) -> &String, column: alert::Column| {
            let mut case = Expr::case(id().eq(*first_id), value(first).clone());
            for (id_of, texts) in rest {
                case = case.case(id().eq(*id_of), value(texts).clone());
            }
            case.finally(Expr::col(column))
        };
        update = update
            .col_expr(
                alert::Column::Labels,
                per_row(|t| &t.labels, alert::Column::Labels).into(),
            )
            .col_expr(
                alert::Column::Annotations,
                per_row(|t| &t.annotations, alert::Column::Annotations).into(),
            )
            .col_expr(
                alert::Column::Raw,
                per_row(|t| &t.raw, alert::Column::Raw).into(),
            );
    }
    update.exec(db).await?;
    repeats.clear();
    Ok(())
}

pub(super) fn labels_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned())
}

/// The latest stored alert with this fingerprint from this source.
pub(super) async fn latest(
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

pub(super) async fn insert(
    db: &impl ConnectionTrait,
    source: &source::Model,
    a: &IncomingAlert,
    incident_id: Option<i64>,
    action: AlertAction,
    now: DateTime<Utc>,
) -> Result<alert::Model, AppError> {
    Ok(alert::ActiveModel {
        source_id: Set(source.id),
        fingerprint: Set(a.fingerprint.clone()),
        group_key: Set(a.group_key.clone()),
        state: Set(a.state),
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
        action: Set(action),
        repeats: Set(0),
        received_at: Set(now),
        last_received_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}
