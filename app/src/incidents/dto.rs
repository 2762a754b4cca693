//! What crosses the wire about incidents.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Status, Timestamps};
use crate::catalog::ServiceRef;
use crate::named::named_enum;

/// The human reference of an incident, `INC-42`. On the wire it is always that text;
/// what it reads back is as lenient as [`IncidentRef::parse`] (and takes a bare number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(value_type = String, example = "INC-42", pattern = "^(?i:inc-)?[1-9][0-9]*$"))]
pub struct IncidentRef(pub i64);

impl Serialize for IncidentRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IncidentRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = IncidentRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an incident reference like INC-42")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IncidentRef, E> {
                IncidentRef::parse(v)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IncidentRef, E> {
                (v > 0)
                    .then_some(IncidentRef(v))
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IncidentRef, E> {
                i64::try_from(v)
                    .ok()
                    .filter(|n| *n > 0)
                    .map(IncidentRef)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl fmt::Display for IncidentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INC-{}", self.0)
    }
}

impl IncidentRef {
    /// Accepts `INC-42`, `inc-42` or `42`.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let number = match value.get(..4) {
            Some(prefix) if prefix.eq_ignore_ascii_case("inc-") => &value[4..],
            _ => value,
        };
        number.parse::<i64>().ok().filter(|n| *n > 0).map(Self)
    }

    /// An optional reference from a form or query field: blank is none, and one that
    /// cannot name an incident is that field's error.
    pub fn parse_field(
        field: &str,
        value: Option<&str>,
    ) -> Result<Option<Self>, crate::error::AppError> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(value) => Self::parse(value).map(Some).ok_or_else(|| {
                crate::error::AppError::invalid(field, "Write an incident reference like INC-12.")
            }),
        }
    }

    /// Like `parse`, for a reference from a URL or form: one that cannot name an
    /// incident is a 404.
    pub fn parse_or_not_found(value: &str) -> Result<Self, crate::error::AppError> {
        Self::parse(value).ok_or_else(|| {
            crate::error::AppError::NotFound(format!("There is no incident {}.", value.trim()))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeverityView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub position: i32,
    pub requires_postmortem: bool,
    pub version: i32,
}

named_enum! {
    /// The roles people take during an incident.
    pub enum IncidentRole {
        Commander => "commander", "Incident commander";
        Communications => "communications", "Communications lead";
        Operations => "operations", "Operations lead";
        Scribe => "scribe", "Scribe";
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleAssignment {
    pub role: IncidentRole,
    pub user_id: i64,
    pub user_name: String,
}

/// An incident with everything its page shows in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentView {
    pub reference: IncidentRef,
    pub title: String,
    pub summary: String,
    /// The summary rendered and sanitised.
    pub summary_html: String,
    pub severity: SeverityView,
    pub status: Status,
    pub customer_impact: bool,
    pub times: Timestamps,
    pub services: Vec<ServiceRef>,
    pub roles: Vec<RoleAssignment>,
    pub merged_into: Option<IncidentRef>,
    /// Its incident type (`/api/v1/incident-types/{id}`); null only for an incident
    /// from before types, which counts as the default type.
    pub type_id: Option<i64>,
    /// The rule that asked for a published postmortem before closing, whatever the
    /// severity.
    pub postmortem_required_by: Option<String>,
    /// The version an update must name (optimistic concurrency).
    pub version: i32,
}

/// A row of the incident list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentSummary {
    pub reference: IncidentRef,
    pub title: String,
    pub severity: String,
    pub status: Status,
    pub declared_at: DateTime<Utc>,
    pub impact_started_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// An open incident as the home page shows it: what is on fire, who leads, my part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveIncident {
    pub reference: IncidentRef,
    pub title: String,
    pub severity: String,
    /// 1 is the most severe: the badge's colour.
    pub severity_position: i32,
    pub status: Status,
    pub declared_at: DateTime<Utc>,
    pub impact_started_at: Option<DateTime<Utc>>,
    pub commander: Option<String>,
    /// The roles the reader holds in it, if any.
    pub my_roles: Vec<IncidentRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentPage {
    pub incidents: Vec<IncidentSummary>,
    /// How many incidents match, counted up to [`IncidentPage::COUNT_CAP`] + 1 only: a
    /// list of a million incidents is not counted on every page.
    pub total: u64,
    /// Where the page of newer incidents ends (`before=`); none on the first page.
    pub newer: Option<ListCursor>,
    /// Where the page of older incidents starts (`after=`); none on the last page.
    pub older: Option<ListCursor>,
    /// The server's clock when the page was read, so "so far" durations render the same
    /// on the server and in the hydrating browser.
    pub now: DateTime<Utc>,
    /// Every severity, most severe first: the rows' names and the filter's choices, read
    /// once with the page.
    pub severities: Vec<SeverityView>,
    /// The incident types and the custom fields (id, name), for the filters.
    pub types: Vec<(i64, String)>,
    pub fields: Vec<(i64, String)>,
    /// Filters that were refused (an unknown status, a date that is not one), each shown
    /// beside its field; the list is then empty, as the API answers 422 for them.
    pub invalid: Vec<crate::error::FieldError>,
}

impl IncidentPage {
    pub const COUNT_CAP: u64 = 1000;

    /// The message for the filter `field`, if it was refused.
    pub fn invalid_message(&self, field: &str) -> Option<String> {
        self.invalid
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }

    /// "37 incidents", or "more than 1000 incidents" past the cap.
    pub fn total_text(&self) -> String {
        match self.total {
            1 => "1 incident".to_owned(),
            n if n > Self::COUNT_CAP => format!("more than {} incidents", Self::COUNT_CAP),
            n => format!("{n} incidents"),
        }
    }
}

/// A position in the incident list's order (open first, then newest declared, then
/// highest number): a page starts right after or ends right before one. Pages are read
/// from such a position through an index (keyset paging), so page 4,000 costs what page
/// 1 does. Written into links as `o.<nanoseconds>.<id>` (`c.` for a closed incident).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    pub open: bool,
    pub declared_at: DateTime<Utc>,
    pub id: i64,
}

impl ListCursor {
    pub fn encode(&self) -> String {
        let nanos = self.declared_at.timestamp_nanos_opt().unwrap_or_default();
        format!("{}.{nanos}.{}", if self.open { 'o' } else { 'c' }, self.id)
    }

    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.splitn(3, '.');
        let open = match parts.next()? {
            "o" => true,
            "c" => false,
            _ => return None,
        };
        let nanos: i64 = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        Some(Self {
            open,
            declared_at: DateTime::from_timestamp_nanos(nanos),
            id,
        })
    }
}

/// Which page of the list: the first, the one after a position, or the one before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageStart {
    #[default]
    First,
    After(ListCursor),
    Before(ListCursor),
}

