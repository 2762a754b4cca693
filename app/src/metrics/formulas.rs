//! The reliability formulas, in plain Rust over seconds since the epoch.
//!
//! Every report runs these over the incidents `scan` reads (integration tests check that
//! read against the entities on random data), the error budget and burn-down included.
//! Definitions, also shown in the UI:
//! - an incident's impact runs from its impact start (or declaration) to its mitigation,
//!   or to the window end while still open;
//! - downtime is the union of those impact windows clipped to the window, so
//!   overlapping incidents count once;
//! - failures are the incidents whose impact started inside the window;
//! - MTTF = uptime / failures, MTBF = MTTF + mean time to restore,
//!   availability = uptime / window.

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch, or a span in seconds.
pub type Secs = i64;

/// A half-open span of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: Secs,
    pub end: Secs,
}

impl Span {
    pub fn len(self) -> Secs {
        (self.end - self.start).max(0)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// The moments of one incident that the metrics read (already mapped to seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentTimes {
    /// Impact start, or the declaration when the start is unknown.
    pub start: Secs,
    /// Detection, or the declaration when unknown.
    pub detected: Secs,
    pub acknowledged: Option<Secs>,
    pub mitigated: Option<Secs>,
    pub resolved: Option<Secs>,
}

/// Mean, median and 90th percentile of a set of durations; all `None` when the set is
/// empty, so "no data" is never shown as zero.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DurationStats {
    pub count: i64,
    pub mean: Option<f64>,
    /// The middle value (the mean of the two middle values for an even count).
    pub median: Option<f64>,
    /// The 90th percentile, interpolated between the two nearest ranks (rank
    /// `0.9 (n - 1)` counting from 0), as SQL's `percentile_cont(0.9)` does.
    pub p90: Option<f64>,
}

/// Summary statistics of durations in seconds.
pub fn duration_stats(mut values: Vec<Secs>) -> DurationStats {
    if values.is_empty() {
        return DurationStats::default();
    }
    let n = values.len();
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    let median = percentile(&mut values, 0.5);
    let p90 = percentile(&mut values, 0.9);
    DurationStats {
        count: n as i64,
        mean: Some(mean),
        median: Some(median),
        p90: Some(p90),
    }
}

