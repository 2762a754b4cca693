//! Small UI pieces shared by every domain's pages.

mod form;
mod raw_text;
mod sender;
mod table;

pub use form::{Field, FormAlert, action_error};
pub use raw_text::{TextArea, raw_text};
pub use sender::{SecretNotice, SenderHeader};
pub use table::{Column, DataTable, TableCard};

/// Percent-encodes a query value (everything but unreserved characters).
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