impl PageStart {
    /// The page a link's `after=` and `before=` name (`after` wins when both are given).
    pub fn from_positions(after: Option<ListCursor>, before: Option<ListCursor>) -> Self {
        match (after, before) {
            (Some(at), _) => Self::After(at),
            (None, Some(at)) => Self::Before(at),
            (None, None) => Self::First,
        }
    }
}

/// What the incident list can be narrowed to; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFilter {
    pub status: Option<Status>,
    pub severity_id: Option<i64>,
    pub service_id: Option<i64>,
    /// Declared at or after.
    pub from: Option<DateTime<Utc>>,
    /// Declared before.
    pub to: Option<DateTime<Utc>>,
    /// Words searched in title and summary.
    pub text: Option<String>,
    /// Only incidents of this type.
    pub type_id: Option<i64>,
    /// Only incidents whose custom field (by id) holds this value, as stored.
    pub field: Option<(i64, String)>,
    pub start: PageStart,
}

/// The list page's filters as the URL carries them: words not yet checked, so a refused
/// one can be shown beside its field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: Option<String>,
    /// A severity id.
    pub severity: Option<String>,
    /// A service's slug or name.
    pub service: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub q: Option<String>,
    /// An incident type's id.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A custom field's id, and the value it must hold.
    pub field: Option<String>,
    pub value: Option<String>,
    /// A position in the list (`ListCursor::encode`).
    pub after: Option<String>,
    pub before: Option<String>,
}

/// The declare form, field by field (inputs named `form[title]` and so on).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeclareForm {
    pub title: String,
    /// A severity's id; empty: the type's default.
    pub severity_id: Option<String>,
    /// Services by id, as older forms and scripts send them.
    pub service_ids: Option<Vec<i64>>,
    /// Services by slug or name, comma-separated (the search field).
    pub services: Option<String>,
    pub summary: Option<String>,
    /// A checkbox: present when ticked.
    pub customer_impact: Option<String>,
    pub commander_id: Option<i64>,
    /// A person as the search field names them (`Name <email>`, an email or a name).
    pub commander: Option<String>,
    /// The change suspected of causing it (the form opened from a change).
    pub suspected_change: Option<i64>,
    /// An incident type's id; empty: the default type.
    pub type_id: Option<String>,
    /// Custom field values by `field_<id>` (several for a multi-select).
    pub fields: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

