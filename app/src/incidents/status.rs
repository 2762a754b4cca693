//! The incident lifecycle: which status may follow which, and what each move records.
//! Every transition is decided here, in one table.

use super::timestamps::Timestamps;
use crate::named::named_enum;

named_enum! {
    /// Where an incident is in its lifecycle.
    pub enum Status {
        Triage => "triage", "Triage";
        Investigating => "investigating", "Investigating";
        Identified => "identified", "Identified";
        Monitoring => "monitoring", "Monitoring";
        Resolved => "resolved", "Resolved";
        Closed => "closed", "Closed";
        /// Not an incident after all.
        Declined => "declined", "Declined";
        /// A duplicate of another incident.
        Merged => "merged", "Merged";
    }
}

/// "This incident is open" in SQL, written exactly as migration 21's index
/// `idx_incidents_open_declared` writes it: SQLite uses an index on an expression only
/// for the same text. A unit test ties it to [`Status::is_open`].
pub const OPEN_SQL: &str =
    "(\"status\" IN ('triage', 'investigating', 'identified', 'monitoring'))";

impl Status {
    /// Still needs attention: listed first, counted as open.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Triage | Self::Investigating | Self::Identified | Self::Monitoring
        )
    }

    /// The statuses this one may move to. Skipping ahead is allowed (a quick fix goes
    /// from triage to resolved); going back is allowed where reality does (a fix that
    /// did not hold, a reopened incident); closed and merged are final.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Triage => &[
                Investigating,
                Identified,
                Monitoring,
                Resolved,
                Declined,
                Merged,
            ],
            Investigating => &[Identified, Monitoring, Resolved, Merged],
            Identified => &[Investigating, Monitoring, Resolved, Merged],
            Monitoring => &[Investigating, Identified, Resolved],
            Resolved => &[Closed, Investigating],
            Declined => &[Triage],
            Closed | Merged => &[],
        }
    }

    pub fn can_move_to(self, to: Status) -> bool {
        self.next().contains(&to)
    }
}

/// Why a transition was refused, in words for the person who tried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRefused {
    pub message: String,
}

/// Moves `from` to `to` at `now`, filling in the timestamps the move implies (only those
/// still empty: reconstructed times are never overwritten). Reopening clears the
/// resolution times, because the incident is not resolved any more.
pub fn transition(
    from: Status,
    to: Status,
    times: &Timestamps,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Timestamps, TransitionRefused> {
    if !from.can_move_to(to) {
        return Err(TransitionRefused {
            message: if from.next().is_empty() {
                format!(
                    "A {} incident cannot change status.",
                    from.label().to_lowercase()
                )
            } else {
                format!(
                    "An incident cannot go from {} to {}. From {} it can go to: {}.",
                    from.label(),
                    to.label(),
                    from.label(),
                    from.next()
                        .iter()
                        .map(|s| s.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        });
    }
    let mut t = times.clone();
    let fill = |slot: &mut Option<chrono::DateTime<chrono::Utc>>| {
        slot.get_or_insert(now);
    };
    match to {
        Status::Investigating | Status::Identified => {
            fill(&mut t.acknowledged_at);
            if from == Status::Resolved || from == Status::Monitoring {
                // The fix did not hold: the incident is unmitigated and unresolved again.
                t.mitigated_at = None;
                t.resolved_at = None;
                t.closed_at = None;
            }
        }
        Status::Monitoring => {
            fill(&mut t.acknowledged_at);
            fill(&mut t.mitigated_at);
        }
        Status::Resolved => {
            fill(&mut t.acknowledged_at);
            fill(&mut t.mitigated_at);
            fill(&mut t.resolved_at);
        }
        Status::Closed => fill(&mut t.closed_at),
        Status::Triage | Status::Declined | Status::Merged => {}
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;
    use chrono::{TimeZone, Utc};

    fn at(minute: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, minute, 0).unwrap()
    }

    #[test]
    fn the_transition_table_allows_exactly_these_moves() {
        let allowed: &[(Status, &[Status])] = &[
            (
                Triage,
                &[
                    Investigating,
                    Identified,
                    Monitoring,
                    Resolved,
                    Declined,
                    Merged,
                ],
            ),
            (Investigating, &[Identified, Monitoring, Resolved, Merged]),
            (Identified, &[Investigating, Monitoring, Resolved, Merged]),
            (Monitoring, &[Investigating, Identified, Resolved]),
            (Resolved, &[Closed, Investigating]),
            (Closed, &[]),
            (Declined, &[Triage]),
            (Merged, &[]),
        ];
        for (from, targets) in allowed {
            for to in Status::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    targets.contains(&to),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn each_move_fills_only_the_empty_timestamps_it_implies() {
        let declared = Timestamps::declared(at(0));
        let cases = [
            (Triage, Investigating, vec!["acknowledged_at"]),
            (
                Investigating,
                Monitoring,
                vec!["acknowledged_at", "mitigated_at"],
            ),
            (
                Triage,
                Resolved,
                vec!["acknowledged_at", "mitigated_at", "resolved_at"],
            ),
        ];
        for (from, to, filled) in cases {
            let after = transition(from, to, &declared, at(30)).unwrap();
            for field in [
                "acknowledged_at",
                "mitigated_at",
                "resolved_at",
                "closed_at",
            ] {
                let expected = filled.contains(&field).then(|| at(30));
                assert_eq!(after.get(field), expected, "{from:?} -> {to:?}: {field}");
            }
        }

        let mut reconstructed = Timestamps::declared(at(0));
        reconstructed.mitigated_at = Some(at(10));
        let after = transition(Investigating, Resolved, &reconstructed, at(30)).unwrap();
        assert_eq!(after.mitigated_at, Some(at(10)), "a known time is kept");
        assert_eq!(after.resolved_at, Some(at(30)));

        let closed = transition(Resolved, Closed, &after, at(40)).unwrap();
        assert_eq!(closed.closed_at, Some(at(40)));
    }

    #[test]
    fn reopening_clears_the_resolution() {
        let resolved = transition(Triage, Resolved, &Timestamps::declared(at(0)), at(20)).unwrap();
        let reopened = transition(Resolved, Investigating, &resolved, at(30)).unwrap();
        assert_eq!(reopened.resolved_at, None);
        assert_eq!(reopened.mitigated_at, None);
        assert_eq!(reopened.acknowledged_at, Some(at(20)));
    }

    #[test]
    fn refused_moves_say_what_is_possible() {
        let err =
            transition(Investigating, Closed, &Timestamps::declared(at(0)), at(1)).unwrap_err();
        assert_eq!(
            err.message,
            "An incident cannot go from Investigating to Closed. From Investigating it can go to: Identified, Monitoring, Resolved, Merged."
        );
        let err =
            transition(Closed, Investigating, &Timestamps::declared(at(0)), at(1)).unwrap_err();
        assert_eq!(err.message, "A closed incident cannot change status.");
    }

    #[test]
    fn statuses_round_trip_and_open_ones_are_known() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        let open: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, vec![Triage, Investigating, Identified, Monitoring]);
    }

    #[test]
    fn the_sql_open_mark_names_exactly_the_open_statuses() {
        let named: Vec<Status> = super::OPEN_SQL
            .split('\'')
            .skip(1)
            .step_by(2)
            .map(|word| Status::parse(word).expect("a status"))
            .collect();
        let open: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(named, open);
    }
}
