//! The review workflow of a postmortem: draft -> in review -> approved -> published,
//! decided here in one table.

use crate::named::named_enum;

named_enum! {
    /// Where a postmortem is in its review.
    pub enum PostmortemStatus {
        Draft => "draft", "Draft";
        InReview => "in_review", "In review";
        Approved => "approved", "Approved";
        Published => "published", "Published";
    }
}

impl PostmortemStatus {
    /// Sections can be written in draft and during review (an edit during review
    /// withdraws the approvals given so far: reviewers approve what they read).
    pub fn is_editable(self) -> bool {
        matches!(self, Self::Draft | Self::InReview)
    }
}

named_enum! {
    /// What someone asks the workflow to do.
    pub enum ReviewStep {
        /// Draft -> in review; needs at least one reviewer.
        SubmitForReview => "submit_for_review", "Submit for review";
        /// In review -> draft, with the approvals withdrawn.
        RequestChanges => "request_changes", "Request changes";
        /// A reviewer approves; the last approval moves it to approved.
        Approve => "approve", "Approve";
        /// Approved -> published: readable by everyone.
        Publish => "publish", "Publish";
        /// Approved or published -> draft, to revise.
        Reopen => "reopen", "Reopen as draft";
    }
}

/// Who is asking, as far as the workflow cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asker {
    /// One of the assigned reviewers.
    pub is_reviewer: bool,
    /// Has already approved this round.
    pub has_approved: bool,
    /// Can write incidents (responder or admin).
    pub can_write: bool,
}

/// The facts the workflow decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewState {
    pub status: PostmortemStatus,
    pub reviewers: usize,
    /// Approvals given this round, before this step.
    pub approvals: usize,
}

/// Decides a step: the status it leads to, or why it is refused.
pub fn review_step(
    state: ReviewState,
    step: ReviewStep,
    asker: Asker,
) -> Result<PostmortemStatus, String> {
    use PostmortemStatus::*;
    if !asker.can_write {
        return Err("Only responders and admins take part in reviews.".into());
    }
    let refuse = || {
        Err(format!(
            "A postmortem that is {} cannot be sent to \u{201c}{}\u{201d}.",
            state.status.label().to_lowercase(),
            step.label().to_lowercase()
        ))
    };
    match (state.status, step) {
        (Draft, ReviewStep::SubmitForReview) if state.reviewers == 0 => {
            Err("Assign at least one reviewer before submitting for review.".into())
        }
        (Draft, ReviewStep::SubmitForReview) => Ok(InReview),
        (InReview, ReviewStep::RequestChanges) => Ok(Draft),
        (InReview, ReviewStep::Approve) if !asker.is_reviewer => {
            Err("Only an assigned reviewer can approve.".into())
        }
        (InReview, ReviewStep::Approve) if asker.has_approved => {
            Err("You have already approved this postmortem.".into())
        }
        (InReview, ReviewStep::Approve) if state.approvals + 1 >= state.reviewers => Ok(Approved),
        (InReview, ReviewStep::Approve) => Ok(InReview),
        (Approved, ReviewStep::Publish) => Ok(Published),
        (Approved | Published, ReviewStep::Reopen) => Ok(Draft),
        _ => refuse(),
    }
}

#[cfg(test)]
mod tests {
    use super::PostmortemStatus::*;
    use super::*;

    const WRITER: Asker = Asker {
        is_reviewer: false,
        has_approved: false,
        can_write: true,
    };
    const REVIEWER: Asker = Asker {
        is_reviewer: true,
        ..WRITER
    };

    fn state(status: PostmortemStatus, reviewers: usize, approvals: usize) -> ReviewState {
        ReviewState {
            status,
            reviewers,
            approvals,
        }
    }

    #[test]
    fn the_workflow_table() {
        use ReviewStep::*;
        let cases: &[(
            ReviewState,
            ReviewStep,
            Asker,
            Result<PostmortemStatus, &str>,
        )] = &[
            (state(Draft, 1, 0), SubmitForReview, WRITER, Ok(InReview)),
            (
                state(Draft, 0, 0),
                SubmitForReview,
                WRITER,
                Err("at least one reviewer"),
            ),
            (state(InReview, 2, 0), Approve, REVIEWER, Ok(InReview)),
            (state(InReview, 2, 1), Approve, REVIEWER, Ok(Approved)),
            (
                state(InReview, 1, 0),
                Approve,
                WRITER,
                Err("Only an assigned reviewer"),
            ),
            (
                state(InReview, 2, 1),
                Approve,
                Asker {
                    has_approved: true,
                    ..REVIEWER
                },
                Err("already approved"),
            ),
            (state(InReview, 1, 0), RequestChanges, WRITER, Ok(Draft)),
            (state(Approved, 1, 1), Publish, WRITER, Ok(Published)),
            (state(Approved, 1, 1), Reopen, WRITER, Ok(Draft)),
            (state(Published, 1, 1), Reopen, WRITER, Ok(Draft)),
            (state(Draft, 1, 0), Publish, WRITER, Err("cannot be sent")),
            (
                state(InReview, 1, 0),
                Publish,
                WRITER,
                Err("cannot be sent"),
            ),
            (
                state(Published, 1, 1),
                Approve,
                REVIEWER,
                Err("cannot be sent"),
            ),
            (
                state(Draft, 1, 0),
                SubmitForReview,
                Asker {
                    can_write: false,
                    ..WRITER
                },
                Err("Only responders and admins"),
            ),
        ];
        for (state, step, asker, expected) in cases {
            let got = review_step(*state, *step, *asker);
            match (expected, &got) {
                (Ok(status), Ok(actual)) => assert_eq!(status, actual, "{state:?} {step:?}"),
                (Err(part), Err(message)) => {
                    assert!(message.contains(part), "{state:?} {step:?}: {message}")
                }
                _ => panic!("{state:?} {step:?}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for status in PostmortemStatus::ALL {
            assert_eq!(PostmortemStatus::parse(status.as_str()), Some(status));
        }
        for step in ReviewStep::ALL {
            assert_eq!(ReviewStep::parse(step.as_str()), Some(step));
        }
        assert!(Draft.is_editable() && InReview.is_editable());
        assert!(!Approved.is_editable() && !Published.is_editable());
    }
}
