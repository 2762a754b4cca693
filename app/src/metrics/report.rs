//! Which window and filters a report covers, parsed from the page's query string so
//! every chart, table and CSV link of a page agrees.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::formulas::{Secs, Span};
use crate::error::FieldError;

const DAY: Secs = 86_400;

/// Calendar buckets for incident counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Bucket {
    Week,
    Month,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// The report window: the last N days up to now, or whole UTC days from..=to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Period {
    Last(i64),
    Custom { from: NaiveDate, to: NaiveDate },
}

/// The windows offered as one-click choices.
pub const PRESETS: [i64; 3] = [30, 90, 365];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportQuery {
    pub period: Period,
    /// Count only incidents at this severity position or more severe.
    pub max_severity: Option<i32>,
    pub bucket: Bucket,
}

impl Default for ReportQuery {
    fn default() -> Self {
        Self {
            period: Period::Last(30),
            max_severity: None,
            bucket: Bucket::Week,
        }
    }
}

fn blank(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

impl ReportQuery {
    /// Reads `window` (30, 90, 365 or `custom`), `from`/`to` (dates), `max_severity`
    /// and `bucket` (week or month). Empty values take the defaults.
    pub fn parse(
        window: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        max_severity: Option<&str>,
        bucket: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let (query, errors) = Self::read(window, from, to, max_severity, bucket);
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors)
        }
    }

    /// Like [`Self::parse`], but a bad value falls back to its default and is reported
    /// beside it: a page still shows a report, with the error next to the field.
    pub fn read(
        window: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        max_severity: Option<&str>,
        bucket: Option<&str>,
    ) -> (Self, Vec<FieldError>) {
        let mut errors = Vec::new();
        let period = match blank(window) {
            None => Period::Last(30),
            Some("custom") => {
                let mut date = |field: &str, v: Option<&str>| match blank(v)
                    .map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d"))
                {
                    Some(Ok(d)) => Some(d),
                    _ => {
                        errors.push(FieldError::new(field, "Give a date as YYYY-MM-DD."));
                        None
                    }
                };
                let (from, to) = (date("from", from), date("to", to));
                match (from, to) {
                    (Some(from), Some(to)) if from > to => {
                        errors.push(FieldError::new(
                            "to",
                            "The end date must not be before the start date.",
                        ));
                        Period::Last(30)
                    }
                    (Some(from), Some(to)) if (to - from).num_days() > 3 * 366 => {
                        errors.push(FieldError::new(
                            "to",
                            "Choose a range of at most three years.",
                        ));
                        Period::Last(30)
                    }
                    (Some(from), Some(to)) => Period::Custom { from, to },
                    _ => Period::Last(30),
                }
            }
            Some(days) => match days.parse::<i64>() {
                Ok(d) if PRESETS.contains(&d) => Period::Last(d),
                _ => {
                    errors.push(FieldError::new(
                        "window",
                        "Choose 30, 90 or 365 days, or a custom range.",
                    ));
                    Period::Last(30)
                }
            },
        };
        let max_severity = match blank(max_severity) {
            None => None,
            Some(v) => match v.parse::<i32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    errors.push(FieldError::new("max_severity", "Choose a severity level."));
                    None
                }
            },
        };
        let bucket = match blank(bucket) {
            None | Some("week") => Bucket::Week,
            Some("month") => Bucket::Month,
            Some(_) => {
                errors.push(FieldError::new("bucket", "Choose weeks or months."));
                Bucket::Week
            }
        };
        let query = Self {
            period,
            max_severity,
            bucket,
        };
        (query, errors)
    }

    /// The window in epoch seconds; never past `now`.
    pub fn span(&self, now: Secs) -> Span {
        match self.period {
            Period::Last(days) => Span {
                start: now - days * DAY,
                end: now,
            },
            Period::Custom { from, to } => {
                let midnight = |d: NaiveDate| {
                    d.and_hms_opt(0, 0, 0)
                        .unwrap_or_default()
                        .and_utc()
                        .timestamp()
                };
                let end = (midnight(to) + DAY).min(now);
                Span {
                    start: midnight(from).min(end),
                    end,
                }
            }
        }
    }

    /// `window=…&from=…&to=…&max_severity=…&bucket=…`, for links and CSV exports.
    pub fn query_string(&self) -> String {
        let mut parts = Vec::new();
        match self.period {
            Period::Last(d) => parts.push(format!("window={d}")),
            Period::Custom { from, to } => {
                parts.push("window=custom".to_owned());
                parts.push(format!("from={from}"));
                parts.push(format!("to={to}"));
            }
        }
        if let Some(s) = self.max_severity {
            parts.push(format!("max_severity={s}"));
        }
        parts.push(format!("bucket={}", self.bucket.as_str()));
        parts.join("&")
    }

    /// "the last 90 days", "2026-01-01 to 2026-03-31".
    pub fn label(&self) -> String {
        match self.period {
            Period::Last(d) => format!("the last {d} days"),
            Period::Custom { from, to } => format!("{from} to {to} (UTC)"),
        }
    }
}

/// `2026-11-22`, from epoch seconds (UTC).
pub fn date_label(secs: Secs) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_presets() {
        let q = ReportQuery::parse(None, None, None, None, None).unwrap();
        assert_eq!(q, ReportQuery::default());
        let q = ReportQuery::parse(Some("90"), None, None, Some("2"), Some("month")).unwrap();
        assert_eq!(q.period, Period::Last(90));
        assert_eq!(q.max_severity, Some(2));
        assert_eq!(
            q.span(1_000 * DAY),
            Span {
                start: 910 * DAY,
                end: 1_000 * DAY
            }
        );
        assert_eq!(q.query_string(), "window=90&max_severity=2&bucket=month");
    }

    #[test]
    fn custom_ranges_cover_whole_days_and_stop_at_now() {
        let q = ReportQuery::parse(
            Some("custom"),
            Some("2026-01-01"),
            Some("2026-01-31"),
            None,
            None,
        )
        .unwrap();
        let jan1 = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(
            q.span(jan1 + 365 * DAY),
            Span {
                start: jan1,
                end: jan1 + 31 * DAY
            }
        );
        assert_eq!(q.span(jan1 + DAY).end, jan1 + DAY);
    }

    #[test]
    fn bad_values_are_field_errors() {
        let e = ReportQuery::parse(
            Some("custom"),
            Some("2026-02-01"),
            Some("2026-01-01"),
            Some("x"),
            Some("year"),
        )
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["to", "max_severity", "bucket"]);
        assert!(ReportQuery::parse(Some("7"), None, None, None, None).is_err());
        assert!(ReportQuery::parse(Some("custom"), Some("nope"), None, None, None).is_err());
    }

    #[test]
    fn reading_keeps_the_good_values_and_defaults_the_bad() {
        let (q, e) = ReportQuery::read(Some("7"), None, None, Some("2"), Some("month"));
        assert_eq!(q.period, Period::Last(30));
        assert_eq!(q.max_severity, Some(2));
        assert_eq!(q.bucket, Bucket::Month);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "window");
    }
}
