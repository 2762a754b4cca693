//! What an action item is: its kind, priority and status, and when it counts as overdue.

use crate::named::named_enum;
use chrono::NaiveDate;

named_enum! {
    /// What the item does about the failure (the SRE book's categories).
    pub enum ItemKind {
        Mitigate => "mitigate", "Mitigate";
        Prevent => "prevent", "Prevent";
        Detect => "detect", "Detect";
        Process => "process", "Process";
        Other => "other", "Other";
    }
}

named_enum! {
    pub enum Priority {
        High => "high", "High";
        Medium => "medium", "Medium";
        Low => "low", "Low";
    }
}

named_enum! {
    pub enum ItemStatus {
        Open => "open", "Open";
        InProgress => "in_progress", "In progress";
        Done => "done", "Done";
        WontDo => "wont_do", "Won't do";
    }
}

impl ItemStatus {
    /// Still to do: counts towards overdue and "my action items".
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::InProgress)
    }
}

/// Past its due date and not finished.
pub fn is_overdue(status: ItemStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    status.is_pending() && due_on.is_some_and(|due| due < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn overdue_means_pending_and_past_due() {
        let today = day(22);
        assert!(is_overdue(ItemStatus::Open, Some(day(21)), today));
        assert!(is_overdue(ItemStatus::InProgress, Some(day(1)), today));
        assert!(
            !is_overdue(ItemStatus::Open, Some(day(22)), today),
            "due today is not late"
        );
        assert!(!is_overdue(ItemStatus::Open, None, today));
        assert!(!is_overdue(ItemStatus::Done, Some(day(1)), today));
        assert!(!is_overdue(ItemStatus::WontDo, Some(day(1)), today));
    }

    #[test]
    fn names_round_trip() {
        for k in ItemKind::ALL {
            assert_eq!(ItemKind::parse(k.as_str()), Some(k));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        for s in ItemStatus::ALL {
            assert_eq!(ItemStatus::parse(s.as_str()), Some(s));
        }
    }
}
