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
        Err(field_error(
            field,
            "Enter an email address like name@example.com.",
        ))
    }
}

/// A display name of 1 to 100 characters.
pub fn display_name(field: &str, value: &str) -> Result<String, FieldError> {
    let name = value.trim();
    if name.is_empty() {
        Err(field_error(field, "Enter a name."))
    } else if name.chars().count() > 100 {
        Err(field_error(field, "Use at most 100 characters."))
    } else {
        Ok(name.to_owned())
    }
}

/// A new password: long enough to resist guessing, short enough to hash cheaply.
pub fn new_password(field: &str, value: &str) -> Result<String, FieldError> {
    let len = value.chars().count();
    if len < MIN_PASSWORD_LEN {
        Err(field_error(
            field,
            &format!("Use at least {MIN_PASSWORD_LEN} characters."),
        ))
    } else if len > MAX_PASSWORD_LEN {
        Err(field_error(
            field,
            &format!("Use at most {MAX_PASSWORD_LEN} characters."),
        ))
    } else {
        Ok(value.to_owned())
    }
}

/// The path to return to after signing in: only same-origin absolute paths, so a link
/// cannot send someone to another site.
pub fn return_path(value: Option<&str>) -> String {
    match value.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.contains(['\r', '\n'])
                && !path.starts_with("/login")
                && !path.starts_with("/logout") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Collects every field error, or returns the parsed values.
pub fn collect(errors: Vec<FieldError>) -> Result<(), AppError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

fn field_error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
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
    fn only_same_origin_paths_are_return_targets() {
        let cases = [
            (Some("/incidents?status=open"), "/incidents?status=open"),
            (Some("/"), "/"),
            (Some("https://evil.example/"), "/"),
            (Some("//evil.example/"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("javascript:alert(1)"), "/"),
            (Some("/login?next=/x"), "/"),
            (Some("/a\r\nSet-Cookie: x"), "/"),
            (None, "/"),
        ];
        for (input, expected) in cases {
            assert_eq!(return_path(input), expected, "{input:?}");
        }
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            display_name("n", "  Ada Lovelace ").unwrap(),
            "Ada Lovelace"
        );
        assert!(display_name("n", "   ").is_err());
        assert!(display_name("n", &"x".repeat(101)).is_err());
    }
}
