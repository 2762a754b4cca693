//! Incident types, custom fields, and an incident's type and values.

use std::collections::BTreeMap;

use app::error::AppError;
use app::fields::service;
use app::fields::{FieldDef, FieldInput, IncidentFields, TypeSettings};
use app::incidents::IncidentRole;
use app::incidents::types::{FieldValues, TypeInput};
use app::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Admin, ApiJson, ApiQuery, IncidentPath, Responder, Viewer};
use super::{IncidentMissing, Refused, WriteRefused};

fn type_missing() -> AppError {
    AppError::NotFound("There is no such incident type.".into())
}

fn field_missing() -> AppError {
    AppError::NotFound("There is no such custom field.".into())
}

/// An incident type (`.../incident-types/{id}`); a path naming no number is a 404.
#[derive(IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub(super) struct TypePath(
    /// The type's `id`.
    i64,
);

impl<S: Send + Sync> FromRequestParts<S> for TypePath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        super::extract::path_number(parts, state, type_missing)
            .await
            .map(TypePath)
    }
}

/// A custom field (`.../custom-fields/{id}`); a path naming no number is a 404.
#[derive(IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub(super) struct FieldPath(
    /// The field's `id`.
    i64,
);

impl<S: Send + Sync> FromRequestParts<S> for FieldPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        super::extract::path_number(parts, state, field_missing)
            .await
            .map(FieldPath)
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ArchivedQuery {
    /// Archived ones too.
    archived: Option<bool>,
}

/// The incident types, the default first.
#[derive(Serialize, ToSchema)]
pub(super) struct Types {
    types: Vec<TypeSettings>,
}

