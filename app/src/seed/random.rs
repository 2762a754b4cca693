//! A deterministic random incident history: the same `seed` always gives the same data,
//! so benchmark numbers compare across runs. Rows are bulk-inserted with explicit ids.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect, Set,
};

use crate::accounts::Role;
use crate::catalog::entities::service;
use crate::changes::entities::{change, change_service, incident_change};
use crate::changes::{Cause, ChangeKind, ChangeOutcome};
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::Status;
use crate::incidents::entities::{incident, incident_service, severity};

/// SplitMix64: tiny, fast and good enough for test data; no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct RandomSeed {
    pub incidents: u64,
    pub services: u64,
    pub seed: u64,
    /// Incidents are spread over this many days before `now`.
    pub days: i64,
    pub now: DateTime<Utc>,
    /// Changes to add over the same days (deploys mostly); about one incident in ten
    /// gets a deploy of its service shortly before it, linked as its confirmed cause.
    pub changes: u64,
}

/// What was generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub services: u64,
    pub incidents: u64,
    pub changes: u64,
}

const CHUNK: usize = 400;

async fn next_id<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
) -> Result<i64, AppError> {
    let max: Option<Option<i64>> = E::find()
        .select_only()
        .column_as(
            sea_orm::sea_query::ExprTrait::max(sea_orm::sea_query::Expr::col(column)),
            "m",
        )
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

/// Adds `services` services (named `svc-0001`…) and `incidents` incidents over the last
/// `days` days: mostly short, some long, a few still open, about one in five with two
/// services. Deterministic for a given `seed` and `now`.
pub async fn seed_random(db: &impl Writer, spec: RandomSeed) -> Result<Generated, AppError> {
    let creator = super::seed_user(db, "seed@vigil.invalid", "Seed data", Role::Viewer).await?;
    let severities: Vec<severity::Model> = severity::Entity::find().all(db).await?;
    let default_type = crate::incidents::service::types::default_type(db)
        .await?
        .map(|t| t.id);
    if severities.is_empty() {
        return Err(AppError::Conflict {
            message: "The database has no severity levels; run the migrations first.".into(),
        });
    }
    let mut rng = Rng::new(spec.seed);
    let now = spec.now;
    let txn = crate::db::begin_write(db).await?;

    let first_service = next_id::<service::Entity>(&txn, service::Column::Id).await?;
    let existing = service::Entity::find().count(&txn).await?;
    let mut rows = Vec::new();
    for n in 0..spec.services {
        let id = first_service + n as i64;
        let tiered = rng.below(3) as i32 + 1;
        let slo = match rng.below(4) {
            0 => None,
            1 => Some(990_000),
            2 => Some(999_000),
            _ => Some(999_500),
        };
        rows.push(service::ActiveModel {
            id: Set(id),
            slug: Set(format!("svc-{:04}-{}", existing + n + 1, spec.seed)),
            name: Set(format!("svc-{:04} ({})", existing + n + 1, spec.seed)),
            owner_team: Set(Some(format!("team-{}", rng.below(40) + 1))),
            description: Set(String::new()),
            tier: Set(tiered),
            slo_target_ppm: Set(slo),
            slo_window_days: Set(if rng.chance(50) { 28 } else { 30 }),
            failure_severity_position: Set(if rng.chance(25) { Some(2) } else { None }),
            archived_at: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    for chunk in rows.chunks(CHUNK) {
        service::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }

    let first_incident = next_id::<incident::Entity>(&txn, incident::Column::Id).await?;
    let span_secs = (spec.days * 86_400).max(1) as u64;
    let mut incidents = Vec::with_capacity(CHUNK);
    let mut links = Vec::with_capacity(CHUNK * 2);
    // (incident, service, impact start): the incidents a seeded deploy caused.
    let mut caused: Vec<(i64, i64, DateTime<Utc>)> = Vec::new();
    for n in 0..spec.incidents {
        let id = first_incident + n as i64;
        let declared = now - Duration::seconds(rng.below(span_secs) as i64);
        let start = declared - Duration::seconds(rng.below(1800) as i64);
        let known_start = rng.chance(80);
        let detected = start
            + Duration::seconds(rng.below((declared - start).num_seconds() as u64 + 1) as i64);
        // Without a known start, metrics measure from the declaration.
        let (start_eff, detected_eff) = if known_start {
            (start, detected)
        } else {
            (declared, declared)
        };
        // Restore times: mostly minutes, a tail of hours.
        let restore = match rng.below(10) {
            0..=5 => 300 + rng.below(3_000),
            6..=8 => 3_600 + rng.below(4 * 3_600),
            _ => 6 * 3_600 + rng.below(24 * 3_600),
        } as i64;
        let mitigated = start_eff + Duration::seconds(restore);
        let open = mitigated > now || rng.chance(1) && declared > now - Duration::days(2);
        let acknowledged = rng
            .chance(90)
            .then(|| detected_eff.max(declared) + Duration::seconds(30 + rng.below(1_200) as i64))
            .filter(|a| *a <= now);
        let resolved = (!open)
            .then(|| mitigated + Duration::seconds(rng.below(7_200) as i64))
            .filter(|r| *r <= now);
        let severity = &severities[match rng.below(100) {
            0..=4 => 0,
            5..=24 => 1,
            25..=64 => 2,
            _ => 3,
        }
        .min(severities.len() - 1)];
        incidents.push(incident::ActiveModel {
            id: Set(id),
            title: Set(format!("Seeded incident {}", n + 1)),
            summary: Set(String::new()),
            severity_id: Set(severity.id),
            status: Set(if open {
                Status::Investigating
            } else if resolved.is_some() {
                Status::Closed
            } else {
                Status::Monitoring
            }),
            customer_impact: Set(rng.chance(50)),
            impact_started_at: Set(known_start.then_some(start)),
            detected_at: Set(known_start.then_some(detected)),
            declared_at: Set(declared),
            acknowledged_at: Set(acknowledged),
            mitigated_at: Set((!open).then_some(mitigated)),
            resolved_at: Set(resolved),
            closed_at: Set(resolved),
            merged_into_id: Set(None),
            type_id: Set(default_type),
            postmortem_required_by: Set(None),
            created_by: Set(creator),
            version: Set(1),
            created_at: Set(declared),
            updated_at: Set(declared),
        });
        let svc = first_service + rng.below(spec.services.max(1)) as i64;
        if (caused.len() as u64) < spec.changes / 2 && rng.chance(10) {
            caused.push((id, svc, start_eff));
        }
        links.push(incident_service::ActiveModel {
            incident_id: Set(id),
            service_id: Set(svc),
        });
        if spec.services > 1 && rng.chance(20) {
            let other = first_service + rng.below(spec.services) as i64;
            if other != svc {
                links.push(incident_service::ActiveModel {
                    incident_id: Set(id),
                    service_id: Set(other),
                });
            }
        }
        if incidents.len() == CHUNK {
            incident::Entity::insert_many(std::mem::take(&mut incidents))
                .exec(&txn)
                .await?;
            incident_service::Entity::insert_many(std::mem::take(&mut links))
                .exec(&txn)
                .await?;
        }
    }
    if !incidents.is_empty() {
        incident::Entity::insert_many(incidents).exec(&txn).await?;
    }
    if !links.is_empty() {
        incident_service::Entity::insert_many(links)
            .exec(&txn)
            .await?;
    }
    let services: Vec<i64> = (first_service..first_service + spec.services as i64).collect();
    seed_changes(&txn, &mut rng, &spec, &services, creator, &caused).await?;
    finish(db, txn).await?;
    Ok(Generated {
        services: spec.services,
        incidents: spec.incidents,
        changes: spec.changes,
    })
}

/// Commits a seeding transaction: sequences past the explicit ids, fresh statistics.
async fn finish(db: &impl Writer, txn: crate::db::Write) -> Result<(), AppError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // Explicit ids leave the sequences behind; later inserts must not collide.
        for table in ["services", "incidents", "changes"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }
    txn.commit().await?;
    crate::catalog::known::wrote();
    // Fresh statistics, so the planner reads the bulk-loaded history the way it would
    // after autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) caught up.
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// Adds `changes` changes over the last `days` days to the services already there, none
/// linked to an incident: a history grown to a million changes, for the benchmark.
/// Deterministic for a given `seed`, `now` and set of services.
pub async fn seed_more_changes(
    db: &impl Writer,
    seed: u64,
    days: i64,
    now: DateTime<Utc>,
    changes: u64,
) -> Result<(), AppError> {
    let services: Vec<i64> = service::Entity::find()
        .select_only()
        .column(service::Column::Id)
        .order_by_asc(service::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let creator = super::seed_user(db, "seed@vigil.invalid", "Seed data", Role::Viewer).await?;
    let spec = RandomSeed {
        incidents: 0,
        services: services.len() as u64,
        seed,
        days,
        now,
        changes,
    };
    let txn = crate::db::begin_write(db).await?;
    seed_changes(&txn, &mut Rng::new(seed), &spec, &services, creator, &[]).await?;
    finish(db, txn).await
}

/// `spec.changes` changes: first a deploy before each of `caused` (linked as its
/// confirmed cause, often rolled back), then the rest spread over the days at random
/// over `services`.
async fn seed_changes(
    txn: &impl ConnectionTrait,
    rng: &mut Rng,
    spec: &RandomSeed,
    services: &[i64],
    creator: i64,
    caused: &[(i64, i64, DateTime<Utc>)],
) -> Result<(), AppError> {
    if services.is_empty() && spec.changes > 0 {
        return Err(AppError::Conflict {
            message: "Changes are made to services: add at least one.".into(),
        });
    }
    let now = spec.now;
    let first = next_id::<change::Entity>(txn, change::Column::Id).await?;
    let span_secs = (spec.days * 86_400).max(1) as u64;
    let (mut rows, mut links, mut causes) = (Vec::new(), Vec::new(), Vec::new());
    // `caused` holds at most half of `spec.changes`.
    for n in 0..spec.changes {
        let id = first + n as i64;
        let cause = caused.get(n as usize);
        let (service, started) = match cause {
            Some((_, svc, start)) => (
                *svc,
                *start - Duration::seconds(300 + rng.below(3_300) as i64),
            ),
            None => (
                services[rng.below(services.len() as u64) as usize],
                now - Duration::seconds(rng.below(span_secs) as i64),
            ),
        };
        let kind = match (cause, rng.below(10)) {
            (Some(_), _) | (None, 0..=7) => ChangeKind::Deploy,
            (None, 8) => ChangeKind::Config,
            (None, _) => ChangeKind::FeatureFlag,
        };
        let outcome = match (cause, rng.below(100)) {
            (Some(_), 0..=49) => ChangeOutcome::RolledBack,
            (Some(_), _) | (None, 0..=94) => ChangeOutcome::Succeeded,
            (None, 95..=97) => ChangeOutcome::Failed,
            (None, _) => ChangeOutcome::RolledBack,
        };
        let finished = (started + Duration::seconds(60 + rng.below(840) as i64)).min(now);
        let committed = rng
            .chance(70)
            .then(|| started - Duration::seconds(600 + rng.below(3 * 86_400) as i64));
        rows.push(change::ActiveModel {
            id: Set(id),
            kind: Set(kind),
            title: Set(format!("Seeded {} {}", kind.as_str(), n + 1)),
            version: Set(Some(format!("v{}.{}", n / 100, n % 100))),
            author: Set(Some(format!("dev-{}", rng.below(60) + 1))),
            link: Set(None),
            started_secs: Set(started.timestamp()),
            finished_secs: Set(Some(finished.timestamp())),
            committed_secs: Set(committed.map(|c| c.timestamp())),
            outcome: Set(outcome),
            source: Set("seed".into()),
            external_id: Set(None),
            reverts_id: Set(None),
            created_by: Set(None),
            created_at: Set(started),
            updated_at: Set(started),
        });
        links.push(change_service::ActiveModel {
            change_id: Set(id),
            service_id: Set(service),
            started_secs: Set(started.timestamp()),
        });
        if let Some((incident, _, _)) = cause {
            causes.push(incident_change::ActiveModel {
                incident_id: Set(*incident),
                change_id: Set(id),
                cause: Set(Cause::Confirmed),
                linked_by: Set(creator),
                linked_at: Set(started),
            });
        }
        if rows.len() == CHUNK {
            change::Entity::insert_many(std::mem::take(&mut rows))
                .exec(txn)
                .await?;
            change_service::Entity::insert_many(std::mem::take(&mut links))
                .exec(txn)
                .await?;
        }
    }
    if !rows.is_empty() {
        change::Entity::insert_many(rows).exec(txn).await?;
        change_service::Entity::insert_many(links).exec(txn).await?;
    }
    for chunk in causes.chunks(CHUNK) {
        incident_change::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    Ok(())
}
