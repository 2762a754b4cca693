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
mod tests {
    use super::*;

    const H: Secs = 3600;
    const DAY: Secs = 86_400;

    fn w(start: Secs, end: Secs) -> Span {
        Span { start, end }
    }

    fn incident(start: Secs, mitigated: Option<Secs>) -> IncidentTimes {
        IncidentTimes {
            start,
            detected: start,
            acknowledged: None,
            mitigated,
            resolved: None,
        }
    }

    #[test]
    fn stats_of_nothing_are_undefined_not_zero() {
        let s = duration_stats(vec![]);
        assert_eq!(s.count, 0);
        assert_eq!((s.mean, s.median, s.p90), (None, None, None));
    }

    #[test]
    fn median_averages_the_middle_pair_and_p90_interpolates() {
        let s = duration_stats(vec![40, 10, 30, 20]);
        assert_eq!(s.mean, Some(25.0));
        assert_eq!(s.median, Some(25.0));
        // Rank 0.9 * 3 = 2.7: 30 + 0.7 * (40 - 30).
        assert!((s.p90.unwrap() - 37.0).abs() < 1e-9);
        let s = duration_stats((1..=10).collect());
        assert_eq!(s.median, Some(5.5));
        assert!((s.p90.unwrap() - 9.1).abs() < 1e-9);
        let s = duration_stats((1..=11).collect());
        assert_eq!(s.median, Some(6.0));
        assert_eq!(s.p90, Some(10.0));
        assert_eq!(duration_stats(vec![7]).p90, Some(7.0));
        assert_eq!(duration_stats(vec![7]).median, Some(7.0));
    }

    /// Selecting ranks gives what sorting and reading them gives.
    #[test]
    fn percentiles_by_selection_equal_those_of_a_sorted_list() {
        let mut seed = 7u64;
        for n in 1..200usize {
            let values: Vec<Secs> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((seed >> 33) % 50) as Secs
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let at = |fraction: f64| {
                let rank = fraction * (n - 1) as f64;
                let lo = rank.floor() as usize;
                let hi = (lo + 1).min(n - 1);
                sorted[lo] as f64 + (sorted[hi] - sorted[lo]) as f64 * (rank - lo as f64)
            };
            let stats = duration_stats(values);
            assert_eq!(stats.median, Some(at(0.5)), "{n} values");
            assert_eq!(stats.p90, Some(at(0.9)), "{n} values");
        }
    }

    #[test]
    fn overlapping_incidents_count_once() {
        // 10:00-12:00 and 11:00-13:00 overlap: 3 hours down, not 4.
        let spans = merge_spans([(10 * H, Some(12 * H)), (11 * H, Some(13 * H))], w(0, DAY));
        assert_eq!(spans, vec![w(10 * H, 13 * H)]);
        // A span inside another adds nothing; touching spans join.
        let spans = merge_spans(
            [(H, Some(5 * H)), (2 * H, Some(3 * H)), (5 * H, Some(6 * H))],
            w(0, DAY),
        );
        assert_eq!(spans, vec![w(H, 6 * H)]);
    }

    #[test]
    fn spans_are_clipped_to_the_window_and_open_ones_run_to_its_end() {
        let window = w(DAY, 2 * DAY);
        // Started the day before, mitigated 2 hours into the window.
        // Still open, started 2 hours before the window ends.
        let spans = merge_spans(
            [(DAY - 5 * H, Some(DAY + 2 * H)), (2 * DAY - 2 * H, None)],
            window,
        );
        assert_eq!(
            spans,
            vec![w(DAY, DAY + 2 * H), w(2 * DAY - 2 * H, 2 * DAY)]
        );
        // Entirely before or after the window: nothing.
        assert!(merge_spans([(0, Some(H)), (3 * DAY, None)], window).is_empty());
    }

