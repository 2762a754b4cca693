//! The typeahead endpoint: a GET, so suggestions can be fetched as fast as people type.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use super::{Choice, ChoiceKind};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    crate::accounts::Role,
    crate::web::{self, with_status},
};

/// Suggestions for what has been typed into a search field, best first.
#[server(prefix = "/rpc", endpoint = "choices", input = GetUrl)]
pub async fn search_choices(kind: ChoiceKind, q: String) -> Result<Vec<Choice>, AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    with_status(super::service::search(&state.db, kind, &q).await)
}
