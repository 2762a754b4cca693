//! What an admin types about a service, parsed into checked values (pure, so the rules
//! are unit-tested and shared by the form, the service layer and the seed).

use serde::{Deserialize, Serialize};

use super::{Runbook, Slo};
use crate::error::FieldError;

/// The raw form fields, as the browser sends them (inputs named `form[name]` and so on;
/// an absent field is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceForm {
    pub name: String,
    pub description: String,
    pub owner_team: String,
    pub tier: String,
    /// A percentage such as `99.9`; empty for no SLO.
    pub slo_target: String,
    pub slo_window_days: String,
    /// A severity position; empty: every severity is a failure.
    pub failure_severity_position: String,
    /// One runbook a line: `Title | https://...` or just the URL.
    pub runbooks: String,
}

/// A checked service description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub name: String,
    pub description: String,
    pub owner_team: Option<String>,
    pub tier: i32,
    pub slo: Option<Slo>,
    pub failure_severity_position: Option<i32>,
    pub runbooks: Vec<Runbook>,
}

pub const MAX_RUNBOOKS: usize = 20;

impl ServiceForm {
    /// Checks every field; all problems are reported at once, each on its field.
    pub fn parse(&self) -> Result<ServiceSpec, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: &str| errors.push(FieldError::new(field, message));
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 || !name.chars().any(char::is_alphanumeric)
        {
            fail(
                "name",
                "Give the service a name of 1 to 100 characters, with at least one letter or digit.",
            );
        } else if crate::text::has_control_characters(&name) {
            fail("name", crate::text::ONE_LINE);
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > 10_000 {
            fail(
                "description",
                "Keep the description under 10,000 characters.",
            );
        } else if description.contains('\0') {
            // PostgreSQL refuses a NUL in a parameter: said here, not as a 500.
            fail(
                "description",
                "Remove the NUL character from the description.",
            );
        }
        let owner_team = Some(self.owner_team.trim().to_owned()).filter(|t| !t.is_empty());
        if owner_team.as_ref().is_some_and(|t| t.chars().count() > 100) {
            fail("owner_team", "Keep the team name under 100 characters.");
        }
        let tier = match self.tier.trim() {
            "" => 2,
            t => match t.parse::<i32>() {
                Ok(n @ 1..=3) => n,
                _ => {
                    fail("tier", "Choose tier 1, 2 or 3.");
                    2
                }
            },
        };
        let window_days = match self.slo_window_days.trim() {
            "" | "30" => 30,
            "28" => 28,
            _ => {
                fail("slo_window_days", "Choose a window of 28 or 30 days.");
                30
            }
        };
        let slo = match self.slo_target.trim().trim_end_matches('%').trim() {
            "" => None,
            t => match parse_percent_ppm(t) {
                Some(ppm) if (900_000..1_000_000).contains(&ppm) => Some(Slo {
                    target_ppm: ppm,
                    window_days,
                }),
                _ => {
                    fail(
                        "slo_target",
                        "Give the availability target as a percentage from 90 to below 100, e.g. 99.9.",
                    );
                    None
                }
            },
        };
        let failure_severity_position = match self.failure_severity_position.trim() {
            "" => None,
            p => match p.parse::<i32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    fail("failure_severity_position", "Choose a severity level.");
                    None
                }
            },
        };
        let mut runbooks = Vec::new();
        for line in self
            .runbooks
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (title, url) = match line.rsplit_once('|') {
                Some((title, url)) => (title.trim().to_owned(), url.trim()),
                None => (String::new(), line),
            };
            if !crate::text::is_web_link(url) {
                fail(
                    "runbooks",
                    &format!(
                        "\"{line}\" is not a link: write `Title | https://...` or a web address, one a line."
                    ),
                );
                break;
            }
            let title = if title.is_empty() {
                url_title(url)
            } else {
                title
            };
            if title.chars().count() > 100 || url.len() > 2000 {
                fail(
                    "runbooks",
                    "Keep runbook titles under 100 characters and links under 2,000.",
                );
                break;
            }
            runbooks.push(Runbook {
                title,
                url: url.to_owned(),
            });
        }
        if runbooks.len() > MAX_RUNBOOKS {
            fail("runbooks", "List at most 20 runbooks.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ServiceSpec {
            name,
            description,
            owner_team,
            tier,
            slo,
            failure_severity_position,
            runbooks,
        })
    }
}

