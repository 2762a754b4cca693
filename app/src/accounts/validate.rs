//! Parsing what people type into account forms: clear messages, checked the same way in
//! the browser and on the server.

use crate::error::{AppError, FieldError};

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 256;

/// A lower-cased, trimmed email address with one `@` and a dot in the domain.
pub fn email(field: &str, value: &str) -> Result<String, FieldError> {
    let email = value.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(FieldError::new(
            field,
            "Enter an email address like name@example.com.",
        ))
    }
}

/// A display name of 1 to 100 characters.
pub fn display_name(field: &str, value: &str) -> Result<String, FieldError> {
    let name = value.trim();
    if name.is_empty() {
        Err(FieldError::new(field, "Enter a name."))
    } else if name.chars().count() > 100 {
        Err(FieldError::new(field, "Use at most 100 characters."))
    } else if crate::text::has_control_characters(name) {
        Err(FieldError::new(field, crate::text::ONE_LINE))
    } else {
        Ok(name.to_owned())
    }
}

/// A new password: long enough to resist guessing, short enough to hash cheaply.
pub fn new_password(field: &str, value: &str) -> Result<String, FieldError> {
    let len = value.chars().count();
    if len < MIN_PASSWORD_LEN {
        Err(FieldError::new(
            field,
            format!("Use at least {MIN_PASSWORD_LEN} characters."),
        ))
    } else if len > MAX_PASSWORD_LEN {
        Err(FieldError::new(
            field,
            format!("Use at most {MAX_PASSWORD_LEN} characters."),
        ))
    } else {
        Ok(value.to_owned())
    }
}

/// The path to return to after a sign-in or a form post: a path on `public_url`'s own
/// origin, or `/`.
///
/// Browsers forgive a lot (`/\t/evil.example` is read as `//evil.example`, `\` as `/`), so
/// text with control characters, whitespace or backslashes is refused outright, and the rest
/// is resolved against the public URL by a real URL parser: only a result on the same
/// origin counts, and what comes back is its normalised path, query and fragment.
#[cfg(feature = "ssr")]
pub fn return_path(value: Option<&str>, public_url: &str) -> String {
    let fallback = || "/".to_owned();
    let Some(path) = value else {
        return fallback();
    };
    if !path.starts_with('/')
        || path
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return fallback();
    }
    let Ok(base) = url::Url::parse(&format!("{}/", public_url.trim_end_matches('/'))) else {
        return fallback();
    };
    let Ok(target) = base.join(path) else {
        return fallback();
    };
    if target.origin() != base.origin() || !target.path().starts_with(base.path()) {
        return fallback();
    }
    let mut out = target.path().to_owned();
    if out.starts_with("//") || out.starts_with("/login") || out.starts_with("/logout") {
        return fallback();
    }
    if let Some(q) = target.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = target.fragment() {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Collects every field error, or returns the parsed values.
pub fn collect(errors: Vec<FieldError>) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(email("e", "  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert!(email("e", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn passwords_have_a_minimum_and_maximum_length() {
        assert!(new_password("p", "short").is_err());
        assert!(new_password("p", "long enough pw").is_ok());
        assert!(new_password("p", &"x".repeat(MAX_PASSWORD_LEN + 1)).is_err());
    }

    #[test]
    #[cfg(feature = "ssr")]
    fn only_same_origin_paths_are_return_targets() {
        let cases = [
            (Some("/incidents?status=open"), "/incidents?status=open"),
            (
                Some("/incidents/INC-4#timeline"),
                "/incidents/INC-4#timeline",
            ),
            (Some("/a/../b"), "/b"),
            (Some("/"), "/"),
            (Some("https://evil.example/"), "/"),
            (Some("//evil.example/"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("/%09/evil.example"), "/%09/evil.example"),
            (Some("/\t/evil.example"), "/"),
            (Some("/\n/evil.example"), "/"),
            (Some("/ /evil.example"), "/"),
            (Some("/\u{0}x"), "/"),
            (Some("/\u{2028}x"), "/"),
            (Some("/./\\evil.example"), "/"),
            (Some("/.//evil.example"), "/"),
            (Some("javascript:alert(1)"), "/"),
            (Some("/login?next=/x"), "/"),
            (Some("/a\r\nSet-Cookie: x"), "/"),
            (Some(""), "/"),
            (None, "/"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                return_path(input, "http://vigil.example:3000"),
                expected,
                "{input:?}"
            );
        }
        // Behind a path prefix, only paths under it are ours.
        assert_eq!(
            return_path(Some("/other"), "https://example.com/vigil"),
            "/"
        );
        assert_eq!(
            return_path(Some("/vigil/incidents"), "https://example.com/vigil/"),
            "/vigil/incidents"
        );
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            display_name("n", "  Ada Lovelace ").unwrap(),
            "Ada Lovelace"
        );
        assert!(display_name("n", "   ").is_err());
        assert!(display_name("n", &"x".repeat(101)).is_err());
        assert!(display_name("n", "Ada\n<!channel> deployed").is_err());
    }
}