#[utoipa::path(get, path = "/api/v1/incident-types", tag = "incident types",
    params(ArchivedQuery),
    responses(
        (status = 200, description = "Every type with its playbooks, channels, fields and incident count", body = Types),
        (status = 422, description = "A query that does not parse", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn types(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(query): ApiQuery<ArchivedQuery>,
) -> Result<Json<Types>, AppError> {
    let types = service::type_settings(&state.db, query.archived.unwrap_or(false)).await?;
    Ok(Json(Types { types }))
}

async fn one_type(state: &AppState, id: i64) -> Result<TypeSettings, AppError> {
    service::type_settings(&state.db, true)
        .await?
        .into_iter()
        .find(|t| t.kind.id == id)
        .ok_or_else(type_missing)
}

#[utoipa::path(get, path = "/api/v1/incident-types/{id}", tag = "incident types",
    params(TypePath),
    responses(
        (status = 200, description = "The type with what it brings", body = TypeSettings),
        (status = 404, description = "No such type", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn incident_type(
    State(state): State<AppState>,
    _: Viewer,
    TypePath(id): TypePath,
) -> Result<Json<TypeSettings>, AppError> {
    Ok(Json(one_type(&state, id).await?))
}

/// A type as an admin writes it: the same rules as the form (a name of 1 to 80
/// characters, unique; roles among communications, operations and scribe).
#[derive(Deserialize, ToSchema)]
pub(super) struct TypeBody {
    #[schema(min_length = 1, max_length = 80)]
    name: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    description: String,
    /// The severity a declaration of this type gets when it names none.
    default_severity_id: Option<i64>,
    /// Roles held before resolving.
    #[serde(default)]
    required_roles: Vec<IncidentRole>,
    #[serde(default)]
    postmortem_required: bool,
    /// Makes it the default type.
    #[serde(default)]
    is_default: bool,
    /// Playbooks every incident of the type gets.
    #[serde(default)]
    playbook_ids: Vec<i64>,
    /// Notification channels told about every incident of the type.
    #[serde(default)]
    channel_ids: Vec<i64>,
}

impl TypeBody {
    fn input(&self) -> TypeInput {
        TypeInput {
            name: self.name.clone(),
            description: self.description.clone(),
            default_severity_id: self.default_severity_id,
            required_roles: self.required_roles.clone(),
            postmortem_required: self.postmortem_required,
            is_default: self.is_default,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/incident-types", tag = "incident types", request_body = TypeBody,
    responses(
        (status = 201, description = "Added; `Location` is its API address", body = TypeSettings),
        Refused, WriteRefused,
    ))]
pub(super) async fn create_type(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
    ApiJson(body): ApiJson<TypeBody>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<TypeSettings>,
    ),
    AppError,
> {
    let id = service::save_type(
        &state.db,
        &actor,
        None,
        &body.input(),
        &body.playbook_ids,
        &body.channel_ids,
        1,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/incident-types/{id}"))],
        Json(one_type(&state, id).await?),
    ))
}

/// The whole type as it should be, at the `version` read; `archived` archives it or
/// brings it back (the default type cannot be archived).
#[derive(Deserialize, ToSchema)]
pub(super) struct TypeChange {
    version: i32,
    #[serde(flatten)]
    body: TypeBody,
    archived: Option<bool>,
}

#[utoipa::path(put, path = "/api/v1/incident-types/{id}", tag = "incident types",
    params(TypePath),
    request_body = TypeChange,
    responses(
        (status = 200, description = "Saved", body = TypeSettings),
        (status = 404, description = "No such type", body = super::ApiError),
        Refused, WriteRefused,
    ))]
pub(super) async fn update_type(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
    TypePath(id): TypePath,
    ApiJson(change): ApiJson<TypeChange>,
) -> Result<Json<TypeSettings>, AppError> {
    one_type(&state, id).await?;
    let body = &change.body;
    service::save_type(
        &state.db,
        &actor,
        Some(id),
        &body.input(),
        &body.playbook_ids,
        &body.channel_ids,
        change.version,
    )
    .await?;
    if let Some(archive) = change.archived {
        service::archive_type(&state.db, &actor, id, archive).await?;
    }
    Ok(Json(one_type(&state, id).await?))
}

/// The custom fields, in order.
#[derive(Serialize, ToSchema)]
pub(super) struct Fields {
    fields: Vec<FieldDef>,
}

#[utoipa::path(get, path = "/api/v1/custom-fields", tag = "custom fields",
    params(ArchivedQuery),
    responses(
        (status = 200, description = "Every custom field", body = Fields),
        (status = 422, description = "A query that does not parse", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn fields(
    State(state): State<AppState>,
    _: Viewer,
    ApiQuery(query): ApiQuery<ArchivedQuery>,
) -> Result<Json<Fields>, AppError> {
    let fields = service::list_fields(&state.db, query.archived.unwrap_or(false)).await?;
    Ok(Json(Fields { fields }))
}

#[utoipa::path(get, path = "/api/v1/custom-fields/{id}", tag = "custom fields",
    params(FieldPath),
    responses(
        (status = 200, description = "The field", body = FieldDef),
        (status = 404, description = "No such field", body = super::ApiError),
        Refused,
    ))]
pub(super) async fn field(
    State(state): State<AppState>,
    _: Viewer,
    FieldPath(id): FieldPath,
) -> Result<Json<FieldDef>, AppError> {
    Ok(Json(service::get_field(&state.db, id).await?))
}

#[utoipa::path(post, path = "/api/v1/custom-fields", tag = "custom fields", request_body = FieldInput,
    responses(
        (status = 201, description = "Added; `Location` is its API address", body = FieldDef),
        Refused, WriteRefused,
    ))]
pub(super) async fn create_field(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
    ApiJson(input): ApiJson<FieldInput>,
) -> Result<
    (
        StatusCode,
        [(header::HeaderName, String); 1],
        Json<FieldDef>,
    ),
    AppError,
> {
    let id = service::create_field(&state.db, &actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/custom-fields/{id}"))],
        Json(service::get_field(&state.db, id).await?),
    ))
}

