//! Thin server functions over `service`: incident types and custom fields (admins
//! shape them; everyone reads them), and an incident's type and values (responders).

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::{FieldDef, FieldForm, TypeChoices, TypeForm, TypeSettings};
use crate::error::AppError;
use crate::incidents::types::IncidentTypeView;

#[cfg(feature = "ssr")]
use {
    super::service,
    super::{FieldInput, FieldKind, Stage},
    crate::accounts::Role,
    crate::incidents::IncidentRef,
    crate::incidents::types::{FieldValues, TypeInput},
    crate::web::{self, redirect_form_post, with_status},
};

/// The type a form's select names (empty: none chosen), or the error beside it.
#[cfg(feature = "ssr")]
pub fn chosen_type(text: Option<&str>) -> Result<Option<i64>, AppError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid("type_id", "Choose an incident type from the list.")),
    }
}

/// A form's values (`field_<id>` keys) by field id.
#[cfg(feature = "ssr")]
pub fn entered_values(form: BTreeMap<String, Vec<String>>) -> Result<FieldValues, AppError> {
    form.into_iter()
        .map(|(key, values)| {
            key.strip_prefix("field_")
                .and_then(|id| id.parse::<i64>().ok())
                .map(|id| (id, values))
                .ok_or_else(|| {
                    AppError::invalid("fields", format!("{key:?} names no custom field."))
                })
        })
        .collect()
}

#[cfg(feature = "ssr")]
fn ids(field: &str, values: Option<Vec<String>>) -> Result<Vec<i64>, AppError> {
    values
        .unwrap_or_default()
        .iter()
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| AppError::invalid(field, "Choose from the list."))
        })
        .collect()
}

/// Every type with what it brings, and what the forms choose from (admins).
#[server(prefix = "/rpc", endpoint = "admin_incident_types")]
pub async fn admin_incident_types() -> Result<(Vec<TypeSettings>, TypeChoices), AppError> {
    let (state, _) = web::require(Role::Admin)?;
    let result = async {
        Ok((
            service::type_settings(&state.db, true).await?,
            service::type_choices(&state.db).await?,
        ))
    }
    .await;
    with_status(result)
}

/// Adds a type (no `id`) or saves one at `version` (admins).
#[server(prefix = "/rpc", endpoint = "save_incident_type")]
pub async fn save_incident_type(
    id: Option<i64>,
    version: Option<i32>,
    #[server(default)] form: TypeForm,
) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let input = TypeInput {
            name: form.name,
            description: form.description,
            default_severity_id: ids(
                "default_severity_id",
                form.default_severity_id.map(|s| vec![s]),
            )?
            .first()
            .copied(),
            required_roles: form
                .roles
                .unwrap_or_default()
                .iter()
                .filter_map(|r| crate::incidents::IncidentRole::parse(r))
                .collect(),
            postmortem_required: form.postmortem_required.is_some(),
            is_default: form.is_default.is_some(),
        };
        service::save_type(
            &state.db,
            &web::actor(&admin),
            id,
            &input,
            &ids("playbook_ids", form.playbooks)?,
            &ids("channel_ids", form.channels)?,
            version.unwrap_or(1),
        )
        .await?;
        redirect_form_post("/admin/incident-types");
        Ok(())
    }
    .await;
    with_status(result)
}

/// Archives a type or brings it back (admins). `archive` is "true" or "false".
#[server(prefix = "/rpc", endpoint = "archive_incident_type")]
pub async fn archive_incident_type(id: i64, archive: String) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        service::archive_type(&state.db, &web::actor(&admin), id, archive == "true").await?;
        redirect_form_post("/admin/incident-types");
        Ok(())
    }
    .await;
    with_status(result)
}

/// Adds a field (no `id`) or saves one at `version` (admins).
#[server(prefix = "/rpc", endpoint = "save_custom_field")]
pub async fn save_custom_field(
    id: Option<i64>,
    version: Option<i32>,
    #[server(default)] form: FieldForm,
) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        let input = FieldInput {
            label: form.label,
            description: form.description,
            kind: FieldKind::parse(&form.kind)
                .ok_or_else(|| AppError::invalid("kind", "Choose what the field holds."))?,
            options: form.options.lines().map(str::to_owned).collect(),
            required_at: if form.required_at.trim().is_empty() {
                Stage::Never
            } else {
                Stage::parse(&form.required_at)
                    .ok_or_else(|| AppError::invalid("required_at", "Choose when it is needed."))?
            },
            type_ids: ids("type_ids", form.types)?,
        };
        let actor = web::actor(&admin);
        match id {
            None => service::create_field(&state.db, &actor, &input)
                .await
                .map(|_| ())?,
            Some(id) => {
                service::update_field(&state.db, &actor, id, &input, version.unwrap_or(1)).await?
            }
        }
        redirect_form_post("/admin/fields");
        Ok(())
    }
    .await;
    with_status(result)
}

/// Archives a field or brings it back (admins). `archive` is "true" or "false".
#[server(prefix = "/rpc", endpoint = "archive_custom_field")]
pub async fn archive_custom_field(id: i64, archive: String) -> Result<(), AppError> {
    let (state, admin) = web::require(Role::Admin)?;
    let result = async {
        service::set_field_archived(&state.db, &web::actor(&admin), id, archive == "true").await?;
        redirect_form_post("/admin/fields");
        Ok(())
    }
    .await;
    with_status(result)
}

/// Sets an incident's type and field values if it is still at `version` (responders).
#[server(prefix = "/rpc", endpoint = "update_incident_fields")]
pub async fn update_incident_fields(
    reference: String,
    version: i32,
    #[server(default)] type_id: Option<String>,
    #[server(default)] fields: Option<BTreeMap<String, Vec<String>>>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        crate::workflow::update_fields(
            &state.db,
            &user,
            reference,
            chosen_type(type_id.as_deref())?,
            &entered_values(fields.unwrap_or_default())?,
            version,
        )
        .await?;
        redirect_form_post(&format!("/incidents/{reference}#fields"));
        Ok(())
    }
    .await;
    with_status(result)
}

/// What the declare form adds: the types, and the fields needed when declaring.
#[server(prefix = "/rpc", endpoint = "declare_choices")]
pub async fn declare_choices() -> Result<(Vec<IncidentTypeView>, Vec<FieldDef>), AppError> {
    let (state, _) = web::require(Role::Viewer)?;
    let result = async {
        let types = crate::incidents::service::types::list_types(&state.db, false).await?;
        let fields = service::list_fields(&state.db, false)
            .await?
            .into_iter()
            .filter(|f| f.required_at == Stage::Declare)
            .collect();
        Ok((types, fields))
    }
    .await;
    with_status(result)
}

/// Every custom field, archived ones too, and the types they may be asked for (admins).
#[server(prefix = "/rpc", endpoint = "admin_custom_fields")]
pub async fn admin_custom_fields() -> Result<(Vec<FieldDef>, Vec<IncidentTypeView>), AppError> {
    let (state, _) = web::require(Role::Admin)?;
    let result = async {
        Ok((
            service::list_fields(&state.db, true).await?,
            crate::incidents::service::types::list_types(&state.db, false).await?,
        ))
    }
    .await;
    with_status(result)
}
