//! Delivery metrics, the DORA four keys, over the deploys Vigil records:
//! - deployment frequency: deploys that reached production (succeeded, rolled back, or
//!   linked to an incident) per day and per week of the window;
//! - lead time for changes: commit to the deploy's finish (its start while running),
//!   where the commit time is known;
//! - change failure rate: those deploys linked to an incident as its suspected or
//!   confirmed cause, over all of them;
//! - time to restore: impact start (or declaration) to mitigation of the incidents a
//!   deploy caused.
//!
//! Each comes with its performance band by the thresholds of the *Accelerate State of
//! DevOps Report 2023* (DORA, Google Cloud), table "Software delivery performance":
//! elite deploys on demand, lead time under a day, 5% failures, recovery under an hour;
//! high between once a day and once a week, a day to a week, 10%, under a day; medium
//! between once a week and once a month, a week to a month, 15%, a day to a week; low
//! 64% failures, a month to six months to recover. The report's low cluster shares the
//! medium one's frequency and lead time; here anything slower than medium is low.

use serde::{Deserialize, Serialize};

use super::formulas::{DurationStats, Secs, Span, duration_stats};
use crate::named::named_enum;

const HOUR: f64 = 3600.0;
const DAY: f64 = 24.0 * HOUR;
const WEEK: f64 = 7.0 * DAY;

/// A deploy as the delivery metrics read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployFact {
    /// Its start: what windows and periods count it by.
    pub at: Secs,
    pub finished: Option<Secs>,
    pub committed: Option<Secs>,
    /// Succeeded or rolled back: it reached production.
    pub reached_production: bool,
    /// Linked to an incident as its suspected or confirmed cause.
    pub caused_incident: bool,
}

/// An incident a deploy caused: its impact start (or declaration) and mitigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CausedIncident {
    pub start: Secs,
    pub mitigated: Option<Secs>,
}

named_enum! {
    /// A performance band of the State of DevOps report.
    pub enum Band {
        Elite => "elite", "Elite";
        High => "high", "High";
        Medium => "medium", "Medium";
        Low => "low", "Low";
    }
}

/// The four keys over one window.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// Deploys that reached production in the window.
    pub deploys: i64,
    /// Of those, linked to an incident as a cause.
    pub failed: i64,
    /// Deploys per day; null without deploys.
    pub per_day: Option<f64>,
    pub per_week: Option<f64>,
    pub frequency_band: Option<Band>,
    /// Commit to finished deploy, over the deploys whose commit time is known.
    pub lead_time: DurationStats,
    pub lead_time_band: Option<Band>,
    /// Failed over deploys, 0 to 1; null without deploys.
    pub change_failure_rate: Option<f64>,
    pub failure_band: Option<Band>,
    /// Impact start to mitigation of the incidents deploys caused.
    pub restore: DurationStats,
    pub restore_band: Option<Band>,
}

/// The four keys of `deploys` and the incidents they caused, over `window`. Deploys and
/// incidents outside the window are not counted.
pub fn delivery(window: Span, deploys: &[DeployFact], caused: &[CausedIncident]) -> Delivery {
    let inside = |at: Secs| at >= window.start && at < window.end;
    let counted: Vec<&DeployFact> = deploys
        .iter()
        .filter(|d| inside(d.at) && (d.reached_production || d.caused_incident))
        .collect();
    let n = counted.len() as i64;
    let failed = counted.iter().filter(|d| d.caused_incident).count() as i64;
    let days = window.len() as f64 / DAY;
    let per_day = (n > 0 && days > 0.0).then(|| n as f64 / days);
    let lead_time = duration_stats(counted.iter().filter_map(|d| lead_time(d)).collect());
    let change_failure_rate = (n > 0).then(|| failed as f64 / n as f64);
    let restore = duration_stats(
        caused
            .iter()
            .filter(|i| inside(i.start))
            .filter_map(|i| i.mitigated.map(|m| (m - i.start).max(0)))
            .collect(),
    );
    Delivery {
        deploys: n,
        failed,
        per_day,
        per_week: per_day.map(|d| d * 7.0),
        frequency_band: per_day.map(frequency_band),
        lead_time_band: lead_time.median.map(lead_time_band),
        lead_time,
        failure_band: change_failure_rate.map(failure_band),
        change_failure_rate,
        restore_band: restore.median.map(restore_band),
        restore,
    }
}

/// A deploy's lead time: commit to finish (its start while running), if the commit
/// time is known.
pub fn lead_time(d: &DeployFact) -> Option<Secs> {
    d.committed.map(|c| (d.finished.unwrap_or(d.at) - c).max(0))
}

/// Elite at a deploy a day or more (on demand), high at one a week, medium at one a
/// month (30 days).
pub fn frequency_band(per_day: f64) -> Band {
    match per_day {
        p if p >= 1.0 => Band::Elite,
        p if p >= 1.0 / 7.0 => Band::High,
        p if p >= 1.0 / 30.0 => Band::Medium,
        _ => Band::Low,
    }
}

/// Elite under a day, high under a week, medium under a month (30 days).
pub fn lead_time_band(seconds: f64) -> Band {
    match seconds {
        s if s < DAY => Band::Elite,
        s if s < WEEK => Band::High,
        s if s < 30.0 * DAY => Band::Medium,
        _ => Band::Low,
    }
}

/// Elite at 5% or less, high at 10%, medium at 15%.
pub fn failure_band(rate: f64) -> Band {
    match rate {
        r if r <= 0.05 => Band::Elite,
        r if r <= 0.10 => Band::High,
        r if r <= 0.15 => Band::Medium,
        _ => Band::Low,
    }
}

