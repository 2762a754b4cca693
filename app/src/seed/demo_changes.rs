//! The demo's deploy history: every service deployed every few days over the last 90,
//! with config changes and flag flips between, and the deploy behind the first story's
//! outage (a connection pool change, found as its cause and rolled back).

use chrono::{DateTime, Duration, Timelike, Utc};

use crate::accounts::CurrentUser;
use crate::changes::service::{NewChange, link_cause, record};
use crate::changes::{Cause, ChangeKind, ChangeOutcome};
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::IncidentRef;

const AUTHORS: [&str; 4] = ["alex.rivera", "sam.okafor", "priya.n", "jordan.lee"];
/// How far back the history reaches, in days.
const DAYS: i64 = 90;

/// Records the history for services `slugs` (in the demo's order) up to `now`.
pub async fn seed_history(
    db: &impl Writer,
    slugs: &[String],
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut recorded = 0;
    let start = (now - Duration::days(DAYS))
        .with_hour(9)
        .and_then(|t| t.with_minute(0))
        .unwrap_or(now - Duration::days(DAYS));
    for (s, slug) in slugs.iter().enumerate() {
        let s = s as i64;
        // Busier services ship more often: every 2, 3, 4 .. days, a few hours apart.
        let every = 2 + s;
        let mut day = s % every;
        let mut n = 0;
        while day < DAYS {
            let started = start + Duration::days(day) + Duration::hours(1 + (day * 7 + s) % 8);
            if started >= now {
                break;
            }
            n += 1;
            let (kind, title, outcome) = match n % 9 {
                4 => (
                    ChangeKind::Config,
                    "Raise request timeout",
                    ChangeOutcome::Succeeded,
                ),
                7 => (
                    ChangeKind::FeatureFlag,
                    "Enable new retry policy for 10% of traffic",
                    ChangeOutcome::Succeeded,
                ),
                _ if n % 13 == 0 => (ChangeKind::Deploy, "Deploy main", ChangeOutcome::Failed),
                _ => (ChangeKind::Deploy, "Deploy main", ChangeOutcome::Succeeded),
            };
            let version = (kind == ChangeKind::Deploy)
                .then(|| format!("{}-{}", started.format("%Y.%m.%d"), 1 + n % 3));
            record(
                db,
                None,
                &NewChange {
                    kind: Some(kind),
                    title: title.into(),
                    version,
                    author: Some(AUTHORS[(n as usize + s as usize) % AUTHORS.len()].into()),
                    link: Some(format!("https://ci.example.com/{slug}/runs/{}", 1000 + n)),
                    started_at: Some(started),
                    finished_at: Some(started + Duration::minutes(6 + n % 10)),
                    committed_at: (kind == ChangeKind::Deploy)
                        .then(|| started - Duration::hours(2 + n % 20)),
                    outcome: Some(outcome),
                    source: Some("github-actions".into()),
                    external_id: Some(format!("demo-{slug}-{n}")),
                    reverts: None,
                    services: vec![slug.clone()],
                },
            )
            .await?;
            recorded += 1;
            day += every;
        }
    }
    Ok(recorded)
}

/// The deploy that caused `reference` (impact from `impact`, on service `slug`), marked
/// its confirmed cause by `commander`, and its rollback `rolled_back` minutes in.
pub async fn seed_cause(
    db: &impl Writer,
    commander: &CurrentUser,
    reference: IncidentRef,
    slug: &str,
    impact: DateTime<Utc>,
    rolled_back: i64,
) -> Result<(), AppError> {
    let started = impact - Duration::minutes(25);
    let version = format!("{}-2", started.format("%Y.%m.%d"));
    let cause = record(
        db,
        None,
        &NewChange {
            kind: Some(ChangeKind::Deploy),
            title: "Raise the database connection pool to 400".into(),
            version: Some(version.clone()),
            author: Some("sam.okafor".into()),
            link: Some(format!("https://ci.example.com/{slug}/runs/pool-400")),
            started_at: Some(started),
            finished_at: Some(started + Duration::minutes(12)),
            committed_at: Some(started - Duration::hours(5)),
            outcome: Some(ChangeOutcome::Succeeded),
            source: Some("github-actions".into()),
            external_id: Some(format!("demo-{slug}-pool-400")),
            reverts: None,
            services: vec![slug.to_owned()],
        },
    )
    .await?
    .change;
    link_cause(db, commander, reference, cause.id, Some(Cause::Confirmed)).await?;
    let back = impact + Duration::minutes(rolled_back - 4);
    record(
        db,
        None,
        &NewChange {
            kind: Some(ChangeKind::Deploy),
            title: format!("Roll back {version}"),
            version: Some(format!("{}-1", started.format("%Y.%m.%d"))),
            author: Some("alex.rivera".into()),
            link: None,
            started_at: Some(back),
            finished_at: Some(back + Duration::minutes(4)),
            committed_at: None,
            outcome: Some(ChangeOutcome::Succeeded),
            source: Some("github-actions".into()),
            external_id: Some(format!("demo-{slug}-rollback")),
            reverts: Some(cause.id),
            services: vec![slug.to_owned()],
        },
    )
    .await?;
    Ok(())
}