/// The whole field as it should be, at the `version` read; `archived` archives it or
/// brings it back. A field holding values keeps its kind.
#[derive(Deserialize, ToSchema)]
pub(super) struct FieldChange {
    version: i32,
    #[serde(flatten)]
    input: FieldInput,
    archived: Option<bool>,
}

#[utoipa::path(put, path = "/api/v1/custom-fields/{id}", tag = "custom fields",
    params(FieldPath),
    request_body = FieldChange,
    responses(
        (status = 200, description = "Saved", body = FieldDef),
        (status = 404, description = "No such field", body = super::ApiError),
        Refused, WriteRefused,
    ))]
pub(super) async fn update_field(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
    FieldPath(id): FieldPath,
    ApiJson(change): ApiJson<FieldChange>,
) -> Result<Json<FieldDef>, AppError> {
    service::get_field(&state.db, id).await?;
    service::update_field(&state.db, &actor, id, &change.input, change.version).await?;
    if let Some(archive) = change.archived {
        service::set_field_archived(&state.db, &actor, id, archive).await?;
    }
    Ok(Json(service::get_field(&state.db, id).await?))
}

/// A custom field's value as sent: text, a number, a list (a multi-select) or null
/// (clears it). A person is named by name, email or user id.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum FieldValue {
    Many(Vec<String>),
    Number(f64),
    Text(String),
}

impl utoipa::PartialSchema for FieldValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let of = |t: Type| ObjectBuilder::new().schema_type(t).build();
        OneOfBuilder::new()
            .item(of(Type::String))
            .item(of(Type::Number))
            .item(ArrayBuilder::new().items(of(Type::String)).build())
            .item(of(Type::Null))
            .description(Some(
                "Text, a number, a list of choices (a multi-select) or null (clears it).",
            ))
            .into()
    }
}

impl ToSchema for FieldValue {}

/// Values by field id (`{"3": "EU", "4": ["web", "api"], "5": null}`), as the API takes them.
pub(super) fn entered(
    values: BTreeMap<String, Option<FieldValue>>,
) -> Result<FieldValues, AppError> {
    values
        .into_iter()
        .map(|(key, value)| {
            let id = key.trim().parse::<i64>().map_err(|_| {
                AppError::invalid("fields", format!("{key:?} is not a custom field's id."))
            })?;
            let values = match value {
                None => vec![],
                Some(FieldValue::Text(t)) => vec![t],
                Some(FieldValue::Number(n)) => vec![n.to_string()],
                Some(FieldValue::Many(list)) => list,
            };
            Ok((id, values))
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/fields", tag = "custom fields",
    params(IncidentPath),
    responses(
        (status = 200, description = "The incident's type and custom fields", body = IncidentFields),
        IncidentMissing, Refused,
    ))]
pub(super) async fn incident_fields(
    State(state): State<AppState>,
    _: Viewer,
    IncidentPath(reference): IncidentPath,
) -> Result<Json<IncidentFields>, AppError> {
    Ok(Json(service::incident_fields(&state.db, reference).await?))
}

/// A new type and values for an incident at the `version` read; fields not named keep
/// their values.
#[derive(Deserialize, ToSchema)]
pub(super) struct FieldsChange {
    version: i32,
    /// Omitted: the type stays.
    type_id: Option<i64>,
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, FieldValue>)]
    values: BTreeMap<String, Option<FieldValue>>,
}

#[utoipa::path(put, path = "/api/v1/incidents/{reference}/fields", tag = "custom fields",
    params(IncidentPath),
    request_body = FieldsChange,
    responses(
        (status = 200, description = "Saved", body = IncidentFields),
        IncidentMissing, Refused, WriteRefused,
    ))]
pub(super) async fn update_incident_fields(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(change): ApiJson<FieldsChange>,
) -> Result<Json<IncidentFields>, AppError> {
    app::workflow::update_fields(
        &state.db,
        &user,
        reference,
        change.type_id,
        &entered(change.values)?,
        change.version,
    )
    .await?;
    Ok(Json(service::incident_fields(&state.db, reference).await?))
}
