//! Does following a playbook help? Time to restore (impact start to mitigation, as the
//! reliability reports define it) for incidents whose playbook was followed to the last
//! step, for those that had one but left steps undone, and for those without any; and,
//! per playbook, which steps are skipped and how long each takes. Pure, so the numbers
//! are checked against hand-computed fixtures.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::metrics::formulas::{DurationStats, Secs, duration_stats};

/// How an incident used its playbooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Every step of at least one attached playbook was ticked.
    Followed,
    /// A playbook was attached, and none was followed to the end.
    Partly,
    /// No playbook was attached.
    Without,
}

/// The use of an incident's checklists, each given as (steps done, steps).
pub fn classify(checklists: &[(usize, usize)]) -> Use {
    if checklists.is_empty() {
        Use::Without
    } else if checklists
        .iter()
        .any(|&(done, total)| total > 0 && done >= total)
    {
        Use::Followed
    } else {
        Use::Partly
    }
}

/// Time to restore by playbook use.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Effect {
    pub followed: DurationStats,
    pub partly: DurationStats,
    pub without: DurationStats,
}

/// Below this many incidents on either side of the comparison, the page says the numbers
/// prove little.
pub const FEW: i64 = 10;

impl Effect {
    /// Groups restore times (seconds) by use.
    pub fn of(incidents: impl IntoIterator<Item = (Secs, Use)>) -> Self {
        let (mut followed, mut partly, mut without) = (Vec::new(), Vec::new(), Vec::new());
        for (restore, used) in incidents {
            match used {
                Use::Followed => followed.push(restore),
                Use::Partly => partly.push(restore),
                Use::Without => without.push(restore),
            }
        }
        Self {
            followed: duration_stats(followed),
            partly: duration_stats(partly),
            without: duration_stats(without),
        }
    }

    /// Whether either side has fewer than [`FEW`] incidents.
    pub fn is_thin(&self) -> bool {
        self.followed.count < FEW || self.without.count < FEW
    }

    /// Median restore with the playbook followed as a share of the median without
    /// (0.5: half the time); `None` when either side is empty.
    pub fn ratio(&self) -> Option<f64> {
        let (with, without) = (self.followed.median?, self.without.median?);
        (without > 0.0).then(|| with / without)
    }
}

/// One checklist of a playbook as an incident used it: its steps' texts, and when each was
/// ticked (`None`: not done), from when the checklist was attached.
pub struct Run {
    pub attached_at: Secs,
    /// Whether the incident was mitigated: only then does an undone step count as
    /// skipped.
    pub finished: bool,
    pub steps: Vec<(String, Option<Secs>)>,
}

/// A step's record across the incidents that used its playbook (grouped by its text, so
/// a step kept through new versions keeps its history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub text: String,
    pub done: i64,
    /// Left undone on an incident that was mitigated.
    pub skipped: i64,
    /// From the step before it being ticked (or the checklist's attachment) to its tick.
    pub median_secs: Option<f64>,
}

/// Every step's record, most often skipped first (then in checklist order).
pub fn step_records(runs: &[Run]) -> Vec<StepRecord> {
    let mut order: Vec<String> = Vec::new();
    let mut done: HashMap<String, i64> = HashMap::new();
    let mut skipped: HashMap<String, i64> = HashMap::new();
    let mut times: HashMap<String, Vec<Secs>> = HashMap::new();
    for run in runs {
        let mut ticks: Vec<(Secs, &str)> = run
            .steps
            .iter()
            .filter_map(|(text, at)| at.map(|at| (at, text.as_str())))
            .collect();
        ticks.sort();
        let mut previous = run.attached_at;
        for (at, text) in ticks {
            times
                .entry(text.to_owned())
                .or_default()
                .push((at - previous).max(0));
            previous = previous.max(at);
        }
        for (text, at) in &run.steps {
            if !order.contains(text) {
                order.push(text.clone());
            }
            match at {
                Some(_) => *done.entry(text.clone()).or_default() += 1,
                None if run.finished => *skipped.entry(text.clone()).or_default() += 1,
                None => {}
            }
        }
    }
    let mut records: Vec<StepRecord> = order
        .into_iter()
        .map(|text| StepRecord {
            done: done.get(&text).copied().unwrap_or(0),
            skipped: skipped.get(&text).copied().unwrap_or(0),
            median_secs: times.remove(&text).and_then(|t| duration_stats(t).median),
            text,
        })
        .collect();
    // Stable: checklist order among equals.
    records.sort_by_key(|r| std::cmp::Reverse(r.skipped));
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_follows_a_playbook_when_one_checklist_is_complete() {
        assert_eq!(classify(&[]), Use::Without);
        assert_eq!(classify(&[(2, 3)]), Use::Partly);
        assert_eq!(classify(&[(2, 3), (4, 4)]), Use::Followed);
        assert_eq!(
            classify(&[(0, 0)]),
            Use::Partly,
            "an empty checklist proves nothing"
        );
    }

    #[test]
    fn restore_times_are_grouped_by_use() {
        // By hand: followed 10, 20, 40 min (median 20); partly 60; without 30, 50, 70, 90
        // (median 60).
        let m = |minutes: i64| minutes * 60;
        let effect = Effect::of([
            (m(10), Use::Followed),
            (m(40), Use::Followed),
            (m(20), Use::Followed),
            (m(60), Use::Partly),
            (m(30), Use::Without),
            (m(90), Use::Without),
            (m(50), Use::Without),
            (m(70), Use::Without),
        ]);
        assert_eq!(effect.followed.count, 3);
        assert_eq!(effect.followed.median, Some(1200.0));
        assert_eq!(effect.partly.count, 1);
        assert_eq!(effect.without.median, Some(3600.0));
        assert_eq!(effect.ratio(), Some(1200.0 / 3600.0));
        assert!(effect.is_thin());
        assert_eq!(Effect::of([]).ratio(), None);
    }

    #[test]
    fn steps_are_timed_from_the_previous_tick_and_skipped_only_when_finished() {
        let run = |finished, ticks: [Option<Secs>; 3]| Run {
            attached_at: 100,
            finished,
            steps: ["Check", "Roll back", "Tell"]
                .into_iter()
                .map(String::from)
                .zip(ticks)
                .collect(),
        };
        let records = step_records(&[
            run(true, [Some(160), Some(400), None]),
            run(true, [Some(220), None, None]),
            run(false, [Some(130), None, None]),
        ]);
        let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["Tell", "Roll back", "Check"], "most skipped first");
        assert_eq!((records[0].done, records[0].skipped), (0, 2));
        assert_eq!((records[1].done, records[1].skipped), (1, 1));
        assert_eq!(records[1].median_secs, Some(240.0), "400 - 160");
        // Check: 60, 120, 30 from attachment: median 60.
        assert_eq!((records[2].done, records[2].median_secs), (3, Some(60.0)));
    }
}
