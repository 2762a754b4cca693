//! Choosing one of many (people, services) with a search field instead of a list of
//! everything: pages stay small however many people and services an install has.
//!
//! A choice is plain text the server resolves: a service by its slug or name, a person by
//! `Name <email>`, their email or their name. So a form works the same without JavaScript
//! (type it) and with it (pick from suggestions, [`picker::Picker`]).

pub mod picker;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// What a search field chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChoiceKind {
    /// Active responders and admins: the people who can hold a role or own work.
    People,
    /// Services that are not archived.
    Services,
}

/// One suggestion: `value` is what goes into the field, `label` and `detail` what is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub detail: String,
}

/// At most this many suggestions come back for a search.
pub const SUGGESTIONS: u64 = 8;

/// The longest search text the server looks at.
pub const MAX_QUERY: usize = 100;

/// How a person is written in a field: unique, and readable.
pub fn person_value(name: &str, email: &str) -> String {
    format!("{name} <{email}>")
}

/// What a typed person term names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonTerm {
    /// `me`: the one filling the form.
    Me,
    /// An email, bare or in `Name <email>`; lower-cased.
    Email(String),
    /// A user id, from links made before fields took names.
    Id(i64),
    /// A display name, matched without regard to case.
    Name(String),
}

impl PersonTerm {
    /// `None` for an empty term.
    pub fn parse(term: &str) -> Option<Self> {
        let term = term.trim();
        if term.is_empty() {
            return None;
        }
        if term.eq_ignore_ascii_case("me") {
            return Some(Self::Me);
        }
        if let Some(inner) = term
            .strip_suffix('>')
            .and_then(|t| t.rsplit_once('<'))
            .map(|(_, email)| email.trim())
            .filter(|e| !e.is_empty())
        {
            return Some(Self::Email(inner.to_lowercase()));
        }
        if term.contains('@') {
            return Some(Self::Email(term.to_lowercase()));
        }
        if let Ok(id) = term.parse::<i64>() {
            return Some(Self::Id(id));
        }
        Some(Self::Name(term.to_owned()))
    }
}

/// The terms of a list field ("checkout, payments"): trimmed, without empty ones, each once
/// (compared without regard to case), in the order typed.
pub fn split_terms(text: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut terms = Vec::new();
    for term in text.split([',', '\n']).map(str::trim) {
        let key = term.to_lowercase();
        if !term.is_empty() && !seen.contains(&key) {
            seen.push(key);
            terms.push(term.to_owned());
        }
    }
    terms
}

/// The term being typed in a field: the whole text, or in a list field what follows the
/// last comma.
pub fn current_term(text: &str, multiple: bool) -> &str {
    if multiple {
        text.rsplit(',').next().unwrap_or_default().trim()
    } else {
        text.trim()
    }
}

/// The field's text after picking `value` for the term being typed.
pub fn complete(text: &str, value: &str, multiple: bool) -> String {
    if !multiple {
        return value.to_owned();
    }
    let kept: Vec<&str> = match text.rsplit_once(',') {
        Some((before, _)) => before.split(',').map(str::trim).collect(),
        None => Vec::new(),
    };
    let mut terms: Vec<&str> = kept.into_iter().filter(|t| !t.is_empty()).collect();
    if !terms.iter().any(|t| t.eq_ignore_ascii_case(value)) {
        terms.push(value);
    }
    format!("{}, ", terms.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_terms() {
        assert_eq!(PersonTerm::parse("  "), None);
        assert_eq!(PersonTerm::parse("ME"), Some(PersonTerm::Me));
        assert_eq!(
            PersonTerm::parse("Alex Kim <Alex@Example.com>"),
            Some(PersonTerm::Email("alex@example.com".into()))
        );
        assert_eq!(
            PersonTerm::parse("alex@example.com"),
            Some(PersonTerm::Email("alex@example.com".into()))
        );
        assert_eq!(PersonTerm::parse("12"), Some(PersonTerm::Id(12)));
        assert_eq!(
            PersonTerm::parse("Alex Kim"),
            Some(PersonTerm::Name("Alex Kim".into()))
        );
        // A name with angle brackets but no email inside stays a name.
        assert_eq!(
            PersonTerm::parse("Jo <>"),
            Some(PersonTerm::Name("Jo <>".into()))
        );
    }

    #[test]
    fn person_values_parse_back_to_their_email() {
        let value = person_value("Jo <the admin>", "jo@example.com");
        assert_eq!(
            PersonTerm::parse(&value),
            Some(PersonTerm::Email("jo@example.com".into()))
        );
    }

    #[test]
    fn list_fields_split_into_distinct_terms() {
        assert_eq!(
            split_terms(" checkout,payments , ,Checkout\napi,"),
            vec!["checkout", "payments", "api"]
        );
        assert!(split_terms(" , ").is_empty());
    }

    #[test]
    fn the_term_being_typed() {
        assert_eq!(current_term("checkout, pay", true), "pay");
        assert_eq!(current_term("checkout, ", true), "");
        assert_eq!(current_term(" Alex, K ", false), "Alex, K");
    }

    #[test]
    fn picking_completes_the_term_being_typed() {
        assert_eq!(
            complete("checkout, pa", "payments", true),
            "checkout, payments, "
        );
        assert_eq!(complete("pa", "payments", true), "payments, ");
        assert_eq!(complete("payments, pay", "payments", true), "payments, ");
        assert_eq!(complete(" , ,x", "api", true), "api, ");
        assert_eq!(complete("Al", "Alex <a@x.io>", false), "Alex <a@x.io>");
    }
}
