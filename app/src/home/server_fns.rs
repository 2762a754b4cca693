//! The home page's one read.

use leptos::prelude::*;

use super::OnCall;
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "on_call")]
pub async fn get_on_call() -> Result<OnCall, AppError> {
    use crate::accounts::Role;
    use crate::web::{self, with_status};
    let (state, user) = web::require(Role::Viewer)?;
    // "Overdue" turns over at the reader's midnight, not UTC's.
    let now = chrono::Utc::now();
    let today = crate::time::ViewerZone::from_request().local(now).date();
    with_status(super::service::on_call(&state.db, &state.budgets, &user, now, today).await)
}