/// Elite under an hour, high under a day, medium under a week.
pub fn restore_band(seconds: f64) -> Band {
    match seconds {
        s if s < HOUR => Band::Elite,
        s if s < DAY => Band::High,
        s if s < WEEK => Band::Medium,
        _ => Band::Low,
    }
}

/// Deploys per period (weeks or months of the report), split into those that caused an
/// incident and the rest: the chart's bars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeployBucket {
    /// First day of the period, `YYYY-MM-DD` (UTC).
    pub bucket: String,
    pub fine: i64,
    pub failed: i64,
    /// Median lead time of the period's deploys with a commit time, in seconds.
    pub lead_time_median: Option<f64>,
    /// Failed over deploys in the period, 0 to 1; null without deploys.
    pub change_failure_rate: Option<f64>,
    /// Median impact start to mitigation of the deploy-caused incidents that started in
    /// the period, in seconds.
    pub restore_median: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Secs = 86_400;

    fn deploy(at: Secs, committed: Option<Secs>, caused: bool) -> DeployFact {
        DeployFact {
            at,
            finished: Some(at),
            committed,
            reached_production: true,
            caused_incident: caused,
        }
    }

    /// A month with known deploys, failures and restores, computed by hand.
    #[test]
    fn a_month_of_deploys_gives_the_four_keys_by_hand() {
        let window = Span {
            start: 0,
            end: 30 * D,
        };
        let mut deploys = Vec::new();
        // 60 deploys, two a day; lead times of 2 h (even days) and 30 h (odd days).
        for day in 0..30 {
            for k in 0..2 {
                let at = day * D + k * 3600 + 12 * 3600;
                let lead = if day % 2 == 0 { 2 * 3600 } else { 30 * 3600 };
                deploys.push(deploy(
                    at,
                    Some(at - lead),
                    day == 3 && k == 0 || day == 20 && k == 1,
                ));
            }
        }
        // Outside the window, a failed pipeline that never reached production, and an
        // unknown commit time: none of them changes the numbers but the last's count.
        deploys.push(deploy(-D, Some(-2 * D), true));
        deploys.push(DeployFact {
            at: 5 * D,
            finished: None,
            committed: None,
            reached_production: false,
            caused_incident: false,
        });
        deploys.push(deploy(6 * D, None, false));
        let caused = [
            CausedIncident {
                start: 3 * D,
                mitigated: Some(3 * D + 1800),
            },
            CausedIncident {
                start: 20 * D,
                mitigated: Some(20 * D + 5400),
            },
            // Not yet mitigated: not a restore.
            CausedIncident {
                start: 25 * D,
                mitigated: None,
            },
        ];
        let d = delivery(window, &deploys, &caused);
        assert_eq!(d.deploys, 61);
        assert_eq!(d.failed, 2);
        assert!((d.per_day.unwrap() - 61.0 / 30.0).abs() < 1e-9);
        assert!((d.per_week.unwrap() - 61.0 * 7.0 / 30.0).abs() < 1e-9);
        assert_eq!(d.frequency_band, Some(Band::Elite));
        // 30 of 2 h, 30 of 30 h: the median is the mean of the middle two, 16 h.
        assert_eq!(d.lead_time.count, 60);
        assert_eq!(d.lead_time.median, Some(16.0 * 3600.0));
        assert_eq!(d.lead_time_band, Some(Band::Elite));
        assert!((d.change_failure_rate.unwrap() - 2.0 / 61.0).abs() < 1e-12);
        assert_eq!(d.failure_band, Some(Band::Elite));
        assert_eq!(d.restore.count, 2);
        assert_eq!(d.restore.median, Some(3600.0));
        assert_eq!(d.restore_band, Some(Band::High));
    }

    #[test]
    fn no_deploys_is_no_data_not_zero() {
        let d = delivery(Span { start: 0, end: D }, &[], &[]);
        assert_eq!(d.deploys, 0);
        assert_eq!((d.per_day, d.change_failure_rate), (None, None));
        assert_eq!(
            (
                d.frequency_band,
                d.lead_time_band,
                d.failure_band,
                d.restore_band
            ),
            (None, None, None, None)
        );
        assert_eq!(d.lead_time.median, None);
    }

    #[test]
    fn bands_change_at_the_reports_thresholds() {
        assert_eq!(frequency_band(1.0), Band::Elite);
        assert_eq!(frequency_band(0.99), Band::High);
        assert_eq!(frequency_band(1.0 / 7.0), Band::High);
        assert_eq!(frequency_band(1.0 / 7.5), Band::Medium);
        assert_eq!(frequency_band(1.0 / 30.0), Band::Medium);
        assert_eq!(frequency_band(1.0 / 31.0), Band::Low);
        assert_eq!(lead_time_band(DAY - 1.0), Band::Elite);
        assert_eq!(lead_time_band(DAY), Band::High);
        assert_eq!(lead_time_band(WEEK), Band::Medium);
        assert_eq!(lead_time_band(30.0 * DAY), Band::Low);
        assert_eq!(failure_band(0.05), Band::Elite);
        assert_eq!(failure_band(0.0501), Band::High);
        assert_eq!(failure_band(0.15), Band::Medium);
        assert_eq!(failure_band(0.16), Band::Low);
        assert_eq!(restore_band(HOUR - 1.0), Band::Elite);
        assert_eq!(restore_band(HOUR), Band::High);
        assert_eq!(restore_band(DAY), Band::Medium);
        assert_eq!(restore_band(WEEK), Band::Low);
    }
}
