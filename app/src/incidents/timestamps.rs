//! The moments an incident's metrics are computed from, and the order they must keep.
//! They are editable after the fact (the truth is often reconstructed later), so every
//! edit is checked against these rules.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// How far in the future a timestamp may lie (clocks disagree a little).
const CLOCK_SKEW_MINUTES: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Timestamps {
    pub impact_started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub declared_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Field names and labels, in lifecycle order.
pub const FIELDS: [(&str, &str); 7] = [
    ("impact_started_at", "Impact started"),
    ("detected_at", "Detected"),
    ("declared_at", "Declared"),
    ("acknowledged_at", "Acknowledged"),
    ("mitigated_at", "Mitigated"),
    ("resolved_at", "Resolved"),
    ("closed_at", "Closed"),
];

fn label(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or("This time", |(_, l)| l)
}

impl Timestamps {
    /// A freshly declared incident: detected and started (as far as anyone knows) now.
    pub fn declared(now: DateTime<Utc>) -> Self {
        Self {
            impact_started_at: None,
            detected_at: None,
            declared_at: now,
            acknowledged_at: None,
            mitigated_at: None,
            resolved_at: None,
            closed_at: None,
        }
    }

    pub fn get(&self, field: &str) -> Option<DateTime<Utc>> {
        match field {
            "impact_started_at" => self.impact_started_at,
            "detected_at" => self.detected_at,
            "declared_at" => Some(self.declared_at),
            "acknowledged_at" => self.acknowledged_at,
            "mitigated_at" => self.mitigated_at,
            "resolved_at" => self.resolved_at,
            "closed_at" => self.closed_at,
            _ => None,
        }
    }

    /// Checks the ordering rules; every broken rule is reported on the later field.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), Vec<FieldError>> {
        // (later, earlier): `later` may not be before `earlier`.
        const RULES: [(&str, &str); 11] = [
            ("detected_at", "impact_started_at"),
            ("declared_at", "impact_started_at"),
            ("acknowledged_at", "impact_started_at"),
            ("mitigated_at", "impact_started_at"),
            ("resolved_at", "impact_started_at"),
            ("closed_at", "impact_started_at"),
            ("acknowledged_at", "detected_at"),
            ("resolved_at", "mitigated_at"),
            ("resolved_at", "detected_at"),
            ("closed_at", "resolved_at"),
            ("closed_at", "declared_at"),
        ];
        let mut errors: Vec<FieldError> = Vec::new();
        let mut push = |field: &str, message: String| {
            if !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, message));
            }
        };
        let latest = now + Duration::minutes(CLOCK_SKEW_MINUTES);
        for (field, _) in FIELDS {
            if self.get(field).is_some_and(|t| t > latest) {
                push(field, format!("{} cannot be in the future.", label(field)));
            }
        }
        for (later, earlier) in RULES {
            if let (Some(l), Some(e)) = (self.get(later), self.get(earlier))
                && l < e
            {
                push(
                    later,
                    format!(
                        "{} cannot be before {}.",
                        label(later),
                        label(earlier).to_lowercase()
                    ),
                );
            }
        }
        if self.closed_at.is_some() && self.resolved_at.is_none() {
            push(
                "closed_at",
                "An incident is resolved before it is closed.".to_owned(),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, minute, 0).unwrap()
    }

    fn full() -> Timestamps {
        Timestamps {
            impact_started_at: Some(at(0)),
            detected_at: Some(at(5)),
            declared_at: at(7),
            acknowledged_at: Some(at(8)),
            mitigated_at: Some(at(20)),
            resolved_at: Some(at(30)),
            closed_at: Some(at(40)),
        }
    }

    #[test]
    fn a_consistent_story_is_accepted() {
        assert_eq!(full().validate(at(50)), Ok(()));
        assert_eq!(Timestamps::declared(at(0)).validate(at(0)), Ok(()));
    }

    #[test]
    fn each_ordering_rule_is_reported_on_the_later_field() {
        let now = at(59);
        type Change = Box<dyn Fn(&mut Timestamps)>;
        let cases: Vec<(&str, Change, &str)> = vec![
            (
                "detected_at",
                Box::new(|t| t.detected_at = Some(at(0) - Duration::minutes(1))),
                "Detected cannot be before impact started.",
            ),
            (
                "declared_at",
                Box::new(|t| t.impact_started_at = Some(at(8))),
                "Declared cannot be before impact started.",
            ),
            (
                "acknowledged_at",
                Box::new(|t| t.acknowledged_at = Some(at(4))),
                "Acknowledged cannot be before detected.",
            ),
            (
                "resolved_at",
                Box::new(|t| t.resolved_at = Some(at(19))),
                "Resolved cannot be before mitigated.",
            ),
            (
                "closed_at",
                Box::new(|t| t.closed_at = Some(at(29))),
                "Closed cannot be before resolved.",
            ),
            (
                "closed_at",
                Box::new(|t| t.resolved_at = None),
                "An incident is resolved before it is closed.",
            ),
            (
                "mitigated_at",
                Box::new(|t| t.mitigated_at = Some(at(59) + Duration::hours(1))),
                "Mitigated cannot be in the future.",
            ),
        ];
        for (field, change, message) in cases {
            let mut t = full();
            change(&mut t);
            let errors = t.validate(now).expect_err(field);
            let found = errors
                .iter()
                .find(|e| e.field == field)
                .unwrap_or_else(|| panic!("{field}: {errors:?}"));
            assert_eq!(found.message, message);
        }
    }

    #[test]
    fn small_clock_skew_is_tolerated() {
        let mut t = Timestamps::declared(at(0));
        t.acknowledged_at = Some(at(3));
        assert_eq!(t.validate(at(0)), Ok(()));
    }
}