/// The `fraction` percentile of non-empty `values`, linearly interpolated at rank
/// `fraction * (n - 1)` (from 0): SQL's `percentile_cont`. Selects the two ranks instead
/// of sorting (linear, where a report's overall numbers sorted 100,000 durations four
/// times); `values` is left partly reordered.
fn percentile(values: &mut [Secs], fraction: f64) -> f64 {
    let rank = fraction * (values.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let (_, &mut a, above) = values.select_nth_unstable(lo);
    // The next rank is the least value above `lo` (or `lo` itself at the end).
    let b = above.iter().copied().min().unwrap_or(a);
    let (a, b) = (a as f64, b as f64);
    a + (b - a) * (rank - lo as f64)
}

/// The union of impact spans clipped to `window`, as disjoint spans in time order.
/// Open spans (no end) run to the window end.
pub fn merge_spans(
    spans: impl IntoIterator<Item = (Secs, Option<Secs>)>,
    window: Span,
) -> Vec<Span> {
    let mut clipped: Vec<Span> = spans
        .into_iter()
        .map(|(start, end)| Span {
            start: start.max(window.start),
            end: end.unwrap_or(window.end).min(window.end),
        })
        .filter(|s| s.end > s.start)
        .collect();
    clipped.sort_unstable_by_key(|s| (s.start, s.end));
    let mut merged: Vec<Span> = Vec::with_capacity(clipped.len());
    for span in clipped {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

/// When a planned window ends: ended early at `completed`, else at its planned end (a
/// completion recorded after the planned end changes nothing). The page and the reports
/// read windows by this one rule.
pub fn planned_end<T: Ord + Copy>(ends: T, completed: Option<T>) -> T {
    completed.map_or(ends, |at| at.min(ends))
}

/// Downtime inside `window` as disjoint spans in time order: the incidents' impact (start
/// to mitigation, open ones to the window's end) and the planned windows that count,
/// overlaps once. The one rule the reliability pages, error budgets and the status
/// page's uptime and bars all read.
pub fn downtime_spans(incidents: &[IncidentTimes], planned: &[Span], window: Span) -> Vec<Span> {
    merge_spans(
        incidents
            .iter()
            .map(|i| (i.start, i.mitigated))
            .chain(planned.iter().map(|p| (p.start, Some(p.end)))),
        window,
    )
}

/// Total length of `spans` that falls inside `window`.
pub fn covered(spans: &[Span], window: Span) -> Secs {
    spans
        .iter()
        .map(|s| {
            Span {
                start: s.start.max(window.start),
                end: s.end.min(window.end),
            }
            .len()
        })
        .sum()
}

/// One service's (or the whole estate's) reliability over a window.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reliability {
    pub window: Span,
    /// Incidents whose impact started in the window.
    pub failures: i64,
    /// Of those, not yet mitigated.
    pub unmitigated: i64,
    pub downtime: Secs,
    /// Impact start to mitigation (MTTR).
    pub restore: DurationStats,
    /// Detection to resolution (MTT-resolve).
    pub resolve: DurationStats,
    /// Detection to acknowledgement (MTTA).
    pub acknowledge: DurationStats,
    /// Impact start to detection (MTTD).
    pub detect: DurationStats,
}

impl Reliability {
    pub fn uptime(&self) -> Secs {
        (self.window.len() - self.downtime).max(0)
    }

    /// Uptime over the window; `None` for an empty window.
    pub fn availability(&self) -> Option<f64> {
        let len = self.window.len();
        (len > 0).then(|| self.uptime() as f64 / len as f64)
    }

    /// Mean time to failure: uptime per failure; undefined without failures.
    pub fn mttf(&self) -> Option<f64> {
        (self.failures > 0).then(|| self.uptime() as f64 / self.failures as f64)
    }

    /// Mean time between failures: MTTF plus the mean time to restore.
    pub fn mtbf(&self) -> Option<f64> {
        Some(self.mttf()? + self.restore.mean?)
    }
}

/// The reference computation of `Reliability` from one service's incidents (those that
/// already passed the severity filter). Incidents outside the window are ignored.
pub fn reliability(incidents: &[IncidentTimes], window: Span) -> Reliability {
    reliability_with_planned(incidents, &[], window)
}

/// [`reliability`] with planned downtime: maintenance windows that count against the
/// SLO add to the downtime (overlaps with incidents counted once) but are no failures
/// and take no part in the mean times.
pub fn reliability_with_planned(
    incidents: &[IncidentTimes],
    planned: &[Span],
    window: Span,
) -> Reliability {
    let started: Vec<&IncidentTimes> = incidents
        .iter()
        .filter(|i| i.start >= window.start && i.start < window.end)
        .collect();
    let durations = |f: &dyn Fn(&IncidentTimes) -> Option<Secs>| {
        duration_stats(started.iter().filter_map(|i| f(i)).collect())
    };
    Reliability {
        window,
        failures: started.len() as i64,
        unmitigated: started.iter().filter(|i| i.mitigated.is_none()).count() as i64,
        downtime: downtime_spans(incidents, planned, window)
            .iter()
            .map(|s| s.len())
            .sum(),
        restore: durations(&|i| Some(i.mitigated? - i.start)),
        resolve: durations(&|i| Some(i.resolved? - i.detected)),
        acknowledge: durations(&|i| Some(i.acknowledged? - i.detected)),
        detect: durations(&|i| Some(i.detected - i.start)),
    }
}

/// Parts per million: an SLO of 99.9% is 999,000.
pub const PPM: i64 = 1_000_000;

/// How long before "now" the current burn rate looks.
pub const BURN_RATE_LOOKBACK: Secs = 24 * 3600;
/// A burn rate worth a look: at 3x, the last day spent a tenth of a 30-day budget (the
/// SRE workbook's slow-burn ticket threshold over a day).
pub const FAST_BURN: f64 = 3.0;
/// How long before "now" the pace for the exhaustion forecast is taken from.
pub const FORECAST_LOOKBACK: Secs = 7 * 24 * 3600;

/// An availability SLO's error budget over its rolling window ending now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBudget {
    pub target_ppm: i64,
    pub window: Span,
    /// window x (1 - target), in seconds.
    pub budget: f64,
    /// Downtime inside the window.
    pub consumed: Secs,
    /// Budget minus consumed; negative once exhausted.
    pub remaining: f64,
    /// Remaining as a fraction of the budget (negative once exhausted).
    pub remaining_fraction: f64,
    /// Downtime share of the last 24 hours divided by the allowed share (1 - target):
    /// 1.0 spends the budget exactly over the window.
    pub burn_rate: f64,
    /// When the budget runs out at the pace of the last 7 days; `None` when it is
    /// already exhausted or nothing was consumed in those days.
    pub exhausted_at: Option<Secs>,
    /// Remaining budget at the end of each day of the window (the burn-down).
    pub burn_down: Vec<(Secs, f64)>,
}

impl ErrorBudget {
    pub fn is_exhausted(&self) -> bool {
        self.remaining < 0.0 || (self.remaining == 0.0 && self.consumed > 0)
    }

    /// Exhausted, or burning at [`FAST_BURN`] or faster: what the home page raises.
    pub fn needs_attention(&self) -> bool {
        self.is_exhausted() || self.burn_rate >= FAST_BURN
    }
}

/// The error budget of a `target_ppm` SLO over `window` (ending now), given the
/// merged downtime spans of that window.
pub fn error_budget(target_ppm: i64, window: Span, downtime: &[Span]) -> ErrorBudget {
    let now = window.end;
    let allowed = (PPM - target_ppm) as f64 / PPM as f64;
    let budget = window.len() as f64 * allowed;
    let consumed = covered(downtime, window);
    let remaining = budget - consumed as f64;
    let recent = |lookback: Secs| {
        covered(
            downtime,
            Span {
                start: now - lookback,
                end: now,
            },
        )
    };
    let burn_rate = if allowed > 0.0 {
        recent(BURN_RATE_LOOKBACK) as f64 / BURN_RATE_LOOKBACK as f64 / allowed
    } else {
        0.0
    };
    let pace = recent(FORECAST_LOOKBACK) as f64 / FORECAST_LOOKBACK as f64;
    let exhausted_at =
        (remaining > 0.0 && pace > 0.0).then(|| now + (remaining / pace).ceil() as Secs);
    let mut burn_down = Vec::new();
    let mut day_end = window.start;
    while day_end < window.end {
        day_end = (day_end + 86_400).min(window.end);
        let used = covered(
            downtime,
            Span {
                start: window.start,
                end: day_end,
            },
        );
        burn_down.push((day_end, budget - used as f64));
    }
    ErrorBudget {
        target_ppm,
        window,
        budget,
        consumed,
        remaining,
        remaining_fraction: if budget > 0.0 {
            remaining / budget
        } else {
            0.0
        },
        burn_rate,
        exhausted_at,
        burn_down,
    }
}

#[cfg(test)]
mod tests;
