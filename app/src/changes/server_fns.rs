//! The incident page's one write about changes: mark one a cause, or unmark it.

use leptos::prelude::*;

use crate::error::AppError;

/// Marks change `change_id` as the `cause` (`suspected` or `confirmed`) of incident
/// `reference`; an empty `cause` unlinks it.
#[server(prefix = "/rpc", endpoint = "link_change")]
pub async fn link_change(reference: String, change_id: i64, cause: String) -> Result<(), AppError> {
    use super::Cause;
    use crate::accounts::Role;
    use crate::incidents::IncidentRef;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let cause = match cause.trim() {
            "" => None,
            word => Some(
                Cause::parse(word)
                    .ok_or_else(|| AppError::invalid("cause", "Choose suspected or confirmed."))?,
            ),
        };
        super::service::link_cause(&state.db, &user, reference, change_id, cause).await?;
        redirect_form_post(&format!("/incidents/{reference}#changes"));
        Ok(())
    }
    .await;
    with_status(result)
}
