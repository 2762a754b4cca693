//! Alert ingestion: admins configure sources (Alertmanager, Grafana, PagerDuty-style);
//! each alert is stored, deduplicated by fingerprint, and by the source's rule for its
//! severity either opens an incident (a page), joins the open one, or is only recorded.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::ServiceRef;
use crate::incidents::IncidentRef;
use crate::named::named_enum;

pub mod page;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod list;
#[cfg(feature = "ssr")]
pub mod payload;
#[cfg(feature = "ssr")]
pub mod service;

named_enum! {
    /// Which webhook format a source sends.
    pub enum SourceKind {
        Alertmanager => "alertmanager", "Prometheus Alertmanager";
        Grafana => "grafana", "Grafana alerting";
        PagerDuty => "pagerduty", "PagerDuty Events API v2";
    }
}

named_enum! {
    /// What the sender says about the alert.
    pub enum AlertState {
        Firing => "firing", "Firing";
        Acknowledged => "acknowledged", "Acknowledged";
        Resolved => "resolved", "Resolved";
    }
}

named_enum! {
    /// What Vigil did with an alert when it first arrived.
    pub enum AlertAction {
        /// Opened an incident.
        Opened => "opened", "Opened an incident";
        /// Joined the incident already open for its group or source.
        Attached => "attached", "Joined an incident";
        /// Stored it and opened nothing (a ticket or log level alert).
        Recorded => "recorded", "Recorded";
    }
}

/// The severity words senders use, most severe first; `other` stands for any other
/// word and for alerts without one.
pub const SEVERITY_WORDS: [&str; 5] = ["critical", "error", "warning", "info", "other"];

/// The rule key for a sender's severity word.
pub fn severity_word(severity: Option<&str>) -> &'static str {
    let word = severity.map(|s| s.trim().to_ascii_lowercase());
    SEVERITY_WORDS
        .into_iter()
        .find(|w| word.as_deref() == Some(*w))
        .unwrap_or("other")
}

/// What a firing alert at one severity word does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Page: open an incident at this Vigil severity (or join the open one).
    Open { severity_id: i64 },
    /// Ticket or log level: store the alert, open nothing.
    Record,
}

/// Severity word to rule; a missing word records.
pub type Rules = BTreeMap<String, Rule>;

/// An alert source as admins see it; never its token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertSourceView {
    pub id: i64,
    pub name: String,
    pub kind: SourceKind,
    pub token_hint: String,
    pub service: ServiceRef,
    /// One line per severity word: (word, what happens).
    pub rules: Vec<(String, String)>,
    pub auto_resolve: bool,
    pub disabled: bool,
    pub last_received_at: Option<DateTime<Utc>>,
    pub alert_count: i64,
    pub version: i32,
}

/// One received alert, for the recent-alerts list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertView {
    pub id: i64,
    pub source_id: i64,
    pub source_name: String,
    pub state: AlertState,
    pub title: String,
    /// The sender's severity word, as sent.
    pub severity: Option<String>,
    /// The incident it opened or joined.
    pub incident: Option<IncidentRef>,
    /// What Vigil did with it.
    pub action: AlertAction,
    /// Times the same alert arrived again.
    pub repeats: i32,
    pub received_at: DateTime<Utc>,
    pub last_received_at: DateTime<Utc>,
}

/// The new alert source form (inputs named `form[name]` and so on).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertSourceForm {
    pub name: String,
    pub kind: String,
    /// The default service by id, as scripts and older forms send it.
    pub service_id: Option<String>,
    /// The default service as the search field names it.
    pub service: Option<String>,
    /// What each alert severity does: `record`, or a severity id to open an incident at.
    pub rule_critical: Option<String>,
    pub rule_error: Option<String>,
    pub rule_warning: Option<String>,
    pub rule_info: Option<String>,
    pub rule_other: Option<String>,
    /// A checkbox: present when ticked.
    pub auto_resolve: Option<String>,
}

/// A token just issued, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub source_name: String,
    pub kind: SourceKind,
    pub token: String,
}

/// Everything the alert sources page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertsAdmin {
    pub sources: Vec<AlertSourceView>,
    pub recent: Vec<AlertView>,
    pub severities: Vec<(i64, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_words_are_matched_loosely_and_default_to_other() {
        assert_eq!(severity_word(Some("Critical ")), "critical");
        assert_eq!(severity_word(Some("warning")), "warning");
        assert_eq!(severity_word(Some("P1")), "other");
        assert_eq!(severity_word(None), "other");
    }

    #[test]
    fn rules_serialise_compactly() {
        let rules: Rules = BTreeMap::from([
            ("critical".to_owned(), Rule::Open { severity_id: 1 }),
            ("info".to_owned(), Rule::Record),
        ]);
        let json = serde_json::to_string(&rules).unwrap();
        assert_eq!(
            json,
            r#"{"critical":{"open":{"severity_id":1}},"info":"record"}"#
        );
        assert_eq!(serde_json::from_str::<Rules>(&json).unwrap(), rules);
    }
}
