//! The postmortem template: the sections of the Google SRE book's example postmortem.
//! Admins may change the default (stored as a setting); a postmortem keeps the sections
//! it was created with.

use serde::{Deserialize, Serialize};

/// One section of the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SectionTemplate {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub title: String,
    /// What to write here, shown beside the editor.
    #[cfg_attr(feature = "ssr", schema(max_length = 1000))]
    pub guidance: String,
    /// Text a new postmortem starts with (Markdown).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 100000))]
    pub starter: String,
}

/// The setting that holds an admin's template (JSON); absent means the default.
pub const SETTING_KEY: &str = "postmortem_template";

/// The title of the section Vigil fills from the incident's timeline.
pub const TIMELINE: &str = "Timeline";
/// The title of the section the incident's action items are listed under.
pub const ACTION_ITEMS: &str = "Action items";

pub fn default_template() -> Vec<SectionTemplate> {
    let section = |title: &str, guidance: &str, starter: &str| SectionTemplate {
        title: title.to_owned(),
        guidance: guidance.to_owned(),
        starter: starter.to_owned(),
    };
    vec![
        section(
            "Summary",
            "Two or three sentences: what happened, to whom, for how long, and how it ended.",
            "",
        ),
        section(
            "Impact",
            "Who was affected and how: users, requests, revenue, data. Numbers where you have them.",
            "",
        ),
        section(
            "Root causes",
            "The conditions that made the failure possible. Several are normal; describe systems and processes, not people.",
            "",
        ),
        section(
            "Trigger",
            "The change or event that set the failure off (most outages follow a change).",
            "",
        ),
        section(
            "Resolution",
            "What restored service, and what made it take the time it took.",
            "",
        ),
        section(
            "Detection",
            "How we found out: which alert, which customer, how long after impact began.",
            "",
        ),
        section(
            ACTION_ITEMS,
            "What will change. Each item is tracked below with an owner and a due date; add context here.",
            "",
        ),
        section(
            "Lessons learned",
            "Be specific and kind: the aim is to learn, not to judge.",
            "### What went well\n\n### What went wrong\n\n### Where we got lucky\n",
        ),
        section(
            TIMELINE,
            "Filled from the incident's timeline (markers and highlighted events first); refresh it after the timeline changes.",
            "",
        ),
        section(
            "Supporting information",
            "Links to dashboards, graphs, logs, chat transcripts.",
            "",
        ),
    ]
}

/// The form's rows without those left empty (no title, no guidance): the page always
/// offers a few blank rows to fill in. A script's rows are all meant and are not passed
/// through this.
pub fn filled_rows(sections: Vec<SectionTemplate>) -> Vec<SectionTemplate> {
    sections
        .into_iter()
        .filter(|s| !(s.title.trim().is_empty() && s.guidance.trim().is_empty()))
        .collect()
}

/// Checks an admin's template, every row as given; errors name the row (1-based).
pub fn validate(sections: &[SectionTemplate]) -> Result<Vec<SectionTemplate>, String> {
    if sections.len() > 30 {
        return Err("Keep the template under 30 sections.".into());
    }
    let cleaned: Vec<SectionTemplate> = sections
        .iter()
        .map(|s| SectionTemplate {
            title: s.title.trim().to_owned(),
            guidance: s.guidance.trim().to_owned(),
            starter: s.starter.clone(),
        })
        .collect();
    if cleaned.is_empty() {
        return Err("A template needs at least one section.".into());
    }
    for (i, section) in cleaned.iter().enumerate() {
        if section.title.is_empty() {
            return Err(format!("Section {} needs a title.", i + 1));
        }
        if section.title.chars().count() > 100 {
            return Err(format!(
                "Keep the title of section {} under 100 characters.",
                i + 1
            ));
        }
        if crate::text::has_control_characters(&section.title) {
            return Err(format!(
                "Write the title of section {} on one line, without control characters.",
                i + 1
            ));
        }
        if section.starter.chars().count() > 100_000 {
            return Err(format!(
                "Keep the starting text of section {} under 100,000 characters.",
                i + 1
            ));
        }
        if section.guidance.chars().count() > 1000 {
            return Err(format!(
                "Keep the guidance of section {} under 1000 characters.",
                i + 1
            ));
        }
        if cleaned[..i]
            .iter()
            .any(|s| s.title.eq_ignore_ascii_case(&section.title))
        {
            return Err(format!(
                "Two sections are called \u{201c}{}\u{201d}.",
                section.title
            ));
        }
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_follows_the_sre_book() {
        let titles: Vec<String> = default_template().into_iter().map(|s| s.title).collect();
        for expected in [
            "Summary",
            "Impact",
            "Root causes",
            "Trigger",
            "Resolution",
            "Detection",
            "Action items",
            "Lessons learned",
            "Timeline",
            "Supporting information",
        ] {
            assert!(titles.iter().any(|t| t == expected), "{expected}");
        }
        assert!(validate(&default_template()).is_ok());
    }

    #[test]
    fn an_admins_template_is_checked() {
        let row = |title: &str| SectionTemplate {
            title: title.into(),
            guidance: "g".into(),
            starter: String::new(),
        };
        assert!(validate(&[]).is_err());
        assert_eq!(
            validate(&[row("A"), row(" ")]).unwrap_err(),
            "Section 2 needs a title."
        );
        assert!(
            validate(&[row("Impact"), row("impact")])
                .unwrap_err()
                .contains("Two sections")
        );
        let blank = SectionTemplate {
            title: " ".into(),
            guidance: String::new(),
            starter: String::new(),
        };
        assert_eq!(
            validate(&[row("A"), blank.clone()]).unwrap_err(),
            "Section 2 needs a title.",
            "every row given is checked"
        );
        assert_eq!(
            filled_rows(vec![row("A"), blank.clone(), row("B")]).len(),
            2,
            "the page's empty rows are dropped before"
        );
        assert_eq!(
            validate(&vec![row("A"); 31]).unwrap_err(),
            "Keep the template under 30 sections."
        );
    }
}