/// The host and path of a link, as a title when none was given.
fn url_title(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.trim_end_matches('/').chars().take(100).collect()
}

/// `99.95` as parts per million (999,500); at most four decimals.
pub fn parse_percent_ppm(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || whole.len() > 3
        || frac.len() > 4
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<4}").parse().ok()?;
    Some(whole * 10_000 + frac)
}

/// Parts per million as a percentage without trailing zeros: 999,500 is `99.95`.
pub fn format_percent_ppm(ppm: i64) -> String {
    let text = format!("{}.{:04}", ppm / 10_000, ppm % 10_000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The form pre-filled from a saved service (for editing).
pub fn form_of(service: &super::ServiceDetail) -> ServiceForm {
    ServiceForm {
        name: service.name.clone(),
        description: service.description.clone(),
        owner_team: service.owner_team.clone().unwrap_or_default(),
        tier: service.tier.to_string(),
        slo_target: service
            .slo
            .map(|s| format_percent_ppm(s.target_ppm))
            .unwrap_or_default(),
        slo_window_days: service.slo.map_or(30, |s| s.window_days).to_string(),
        failure_severity_position: service
            .failure_severity_position
            .map(|p| p.to_string())
            .unwrap_or_default(),
        runbooks: service
            .runbooks
            .iter()
            .map(|r| format!("{} | {}", r.title, r.url))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ServiceForm {
        ServiceForm {
            name: "Payments API".into(),
            ..Default::default()
        }
    }

    #[test]
    fn percentages_round_trip_through_parts_per_million() {
        assert_eq!(parse_percent_ppm("99.9"), Some(999_000));
        assert_eq!(parse_percent_ppm("99.95"), Some(999_500));
        assert_eq!(parse_percent_ppm("99.999"), Some(999_990));
        assert_eq!(parse_percent_ppm("99"), Some(990_000));
        assert_eq!(parse_percent_ppm("99.12345"), None);
        assert_eq!(parse_percent_ppm("abc"), None);
        assert_eq!(parse_percent_ppm("-5"), None);
        assert_eq!(format_percent_ppm(999_000), "99.9");
        assert_eq!(format_percent_ppm(999_500), "99.95");
        assert_eq!(format_percent_ppm(990_000), "99");
    }

    #[test]
    fn a_minimal_service_gets_defaults() {
        let spec = form().parse().unwrap();
        assert_eq!(spec.tier, 2);
        assert_eq!(spec.slo, None);
        assert_eq!(spec.owner_team, None);
        assert!(spec.runbooks.is_empty());
    }

    #[test]
    fn slo_runbooks_and_tier_are_parsed() {
        let spec = ServiceForm {
            tier: "1".into(),
            slo_target: "99.95%".into(),
            slo_window_days: "28".into(),
            failure_severity_position: "2".into(),
            runbooks: "Restart | https://wiki.example.com/restart\n\nhttps://wiki.example.com/db/"
                .into(),
            ..form()
        }
        .parse()
        .unwrap();
        assert_eq!(spec.tier, 1);
        assert_eq!(
            spec.slo,
            Some(Slo {
                target_ppm: 999_500,
                window_days: 28
            })
        );
        assert_eq!(spec.failure_severity_position, Some(2));
        assert_eq!(spec.runbooks.len(), 2);
        assert_eq!(spec.runbooks[0].title, "Restart");
        assert_eq!(spec.runbooks[1].title, "wiki.example.com/db");
    }

    #[test]
    fn every_bad_field_is_reported_on_its_own_field() {
        let errors = ServiceForm {
            name: " ".into(),
            tier: "4".into(),
            slo_target: "100".into(),
            slo_window_days: "7".into(),
            runbooks: "javascript:alert(1)".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "tier", "slo_window_days", "slo_target", "runbooks"]
        );
    }
}
