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
        crate::workflow::link_change(&state.db, &user, reference, change_id, cause).await?;
        redirect_form_post(&format!("/incidents/{reference}#changes"));
        Ok(())
    }
    .await;
    with_status(result)
}

/// Marks change `change_id` rolled back by hand, from incident `reference`'s page.
#[server(prefix = "/rpc", endpoint = "mark_change_rolled_back")]
pub async fn mark_change_rolled_back(reference: String, change_id: i64) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::incidents::IncidentRef;
    use crate::web::{self, redirect_form_post, with_status};
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        super::service::mark_rolled_back(&state.db, &user, change_id).await?;
        redirect_form_post(&format!("/incidents/{reference}#changes"));
        Ok(())
    }
    .await;
    with_status(result)
}

/// One page of the changes list, or the filters it refused (each shown by its field).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangesPage {
    pub changes: Vec<super::ChangeView>,
    /// The position of the next (older) page.
    pub next: Option<String>,
    pub invalid: Vec<crate::error::FieldError>,
}

impl ChangesPage {
    pub fn invalid_message(&self, field: &str) -> Option<String> {
        self.invalid
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }
}

/// How many changes the list shows a page.
pub const LIST_PAGE: u64 = 50;

/// The changes list: newest first, filtered by service (a name, slug or id), kind,
/// outcome and whether it caused an incident.
#[server(prefix = "/rpc", endpoint = "changes_page")]
pub async fn get_changes_page(
    service: Option<String>,
    kind: Option<String>,
    outcome: Option<String>,
    caused: Option<String>,
    after: Option<String>,
) -> Result<ChangesPage, AppError> {
    use super::service::{ChangeFilter, Position, list_changes};
    use super::{ChangeKind, ChangeOutcome};
    use crate::accounts::Role;
    use crate::error::FieldError;
    use crate::web::{self, with_status};
    let (state, _) = web::require(Role::Viewer)?;
    let result = async {
        let mut invalid = Vec::new();
        let word = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let service_id = match word(&service) {
            None => None,
            Some(text) => {
                match crate::choices::service::resolve_service(&state.db, "service", &text).await {
                    Ok(id) => id,
                    Err(AppError::Invalid(errors)) => {
                        invalid.extend(errors);
                        None
                    }
                    Err(other) => return Err(other),
                }
            }
        };
        let kind = word(&kind).and_then(|k| {
            ChangeKind::parse(&k).or_else(|| {
                invalid.push(FieldError::new("kind", "Choose a kind from the list."));
                None
            })
        });
        let outcome = word(&outcome).and_then(|o| {
            ChangeOutcome::parse(&o).or_else(|| {
                invalid.push(FieldError::new(
                    "outcome",
                    "Choose an outcome from the list.",
                ));
                None
            })
        });
        let caused_incident = match word(&caused).as_deref() {
            None => None,
            Some("yes") => Some(true),
            Some("no") => Some(false),
            Some(_) => {
                invalid.push(FieldError::new("caused", "Choose yes, no or any."));
                None
            }
        };
        if !invalid.is_empty() {
            return Ok(ChangesPage {
                changes: Vec::new(),
                next: None,
                invalid,
            });
        }
        let page = list_changes(
            &state.db,
            &ChangeFilter {
                service_id,
                kind,
                outcome,
                caused_incident,
                // A position that is not one of ours (an edited link) starts from the top.
                after: word(&after).as_deref().and_then(Position::parse),
                limit: LIST_PAGE,
                ..Default::default()
            },
        )
        .await?;
        Ok(ChangesPage {
            changes: page.changes,
            next: page.next.map(|p| p.to_string()),
            invalid,
        })
    }
    .await;
    with_status(result)
}

#[cfg(feature = "ssr")]
const SECRET_FLASH_KEY: &str = "flash.change_secret";

/// Without JavaScript a new secret is shown on the page the form post lands on, once.
#[cfg(feature = "ssr")]
async fn flash_secret(secret: &super::IssuedSecret) -> Result<(), AppError> {
    use crate::web::{flash, is_form_post, redirect_form_post};
    if is_form_post() {
        flash(SECRET_FLASH_KEY, secret).await?;
        redirect_form_post("/admin/change-sources");
    }
    Ok(())
}

/// The secret issued by the last plain form post, shown once.
#[server(prefix = "/rpc", endpoint = "take_change_secret")]
pub async fn take_change_secret() -> Result<Option<super::IssuedSecret>, AppError> {
    use crate::accounts::Role;
    crate::web::require(Role::Admin)?;
    crate::web::take_flash(SECRET_FLASH_KEY).await
}

/// The change sources, for the admin page.
#[server(prefix = "/rpc", endpoint = "change_sources")]
pub async fn get_change_sources() -> Result<Vec<super::ChangeSourceView>, AppError> {
    use crate::accounts::Role;
    let (state, _) = crate::web::require(Role::Admin)?;
    crate::web::with_status(super::sources::admin_view(&state.db).await)
}

#[server(prefix = "/rpc", endpoint = "create_change_source")]
pub async fn create_change_source(
    #[server(default)] form: super::ChangeSourceForm,
) -> Result<super::IssuedSecret, AppError> {
    use crate::accounts::Role;
    use crate::web;
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let secret =
            super::sources::create_source(&state.db, &admin, &form, web::actor(&admin).ip).await?;
        flash_secret(&secret).await?;
        Ok(secret)
    }
    .await;
    web::with_status(result)
}

#[server(prefix = "/rpc", endpoint = "rotate_change_secret")]
pub async fn rotate_change_secret(id: i64) -> Result<super::IssuedSecret, AppError> {
    use crate::accounts::Role;
    use crate::web;
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let secret =
            super::sources::rotate_secret(&state.db, &admin, id, web::actor(&admin).ip).await?;
        flash_secret(&secret).await?;
        Ok(secret)
    }
    .await;
    web::with_status(result)
}

#[server(prefix = "/rpc", endpoint = "set_change_source_disabled")]
pub async fn set_change_source_disabled(id: i64, disabled: bool) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::web;
    let (state, admin) = web::require(Role::Admin)?;
    let result =
        super::sources::set_disabled(&state.db, &admin, id, disabled, web::actor(&admin).ip).await;
    web::with_status(result).inspect(|_| web::redirect_form_post("/admin/change-sources"))
}

/// One change, for the declare form opened from it.
#[server(prefix = "/rpc", endpoint = "change")]
pub async fn get_change(id: i64) -> Result<super::ChangeView, AppError> {
    use crate::accounts::Role;
    let (state, _) = crate::web::require(Role::Viewer)?;
    crate::web::with_status(super::service::get_change(&state.db, id).await)
}