    #[test]
    fn reliability_of_a_hand_computed_day() {
        // A 10-hour window with three incidents:
        //   A starts 1h before the window, mitigated at 1h (not a failure of this window)
        //   B 2h..4h, detected 2h30, acknowledged 2h40, resolved 5h
        //   C 3h..5h (overlaps B), detected 3h, never acknowledged
        //   D 8h.., still open
        let window = w(0, 10 * H);
        let incidents = [
            incident(-H, Some(H)),
            IncidentTimes {
                start: 2 * H,
                detected: 2 * H + 1800,
                acknowledged: Some(2 * H + 2400),
                mitigated: Some(4 * H),
                resolved: Some(5 * H),
            },
            incident(3 * H, Some(5 * H)),
            incident(8 * H, None),
        ];
        let r = reliability(&incidents, window);
        // Down 0-1h, 2h-5h, 8h-10h = 6 hours.
        assert_eq!(r.downtime, 6 * H);
        assert_eq!(r.failures, 3);
        assert_eq!(r.unmitigated, 1);
        assert_eq!(r.restore.count, 2);
        assert_eq!(r.restore.mean, Some((2 * H) as f64));
        assert_eq!(r.resolve.mean, Some((2 * H + 1800) as f64));
        assert_eq!(r.acknowledge.mean, Some(600.0));
        // Detection: 30 min, 0, 0.
        assert_eq!(r.detect.mean, Some(600.0));
        assert_eq!(r.detect.median, Some(0.0));
        assert_eq!(r.availability(), Some(0.4));
        // MTTF = 4h uptime / 3 failures; MTBF = MTTF + 2h.
        assert_eq!(r.mttf(), Some((4 * H) as f64 / 3.0));
        assert_eq!(r.mtbf(), Some((4 * H) as f64 / 3.0 + (2 * H) as f64));
    }

    #[test]
    fn a_service_without_incidents_is_fully_available_with_undefined_means() {
        let r = reliability(&[], w(0, 30 * DAY));
        assert_eq!(r.availability(), Some(1.0));
        assert_eq!((r.mttf(), r.mtbf(), r.restore.mean), (None, None, None));
    }

    #[test]
    fn error_budgets_match_the_standard_table() {
        let month = w(0, 30 * DAY);
        let minutes = |ppm| error_budget(ppm, month, &[]).budget / 60.0;
        assert!((minutes(999_000) - 43.2).abs() < 1e-9);
        assert!((minutes(999_900) - 4.32).abs() < 1e-9);
        assert!((minutes(990_000) / 60.0 - 7.2).abs() < 1e-9);
        let untouched = error_budget(999_000, month, &[]);
        assert_eq!(untouched.remaining_fraction, 1.0);
        assert_eq!((untouched.burn_rate, untouched.exhausted_at), (0.0, None));
        assert!(!untouched.is_exhausted());
        assert_eq!(untouched.burn_down.len(), 30);
    }

    #[test]
    fn budget_consumption_burn_rate_and_forecast() {
        let now = 30 * DAY;
        let month = w(0, now);
        // 99% over 30 days = 25,920 s of budget. 7,200 s were used 10 days ago and
        // 864 s (1% of a day) in the last day.
        let down = [w(20 * DAY - 2 * H, 20 * DAY), w(now - 1000, now - 136)];
        let b = error_budget(990_000, month, &down);
        assert_eq!(b.consumed, 7_200 + 864);
        assert!((b.remaining - (25_920.0 - 8_064.0)).abs() < 1e-6);
        // 1% of the last day down against an allowance of 1%: burning at exactly 1x.
        assert!((b.burn_rate - 1.0).abs() < 1e-9);
        // Last 7 days used 864 s: 17,856 s remain at 864/7 s a day = 144.67 days.
        let expected = now + (17_856.0 / (864.0 / (7.0 * DAY as f64))).ceil() as Secs;
        assert_eq!(b.exhausted_at, Some(expected));
        // The burn-down steps down on day 20 and on the last day.
        assert_eq!(b.burn_down[18].1, 25_920.0);
        assert_eq!(b.burn_down[19].1, 25_920.0 - 7_200.0);
        assert_eq!(b.burn_down[29].1, b.remaining);
    }

    #[test]
    fn an_overspent_budget_is_exhausted_with_no_forecast() {
        let month = w(0, 30 * DAY);
        let b = error_budget(999_000, month, &[w(DAY, DAY + H)]);
        assert!(b.remaining < 0.0);
        assert!(b.is_exhausted());
        assert!(b.remaining_fraction < 0.0);
        assert_eq!(b.exhausted_at, None);
    }

    #[test]
    fn a_budget_needs_attention_when_exhausted_or_burning_at_three_times() {
        let now = 30 * DAY;
        let month = w(0, now);
        // 99% allows 864 s a day: 3x is 2,592 s of the last day.
        let burning = |secs| error_budget(990_000, month, &[w(now - secs, now)]);
        assert!(!burning(2_591).needs_attention(), "just under 3x");
        assert!(burning(2_592).needs_attention(), "3x");
        assert!(!burning(2_592).is_exhausted());
        // An old outage that spent it all, nothing lately: still raised.
        let spent = error_budget(990_000, month, &[w(DAY, DAY + 8 * H)]);
        assert_eq!(spent.burn_rate, 0.0);
        assert!(spent.needs_attention());
        assert!(!error_budget(990_000, month, &[]).needs_attention());
    }
}
