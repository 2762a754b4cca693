//! The packed rows parsed into incidents and their service links, once each.

use std::collections::HashMap;

use super::Scanned;
use super::sql::FIELDS;
use crate::db::pack;
use crate::error::AppError;
use crate::metrics::formulas::{IncidentTimes, Span};

/// (service id, index into the incidents) for every affected service of every incident.
pub(super) type Links = Vec<(i64, u32)>;

/// The incidents read so far, once each, and their (service, incident index) links.
#[derive(Debug, Default)]
pub(super) struct Rows {
    pub(super) incidents: Vec<Scanned>,
    pub(super) links: Links,
    /// Where the piece being parsed starts in `incidents` (pieces are disjoint).
    pub(super) piece: usize,
    /// Id to index for that piece, built only once its rows leave id order: SQLite reads
    /// a range of ids in order, where a binary search finds an incident without hashing
    /// every id; a join or PostgreSQL's grouping may not keep to it.
    pub(super) seen: Option<HashMap<i64, u32>>,
}

impl Rows {
    /// The index of the incident `id` of the current piece, if it was read.
    pub(super) fn slot_of(&self, id: i64) -> Option<u32> {
        match &self.seen {
            Some(seen) => seen.get(&id).copied(),
            None => self.incidents[self.piece..]
                .binary_search_by_key(&id, |i| i.id)
                .ok()
                .map(|n| (self.piece + n) as u32),
        }
    }

    /// Adds one piece's packed rows (nine fields each, `FIELDS`).
    pub(super) fn add(&mut self, packed: &[u8]) -> Result<(), AppError> {
        self.add_kept(packed, |_| true)
    }

    /// Adds the incidents of a block's packed rows that touch `span`: impact
    /// overlapping it, or declared in it (what the statements of a piece ask in SQL).
    pub(super) fn add_touching(&mut self, packed: &[u8], span: Span) -> Result<(), AppError> {
        self.add_kept(packed, |i| {
            let t = i.times;
            (t.start < span.end && t.mitigated.is_none_or(|m| m > span.start))
                || (i.declared >= span.start && i.declared < span.end)
        })
    }

    /// Adds the packed rows whose incident passes `keep`, each incident once.
    fn add_kept(&mut self, packed: &[u8], keep: impl Fn(&Scanned) -> bool) -> Result<(), AppError> {
        self.piece = self.incidents.len();
        self.seen = None;
        for f in pack::rows::<9>(packed)? {
            let required = |i: usize| {
                f[i].ok_or_else(|| {
                    AppError::internal(format!("packed row {f:?}: no {}", FIELDS[i]))
                })
            };
            let id = required(0)?;
            if self.seen.is_none()
                && self.incidents[self.piece..]
                    .last()
                    .is_some_and(|last| last.id > id)
            {
                self.seen = Some(
                    (self.piece..self.incidents.len())
                        .map(|n| (self.incidents[n].id, n as u32))
                        .collect(),
                );
            }
            let slot = match self.slot_of(id) {
                Some(slot) => slot,
                None => {
                    let scanned = Scanned {
                        id,
                        severity_id: required(1)?,
                        declared: required(3)?,
                        times: IncidentTimes {
                            start: required(4)?,
                            detected: required(5)?,
                            acknowledged: f[6],
                            mitigated: f[7],
                            resolved: f[8],
                        },
                    };
                    if !keep(&scanned) {
                        continue;
                    }
                    let slot = self.incidents.len() as u32;
                    self.incidents.push(scanned);
                    if let Some(seen) = &mut self.seen {
                        seen.insert(id, slot);
                    }
                    slot
                }
            };
            if let Some(service) = f[2] {
                self.links.push((service, slot));
            }
        }
        Ok(())
    }

    /// Adds the packed (incident, service) links of the piece just parsed by `add`,
    /// keeping those of incidents it read.
    pub(super) fn add_links(&mut self, packed: &[u8]) -> Result<(), AppError> {
        for [incident, service] in pack::rows::<2>(packed)? {
            let (Some(incident), Some(service)) = (incident, service) else {
                return Err(AppError::internal("a packed link without its ends"));
            };
            if let Some(slot) = self.slot_of(incident) {
                self.links.push((service, slot));
            }
        }
        Ok(())
    }
}
