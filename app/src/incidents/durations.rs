//! The header's "how long so far" numbers, computed from the incident's timestamps.

use chrono::{DateTime, Duration, Utc};

use super::Timestamps;

/// `3d 4h`, `1h 05m`, `12m`, `45s`: two units at most, for a glance.
pub fn format(duration: Duration) -> String {
    let secs = duration.num_seconds().max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}

/// One header figure: its label, the span, and whether it is still running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub label: &'static str,
    pub duration: Duration,
    pub running: bool,
}

/// Time to detect, acknowledge, mitigate and resolve, each measured from the impact
/// start (or, when unknown, the declaration) and counting up to `now` while open.
pub fn spans(t: &Timestamps, now: DateTime<Utc>) -> Vec<Span> {
    let start = t.impact_started_at.unwrap_or(t.declared_at);
    let detected = t.detected_at.unwrap_or(t.declared_at);
    let span = |label, from: DateTime<Utc>, to: Option<DateTime<Utc>>| Span {
        label,
        duration: to.unwrap_or(now) - from,
        running: to.is_none(),
    };
    let mut spans = Vec::new();
    if t.impact_started_at.is_some() {
        spans.push(span("To detect", start, Some(detected)));
    }
    spans.push(span("To acknowledge", detected, t.acknowledged_at));
    spans.push(span("To mitigate", start, t.mitigated_at));
    spans.push(span("To resolve", start, t.resolved_at));
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(format(Duration::seconds(45)), "45s");
        assert_eq!(format(Duration::minutes(12)), "12m");
        assert_eq!(format(Duration::minutes(65)), "1h 05m");
        assert_eq!(format(Duration::hours(76)), "3d 4h");
        assert_eq!(format(Duration::seconds(-5)), "0s");
    }

    #[test]
    fn open_spans_count_up_to_now_and_closed_ones_stop() {
        let at = |m| Utc.with_ymd_and_hms(2026, 11, 22, 10, m, 0).unwrap();
        let mut t = Timestamps::declared(at(10));
        t.impact_started_at = Some(at(0));
        t.detected_at = Some(at(5));
        t.acknowledged_at = Some(at(12));
        let spans = spans(&t, at(40));
        let view: Vec<_> = spans
            .iter()
            .map(|s| (s.label, s.duration.num_minutes(), s.running))
            .collect();
        assert_eq!(
            view,
            [
                ("To detect", 5, false),
                ("To acknowledge", 7, false),
                ("To mitigate", 40, true),
                ("To resolve", 40, true)
            ]
        );
    }
}
