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
    /// The owner as the owner field writes them (`Name <email>`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
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
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}
