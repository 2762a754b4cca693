//! The blameless language check: flags phrases that point at a person instead of the
//! system, with a suggestion. It advises; it never blocks a save.

use serde::{Deserialize, Serialize};

/// One flagged phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The text as written.
    pub phrase: String,
    pub suggestion: String,
    /// Byte offset in the checked text.
    pub offset: usize,
}

/// Phrases that assign blame, lower case, with what to write instead.
const PHRASES: &[(&str, &str)] = &[
    (
        "human error",
        "Describe what in the system let the action cause harm (a missing check, a confusing interface).",
    ),
    (
        "operator error",
        "Describe what in the system let the action cause harm (a missing check, a confusing interface).",
    ),
    (
        "should have",
        "Say what the system or process did not make easy, not what someone ought to have done.",
    ),
    (
        "shouldn't have",
        "Say what the system or process did not make easy, not what someone ought to have done.",
    ),
    (
        "should not have",
        "Say what the system or process did not make easy, not what someone ought to have done.",
    ),
    (
        "failed to",
        "Describe what happened and what would have made the right step the easy one.",
    ),
    (
        "forgot to",
        "Describe the step that depended on memory and how it could be automated or checked.",
    ),
    (
        "careless",
        "Describe the conditions (time pressure, missing safeguards) instead of a person's care.",
    ),
    (
        "carelessness",
        "Describe the conditions (time pressure, missing safeguards) instead of a person's care.",
    ),
    (
        "negligent",
        "Describe the conditions and safeguards instead of judging a person.",
    ),
    (
        "negligence",
        "Describe the conditions and safeguards instead of judging a person.",
    ),
    (
        "sloppy",
        "Describe the gap in review or tooling instead of judging the work.",
    ),
    (
        "lazy",
        "Describe the conditions instead of judging a person.",
    ),
    (
        "incompetent",
        "Describe what knowledge or tooling was missing.",
    ),
    (
        "stupid",
        "Describe what made the action look reasonable at the time.",
    ),
    (
        "the fault of",
        "Name the contributing conditions rather than whose fault it was.",
    ),
    (
        "to blame",
        "Name the contributing conditions rather than who is to blame.",
    ),
    (
        "blamed",
        "Name the contributing conditions rather than who is to blame.",
    ),
    (
        "mistake by",
        "Describe the action and the conditions that made it easy to make.",
    ),
    (
        "obviously",
        "What is obvious afterwards was not at the time; describe what was known then.",
    ),
];

/// Verbs that make a person the grammatical cause ("Alex broke the build").
const CAUSE_VERBS: &[&str] = &[
    "broke",
    "caused",
    "deleted",
    "dropped",
    "forgot",
    "failed",
    "missed",
    "ignored",
    "pushed",
    "messed",
    "screwed",
    "botched",
    "overlooked",
    "neglected",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '\''
}

/// Finds `needle` (lower case) in `haystack` at word boundaries, case-insensitively.
fn find_words(haystack: &str, needle: &str) -> Vec<usize> {
    let lower = haystack.to_lowercase();
    if lower.len() != haystack.len() {
        // Lower-casing changed byte lengths (rare scripts): match on the original only.
        return find_in(haystack, haystack, needle);
    }
    find_in(haystack, &lower, needle)
}

fn find_in(original: &str, lower: &str, needle: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut start = 0;
    while let Some(i) = lower[start..].find(needle) {
        let at = start + i;
        let end = at + needle.len();
        let before = original[..at].chars().next_back();
        let after = original[end..].chars().next();
        if !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char) {
            found.push(at);
        }
        start = at + needle.len().max(1);
    }
    found
}

/// Checks `text`; `people` are names (display names) that must not be the cause of a
/// sentence. Findings come in the order they appear.
pub fn check(text: &str, people: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (phrase, suggestion) in PHRASES {
        for offset in find_words(text, phrase) {
            findings.push(Finding {
                phrase: text[offset..offset + phrase.len()].to_owned(),
                suggestion: (*suggestion).to_owned(),
                offset,
            });
        }
    }
    let mut names: Vec<String> = Vec::new();
    for person in people {
        let person = person.trim();
        if person.chars().count() < 2 {
            continue;
        }
        names.push(person.to_lowercase());
        if let Some(first) = person.split_whitespace().next()
            && first.chars().count() >= 3
            && first != person
        {
            names.push(first.to_lowercase());
        }
    }
    names.sort();
    names.dedup();
    for name in &names {
        for offset in find_words(text, name) {
            let rest = &text[offset + name.len()..];
            let next_word: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphabetic())
                .collect::<String>()
                .to_lowercase();
            if CAUSE_VERBS.contains(&next_word.as_str()) {
                let end =
                    offset + name.len() + (rest.len() - rest.trim_start().len()) + next_word.len();
                findings.push(Finding {
                    phrase: text[offset..end].to_owned(),
                    suggestion: "Make the system the subject: say what the change or tool did, not who did it.".into(),
                    offset,
                });
            }
        }
    }
    findings.sort_by_key(|f| f.offset);
    findings.dedup_by_key(|f| f.offset);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases(text: &str, people: &[&str]) -> Vec<String> {
        let people: Vec<String> = people.iter().map(|p| p.to_string()).collect();
        check(text, &people).into_iter().map(|f| f.phrase).collect()
    }

    #[test]
    fn blaming_phrases_are_flagged_with_a_suggestion() {
        let text = "Root cause: Human error. The on-call engineer should have checked and Failed to roll back.";
        assert_eq!(
            phrases(text, &[]),
            ["Human error", "should have", "Failed to"]
        );
        let finding = &check(text, &[])[0];
        assert_eq!(finding.offset, text.find("Human").unwrap());
        assert!(!finding.suggestion.is_empty());
    }

    #[test]
    fn words_are_matched_whole() {
        assert!(phrases("The failed-over replica was unblamed; a dropout.", &[]).is_empty());
        assert!(phrases("Carelessly is not the word careless? yes", &[]) == ["careless"]);
        assert!(phrases("", &[]).is_empty());
    }

    #[test]
    fn a_person_as_the_cause_is_flagged() {
        let people = ["Alex Kim", "Jo"];
        assert_eq!(
            phrases("Alex broke the build. Then alex kim pushed a fix.", &people),
            ["Alex broke", "alex kim pushed"]
        );
        assert!(
            phrases(
                "The deploy tool broke the build; Alex rolled it back.",
                &people
            )
            .is_empty(),
            "a person acting is fine; a system as the cause is fine"
        );
        assert_eq!(phrases("Jo caused it", &people), ["Jo caused"]);
    }

    #[test]
    fn text_in_any_script_is_safe_to_check() {
        assert!(phrases("İstanbul ΣΊΣΥΦΟΣ should have", &[]).len() == 1);
    }
}
