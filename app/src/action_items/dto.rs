//! What crosses the wire about action items.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::model::{ItemKind, ItemStatus, Priority};
use crate::accounts::PersonRef;
use crate::incidents::IncidentRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionItemView {
    pub id: i64,
    pub incident: IncidentRef,
    pub incident_title: String,
    pub title: String,
    pub description: String,
    pub description_html: String,
    pub kind: ItemKind,
    pub priority: Priority,
    pub owner: Option<PersonRef>,
    /// The owner as the page's owner field writes them (`Name <email>`): for the form,
    /// so neither documented nor answered by the API.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "ssr", schema(ignore))]
    pub owner_value: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub status: ItemStatus,
    pub wont_do_reason: Option<String>,
    pub tracker_url: Option<String>,
    pub version: i32,
    pub overdue: bool,
    pub completed_at: Option<DateTime<Utc>>,
}

/// What the action items page can be narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItemFilter {
    pub owner_id: Option<i64>,
    /// `None`: every status; pending ones first.
    pub status: Option<ItemStatus>,
    /// Only items still to do (open or in progress).
    pub pending: bool,
    pub service_id: Option<i64>,
    pub overdue: bool,
    pub incident: Option<IncidentRef>,
    /// One item by its id (the API's read of an item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// 1-based.
    pub page: u64,
    /// Read the items after this one instead of a numbered page (keyset paging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<ItemCursor>,
}

/// A position in the action items' order (pending first, then by due date with undated
/// last, then by id): the API's `next`, read with `after`. Written `p.2026-12-01.42`
/// (`d.` for an item no longer pending, `_` for no due date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemCursor {
    pub pending: bool,
    pub due_on: Option<NaiveDate>,
    pub id: i64,
}

impl ItemCursor {
    pub fn encode(&self) -> String {
        let due = self
            .due_on
            .map_or_else(|| "_".to_owned(), |d| d.to_string());
        format!("{}.{due}.{}", if self.pending { 'p' } else { 'd' }, self.id)
    }

    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.splitn(3, '.');
        let pending = match parts.next()? {
            "p" => true,
            "d" => false,
            _ => return None,
        };
        let due_on = match parts.next()? {
            "_" => None,
            date => Some(NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?),
        };
        let id = parts.next()?.parse().ok()?;
        Some(Self {
            pending,
            due_on,
            id,
        })
    }
}

/// The add and change forms of an action item (inputs named `form[title]` and so on).
/// Words are checked by the server, which answers a refused one beside its field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemForm {
    pub title: String,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub priority: Option<String>,
    /// The owner by id, as scripts and older forms send them.
    pub owner_id: Option<String>,
    /// The owner as the search field names them; empty for nobody.
    pub owner: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    /// Only the change form has it; an added item is open.
    pub status: Option<String>,
    pub wont_do_reason: Option<String>,
    pub tracker_url: Option<String>,
}

/// The action items list as a page or link asks for it: `owner` is `me` or a person as a
/// search field names them (an id from older links too); `service` a service's slug,
/// name or id; `status` a status or `pending`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemQuery {
    pub owner: Option<String>,
    pub status: Option<String>,
    pub service: Option<String>,
    pub overdue: Option<String>,
    pub incident: Option<String>,
    pub page: Option<u64>,
}

impl ItemQuery {
    /// The first page of one incident's items.
    pub fn of_incident(reference: String) -> Self {
        Self {
            incident: Some(reference),
            page: Some(1),
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionItemPage {
    pub items: Vec<ActionItemView>,
    /// The page number asked for; 0 when read by position (`after`).
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    /// The position after the last item here (pass it as `after`); null at the end.
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::ItemCursor;

    #[test]
    fn an_item_position_reads_back_as_written() {
        for cursor in [
            ItemCursor {
                pending: true,
                due_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 1),
                id: 42,
            },
            ItemCursor {
                pending: false,
                due_on: None,
                id: 7,
            },
        ] {
            assert_eq!(ItemCursor::parse(&cursor.encode()), Some(cursor));
        }
        for bad in ["", "p", "x._.1", "p.2026-13-01.1", "p._.one", "p._"] {
            assert_eq!(ItemCursor::parse(bad), None, "{bad}");
        }
    }
}
