//! Chat commands: `/vigil declare …`, `/vigil status INC-12 mitigated`, `/vigil note
//! INC-12 …` typed in Slack or Mattermost. The hooks (`server/src/chat_hooks.rs`) verify
//! the request and find the Vigil user by the chat account's verified email; here the
//! text is read ([`parse`]) and carried out through the same workflow as the pages
//! ([`service::run`]), so a command is recorded on the timeline like any other change.

pub mod service;

use crate::incidents::{IncidentRef, Status};

/// What a person asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Declare an incident; the severity and service as typed, checked by the service.
    Declare {
        title: String,
        severity: Option<String>,
        service: Option<String>,
    },
    Status {
        reference: IncidentRef,
        to: Status,
    },
    Note {
        reference: IncidentRef,
        text: String,
    },
    Help,
}

/// How to use the command, answered to `help` and to anything it cannot read.
pub const USAGE: &str = "Commands:\n\
    • declare <title> [severity] [service]: declare an incident, e.g. `declare Checkout errors sev2 checkout`\n\
    • status <INC-12> <investigating|identified|monitoring (or mitigated)|resolved|closed>: change its status\n\
    • note <INC-12> <text>: add a note to its timeline\n\
    • help: this list";

/// Reads a command. A declaration's title runs up to the first word that names a
/// severity (`severities`, any case); what follows that word names the service.
pub fn parse(text: &str, severities: &[String]) -> Result<Command, String> {
    let text = crate::text::one_line(text.trim());
    let (verb, rest) = text.split_once(' ').unwrap_or((text.as_str(), ""));
    let rest = rest.trim();
    match verb.to_ascii_lowercase().as_str() {
        "" | "help" => Ok(Command::Help),
        "declare" => {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let at = words
                .iter()
                .position(|w| severities.iter().any(|s| s.eq_ignore_ascii_case(w)));
            let (title, severity, service) = match at {
                Some(at) => (
                    words[..at].join(" "),
                    Some(words[at].to_owned()),
                    Some(words[at + 1..].join(" ")).filter(|s| !s.is_empty()),
                ),
                None => (words.join(" "), None, None),
            };
            if title.is_empty() {
                return Err(
                    "Give the incident a title: `declare Checkout errors sev2 checkout`.".into(),
                );
            }
            Ok(Command::Declare {
                title,
                severity,
                service,
            })
        }
        "status" => {
            let (reference, to) = rest.split_once(' ').unwrap_or((rest, ""));
            let reference = IncidentRef::parse(reference).ok_or_else(|| {
                format!("“{reference}” is not an incident reference like INC-12.")
            })?;
            // "Mitigated" is what people say of an incident Vigil calls monitoring.
            let to = match to.trim() {
                word if word.eq_ignore_ascii_case("mitigated") => Some(Status::Monitoring),
                word => Status::parse(word),
            }
            .ok_or_else(|| format!("“{}” is not a status.", to.trim()))?;
            Ok(Command::Status { reference, to })
        }
        "note" => {
            let (reference, text) = rest.split_once(' ').unwrap_or((rest, ""));
            let reference = IncidentRef::parse(reference).ok_or_else(|| {
                format!("“{reference}” is not an incident reference like INC-12.")
            })?;
            if text.trim().is_empty() {
                return Err("Write the note after the incident: `note INC-12 Rolled back`.".into());
            }
            Ok(Command::Note {
                reference,
                text: text.trim().to_owned(),
            })
        }
        other => Err(format!("“{other}” is not a command.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels() -> Vec<String> {
        vec!["SEV1".into(), "SEV2".into(), "SEV3".into()]
    }

    #[test]
    fn a_declaration_splits_title_severity_and_service() {
        assert_eq!(
            parse("declare Checkout errors sev2 checkout api", &levels()),
            Ok(Command::Declare {
                title: "Checkout errors".into(),
                severity: Some("sev2".into()),
                service: Some("checkout api".into()),
            })
        );
        assert_eq!(
            parse("DECLARE  Disk full on db-1", &levels()),
            Ok(Command::Declare {
                title: "Disk full on db-1".into(),
                severity: None,
                service: None,
            })
        );
        assert!(parse("declare sev1", &levels()).is_err());
        assert!(parse("declare", &levels()).is_err());
    }

    #[test]
    fn status_and_note_name_an_incident() {
        assert_eq!(
            parse("status INC-12 mitigated", &levels()),
            Ok(Command::Status {
                reference: IncidentRef(12),
                to: Status::Monitoring,
            })
        );
        assert_eq!(
            parse("note inc-3 Rolled back <!channel>\nsecond line", &levels()),
            Ok(Command::Note {
                reference: IncidentRef(3),
                text: "Rolled back <!channel> second line".into(),
            })
        );
        assert!(parse("status INC-x mitigated", &levels()).is_err());
        assert!(parse("status INC-12 on-fire", &levels()).is_err());
        assert!(parse("note INC-12", &levels()).is_err());
        assert!(parse("reboot everything", &levels()).is_err());
        assert_eq!(parse("", &levels()), Ok(Command::Help));
        assert_eq!(parse("help", &levels()), Ok(Command::Help));
    }
}
