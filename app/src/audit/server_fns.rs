use leptos::prelude::*;

use super::AuditPage;
use crate::error::AppError;

#[server(prefix = "/rpc", endpoint = "audit_log")]
pub async fn get_audit_log(page: u64) -> Result<AuditPage, AppError> {
    use crate::accounts::Role;
    use crate::web::{self, with_status};

    let (state, _) = web::require(Role::Admin)?;
    with_status(super::service::list(&state.db, page).await)
}
