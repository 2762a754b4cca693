//! What a person types about a playbook, parsed into checked values (pure, so the rules
//! are unit-tested and shared by the form, the API and the seed).

use serde::{Deserialize, Serialize};

use super::PlaybookStep;
use crate::error::FieldError;
use crate::incidents::IncidentRole;

/// The raw form fields (inputs named `form[title]` and so on; an absent field is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlaybookForm {
    pub title: String,
    /// Markdown.
    pub body: String,
    /// One step a line: `What to do | https://link | needs: commander` (link and role
    /// optional, in either order).
    pub steps: String,
    /// Service names or slugs, separated by commas.
    pub services: String,
}

/// A checked playbook, its services still named as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookSpec {
    pub title: String,
    pub body: String,
    pub steps: Vec<PlaybookStep>,
}

pub const MAX_STEPS: usize = 50;
const MAX_STEP_CHARS: usize = 300;
const MAX_BODY_CHARS: usize = 50_000;

impl PlaybookForm {
    /// Checks every field; all problems are reported at once, each on its field.
    pub fn parse(&self) -> Result<PlaybookSpec, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 200 {
            errors.push(FieldError::new(
                "title",
                "Give the playbook a title of 1 to 200 characters.",
            ));
        } else if crate::text::has_control_characters(&title) {
            errors.push(FieldError::new("title", crate::text::ONE_LINE));
        }
        let body = self.body.trim().to_owned();
        if body.chars().count() > MAX_BODY_CHARS {
            errors.push(FieldError::new(
                "body",
                "Keep the playbook under 50,000 characters.",
            ));
        } else if body.contains('\0') {
            errors.push(FieldError::new("body", "Remove the NUL character."));
        }
        let steps = match parse_steps(&self.steps) {
            Ok(steps) => steps,
            Err(message) => {
                errors.push(FieldError::new("steps", message));
                Vec::new()
            }
        };
        if errors.is_empty() {
            Ok(PlaybookSpec { title, body, steps })
        } else {
            Err(errors)
        }
    }

    /// The form as an existing playbook fills it.
    pub fn of(title: &str, body: &str, steps: &[PlaybookStep], services: &str) -> Self {
        Self {
            title: title.to_owned(),
            body: body.to_owned(),
            steps: steps.iter().map(step_line).collect::<Vec<_>>().join("\n"),
            services: services.to_owned(),
        }
    }
}

/// A step as one line of the form.
pub fn step_line(step: &PlaybookStep) -> String {
    let mut line = step.text.clone();
    if let Some(link) = &step.link {
        line.push_str(" | ");
        line.push_str(link);
    }
    if let Some(role) = step.role {
        line.push_str(" | needs: ");
        line.push_str(role.as_str());
    }
    line
}

/// The steps, one a line; blank lines are skipped, a leading `- [ ]`, `-`, `*` or `1.`
/// (pasted from a Markdown checklist) is dropped. The first bad line is named.
pub fn parse_steps(text: &str) -> Result<Vec<PlaybookStep>, String> {
    let mut steps = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = |problem: &str| format!("Line {}: {problem}", number + 1);
        if steps.len() == MAX_STEPS {
            return Err(format!("A playbook has at most {MAX_STEPS} steps."));
        }
        let mut parts = line.split('|').map(str::trim);
        let text = unlist(parts.next().unwrap_or_default());
        if text.is_empty() {
            return Err(at("say what to do before the first |."));
        }
        if text.chars().count() > MAX_STEP_CHARS {
            return Err(at("keep a step under 300 characters."));
        }
        if crate::text::has_control_characters(text) {
            return Err(at("remove the control characters."));
        }
        let mut step = PlaybookStep {
            text: text.to_owned(),
            link: None,
            role: None,
        };
        for part in parts.filter(|p| !p.is_empty()) {
            if let Some(word) = part
                .strip_prefix("needs:")
                .or_else(|| part.strip_prefix("Needs:"))
            {
                let role = IncidentRole::parse(word).ok_or_else(|| {
                    at(&format!(
                        "“{}” is not a role: use commander, communications, operations or scribe.",
                        word.trim()
                    ))
                })?;
                step.role = Some(role);
            } else if crate::text::is_web_link(part)
                && part.len() <= 2000
                && !crate::text::has_control_characters(part)
                && step.link.is_none()
            {
                step.link = Some(part.to_owned());
            } else {
                return Err(at(&format!(
                    "“{part}” is neither a web link (https://…) nor a role (needs: commander)."
                )));
            }
        }
        steps.push(step);
    }
    Ok(steps)
}

/// A line without the list marker it was pasted with.
fn unlist(text: &str) -> &str {
    let text = text.trim();
    for marker in ["- [ ]", "- [x]", "* [ ]", "-", "*"] {
        if let Some(rest) = text.strip_prefix(marker) {
            return rest.trim();
        }
    }
    match text.split_once(". ") {
        Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest.trim(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_text_link_and_role_in_either_order() {
        let steps = parse_steps(
            "Check the dashboard | https://grafana.example/d/1\n\n- [ ] Page the database owner | needs: commander\n2. Roll back | needs: operations | https://deploy.example",
        )
        .unwrap();
        assert_eq!(steps.len(), 3);
        assert_eq!(
            steps[0].link.as_deref(),
            Some("https://grafana.example/d/1")
        );
        assert_eq!(steps[0].role, None);
        assert_eq!(steps[1].text, "Page the database owner");
        assert_eq!(steps[1].role, Some(IncidentRole::Commander));
        assert_eq!(steps[2].text, "Roll back");
        assert_eq!(steps[2].role, Some(IncidentRole::Operations));
        assert_eq!(steps[2].link.as_deref(), Some("https://deploy.example"));
    }

    #[test]
    fn a_written_step_reads_back_the_same() {
        let steps = parse_steps("A | https://a.example | needs: scribe\nB").unwrap();
        let lines = steps.iter().map(step_line).collect::<Vec<_>>().join("\n");
        assert_eq!(parse_steps(&lines).unwrap(), steps);
    }

    #[test]
    fn bad_lines_are_named() {
        let err = parse_steps("Fine\n| https://x.example").unwrap_err();
        assert!(err.starts_with("Line 2:"), "{err}");
        let err = parse_steps("Do it | needs: janitor").unwrap_err();
        assert!(err.contains("janitor"), "{err}");
        let err = parse_steps("Do it | javascript:alert(1)").unwrap_err();
        assert!(err.contains("neither a web link"), "{err}");
        let err = parse_steps(&"x\n".repeat(MAX_STEPS + 1)).unwrap_err();
        assert!(err.contains("at most 50"), "{err}");
        assert!(parse_steps(&"x".repeat(301)).is_err());
        assert!(parse_steps("a\u{202E}b").is_err());
    }

    #[test]
    fn the_form_reports_every_field() {
        let form = PlaybookForm {
            title: " ".into(),
            body: "x".repeat(50_001),
            steps: "| nothing".into(),
            services: String::new(),
        };
        let fields: Vec<String> = form
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["title", "body", "steps"]);
    }
}
