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