/// The incident page's "Edit details and times" form; times are `YYYY-MM-DDTHH:MM` in
/// the viewer's zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    pub title: String,
    pub summary: Option<String>,
    /// A checkbox: present when ticked.
    pub customer_impact: Option<String>,
    pub service_ids: Option<Vec<i64>>,
    pub services: Option<String>,
    pub impact_started_at: Option<String>,
    pub detected_at: Option<String>,
    pub declared_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub mitigated_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
}

named_enum! {
    /// What happened on the timeline.
    pub enum EventKind {
        Declared => "declared", "Declared";
        StatusChanged => "status_changed", "Status changed";
        SeverityChanged => "severity_changed", "Severity changed";
        RoleAssigned => "role_assigned", "Role assigned";
        ServicesChanged => "services_changed", "Services changed";
        TimestampChanged => "timestamp_changed", "Time corrected";
        TitleChanged => "title_changed", "Title changed";
        /// Summary or customer impact corrected.
        DetailsChanged => "details_changed", "Details changed";
        /// Another incident was merged into this one as its duplicate.
        DuplicateMerged => "duplicate_merged", "Duplicate merged";
        /// An action item was added, completed, dropped or reopened.
        ActionItem => "action_item", "Action item";
        /// An alert opened the incident, joined it, or resolved.
        Alert => "alert", "Alert";
        /// A change was marked as a cause, or unmarked.
        Change => "change", "Change";
        /// Published to the status page, or a public update posted there.
        StatusPage => "status_page", "Status page";
        /// A playbook attached or removed, or one of its steps ticked or unticked.
        Playbook => "playbook", "Playbook";
        /// The incident type changed.
        TypeChanged => "type_changed", "Type changed";
        /// Custom field values set or changed.
        FieldsChanged => "fields_changed", "Fields changed";
        /// A rule ran: which one and what it did (or rules stopped at the depth limit).
        RuleRan => "rule_ran", "Rule ran";
        Note => "note", "Note";
    }
}

named_enum! {
    /// Tags that pull an event into the postmortem's story.
    pub enum Marker {
        Detection => "detection", "Detection";
        Diagnosis => "diagnosis", "Diagnosis";
        Repair => "repair", "Repair";
        KeyMoment => "key_moment", "Key moment";
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineEventView {
    pub id: i64,
    pub kind: EventKind,
    pub body: String,
    /// The body rendered and sanitised.
    pub body_html: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub author: Option<String>,
    pub marker: Option<Marker>,
    pub highlighted: bool,
    pub deleted: bool,
    /// Earlier texts, oldest first.
    pub revisions: Vec<String>,
    /// The version an edit of the note must name (optimistic concurrency).
    pub version: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_with_or_without_their_prefix() {
        assert_eq!(IncidentRef::parse("INC-42"), Some(IncidentRef(42)));
        assert_eq!(IncidentRef::parse("inc-7"), Some(IncidentRef(7)));
        assert_eq!(IncidentRef::parse(" 12 "), Some(IncidentRef(12)));
        for bad in ["", "INC-", "INC-0", "INC--1", "INC-x", "PRB-3"] {
            assert_eq!(IncidentRef::parse(bad), None, "{bad}");
        }
        assert_eq!(IncidentRef(42).to_string(), "INC-42");
    }

    #[test]
    fn references_cross_the_wire_as_their_text() {
        assert_eq!(serde_json::to_value(IncidentRef(12)).unwrap(), "INC-12");
        for given in [r#""INC-12""#, r#""inc-12""#, r#""12""#, "12"] {
            let back: IncidentRef = serde_json::from_str(given).unwrap();
            assert_eq!(back, IncidentRef(12), "{given}");
        }
        for bad in [r#""INC-0""#, "0", "-3", r#""x""#, "null", "1.5"] {
            assert!(serde_json::from_str::<IncidentRef>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn enum_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        for marker in Marker::ALL {
            assert_eq!(Marker::parse(marker.as_str()), Some(marker));
        }
        for role in IncidentRole::ALL {
            assert_eq!(IncidentRole::parse(role.as_str()), Some(role));
        }
    }
}
