//! The blameless language check: flags phrases that point at a person instead of the
//! system, with a suggestion. It advises; it never blocks a save.

use serde::{Deserialize, Serialize};

/// One flagged phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

/// Finds `needle` (lower case) in `haystack` at word boundaries, case-insensitively, as byte
/// ranges of `haystack`.
///
/// Lower-casing can change a character's length in bytes (`İ` is 2 bytes, its lower case 3;
/// the Kelvin sign `K` 3, its lower case 1), so offsets in the lower-cased text are mapped back
/// through the character each byte came from, never reused on the original.
fn find_words(haystack: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut lower = String::with_capacity(haystack.len());
    // For every byte of `lower`, where its character starts in `haystack`.
    let mut origin = Vec::with_capacity(haystack.len());
    for (at, c) in haystack.char_indices() {
        for l in c.to_lowercase() {
            let before = lower.len();
            lower.push(l);
            origin.extend(std::iter::repeat_n(at, lower.len() - before));
        }
    }
    // A lower-case offset that begins a character's lower case, as an offset of `haystack`.
    let boundary = |i: usize| -> Option<usize> {
        if i == lower.len() {
            Some(haystack.len())
        } else if i == 0 || origin[i - 1] != origin[i] {
            Some(origin[i])
        } else {
            None
        }
    };
    let mut found = Vec::new();
    if needle.is_empty() {
        return found;
    }
    let mut start = 0;
    while let Some(i) = lower[start..].find(needle) {
        let at = start + i;
        start = at + needle.len();
        let (Some(from), Some(to)) = (boundary(at), boundary(at + needle.len())) else {
            continue;
        };
        let before = haystack[..from].chars().next_back();
        let after = haystack[to..].chars().next();
        if !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char) {
            found.push((from, to));
        }
    }
    found
}

/// Checks `text`; `people` are names (display names) that must not be the cause of a
/// sentence. Findings come in the order they appear.
pub fn check(text: &str, people: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (phrase, suggestion) in PHRASES {
        for (from, to) in find_words(text, phrase) {
            findings.push(Finding {
                phrase: text[from..to].to_owned(),
                suggestion: (*suggestion).to_owned(),
                offset: from,
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
        for (from, to) in find_words(text, name) {
            let rest = &text[to..];
            let gap = rest.len() - rest.trim_start().len();
            let word: &str = {
                let after = &rest[gap..];
                let len = after
                    .chars()
                    .take_while(|c| c.is_alphabetic())
                    .map(char::len_utf8)
                    .sum();
                &after[..len]
            };
            if CAUSE_VERBS.contains(&word.to_lowercase().as_str()) {
                findings.push(Finding {
                    phrase: text[from..to + gap + word.len()].to_owned(),
                    suggestion: "Make the system the subject: say what the change or tool did, not who did it.".into(),
                    offset: from,
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

    #[test]
    fn characters_whose_lower_case_changes_length_keep_offsets_right() {
        // Was a panic: `İ` grows and `K` (Kelvin) shrinks when lower-cased, by the same total.
        assert!(phrases("İİ lazyK", &[]).is_empty());
        assert_eq!(phrases("İİ Lazy engineers", &[]), ["Lazy"]);
        let text = "ǅemal ŞİMŞEK BROKE prod; Kelvin should have";
        assert_eq!(phrases(text, &["Şİmşek"]), ["ŞİMŞEK BROKE", "should have"]);
        for f in check(text, &["Şİmşek".into()]) {
            assert_eq!(&text[f.offset..f.offset + f.phrase.len()], f.phrase);
        }
    }
}
