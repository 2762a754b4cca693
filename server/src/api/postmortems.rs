//! Postmortems: the list, an incident's postmortem as its reader may see it, and the
//! writes the postmortem page makes (start, save, timeline, reviewers, the review
//! steps, comments). Every write answers the postmortem as it now stands, with the
//! `version` the next write names.

use app::accounts::CurrentUser;
use app::error::AppError;
use app::incidents::IncidentRef;
use app::postmortems::service::query::{
    export_markdown, get_postmortem, list_postmortems, revision_history,
};
use app::postmortems::service::{review, templates, write};
use app::postmortems::template::SectionTemplate;
use app::postmortems::{
    ListAt, PostmortemCursor, PostmortemList, PostmortemStatus, PostmortemView, ReviewStep,
    RevisionHistory,
};
use app::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, IntoResponses, ToSchema};

use super::extract::{
    Admin, AfterParam, ApiJson, ApiQuery, IncidentPath, PageNumber, PageParam, Responder, Viewer,
    position,
};
use super::{ApiError, Refused, WriteRefused};

/// The postmortems list's filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Words in the title or the section text.
    q: Option<String>,
    /// Only postmortems in this status (viewers only ever see published ones).
    #[param(value_type = Option<PostmortemStatus>)]
    status: Option<String>,
}

/// Postmortems, most recently changed first, 20 a page: by number (`page`), or after a
/// position (`after`, an answer's `next`).
#[utoipa::path(get, path = "/api/v1/postmortems", tag = "postmortems",
    params(ListParams, PageParam, AfterParam),
    responses(
        (status = 200, description = "A page of postmortems", body = PostmortemList),
        (status = 422, description = "A bad filter; `field` names it", body = ApiError),
        Refused,
    ))]
pub(super) async fn postmortems(
    State(state): State<AppState>,
    Viewer(user): Viewer,
    ApiQuery(p): ApiQuery<ListParams>,
    PageNumber(page): PageNumber,
    ApiQuery(at): ApiQuery<AfterParam>,
) -> Result<Json<PostmortemList>, AppError> {
    let status = match p.status.as_deref() {
        None => None,
        Some(s) => Some(
            PostmortemStatus::parse(s)
                .ok_or_else(|| AppError::invalid("status", "Unknown status."))?,
        ),
    };
    let at = match position("after", at.after.as_deref(), PostmortemCursor::parse)? {
        Some(cursor) => ListAt::After(cursor),
        None => ListAt::Page(page),
    };
    let list = list_postmortems(&state.db, p.q.as_deref(), status, at, user.role).await?;
    Ok(Json(list))
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/postmortem", tag = "postmortems",
    params(IncidentPath),
    responses(
        (status = 200, description = "The postmortem, as its reader may see it", body = PostmortemView),
        (status = 404, description = "No such incident or no postmortem (yet)", body = ApiError),
        Refused,
    ))]
pub(super) async fn postmortem(
    State(state): State<AppState>,
    Viewer(user): Viewer,
    IncidentPath(reference): IncidentPath,
) -> Result<Json<PostmortemView>, AppError> {
    Ok(Json(get_postmortem(&state.db, reference, user.role).await?))
}

/// What a postmortem write answers besides its refusals.
#[derive(IntoResponses)]
#[allow(dead_code, clippy::large_enum_variant)]
pub(super) enum PostmortemWritten {
    #[response(status = 200, description = "The postmortem as it now stands")]
    Written(PostmortemView),
    #[response(status = 404, description = "No such incident or no postmortem")]
    Missing(ApiError),
}

/// The postmortem after a write, as the writer sees it.
async fn current(
    state: &AppState,
    user: &CurrentUser,
    reference: IncidentRef,
) -> Result<Json<PostmortemView>, AppError> {
    Ok(Json(get_postmortem(&state.db, reference, user.role).await?))
}

/// Starts the incident's postmortem from the current template, its timeline section
/// written from the incident's timeline.
#[utoipa::path(post, path = "/api/v1/incidents/{reference}/postmortem", tag = "postmortems",
    params(IncidentPath),
    responses(
        (status = 201, description = "The new draft", body = PostmortemView),
        (status = 404, description = "No such incident", body = ApiError),
        (status = 409, description = "The incident has a postmortem already", body = ApiError),
        Refused,
    ))]
pub(super) async fn start(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
) -> Result<(StatusCode, Json<PostmortemView>), AppError> {
    write::create_postmortem(&state.db, &user, reference).await?;
    Ok((
        StatusCode::CREATED,
        current(&state, &user, reference).await?,
    ))
}

/// The largest postmortem save the API reads: a whole document, not a form field.
const DOCUMENT_BODY: usize = 2 * 1024 * 1024;

/// A section's new text.
#[derive(Deserialize, ToSchema)]
pub(super) struct SectionEdit {
    /// A section `id` from the postmortem.
    id: i64,
    /// Markdown, at most 100,000 characters.
    #[schema(max_length = 100_000)]
    body: String,
}

/// A save: the title and the sections that change. Sections left out keep their text.
#[derive(Deserialize, ToSchema)]
pub(super) struct PostmortemSave {
    /// The `version` read; 409 if someone saved since.
    version: i32,
    /// The title; unchanged without it.
    #[schema(min_length = 1, max_length = 200)]
    title: Option<String>,
    #[serde(default)]
    sections: Vec<SectionEdit>,
}

/// Saves a new revision (nothing, if nothing changed). Drafts and postmortems in
/// review can be written; a change during review withdraws the approvals given.
#[utoipa::path(patch, path = "/api/v1/incidents/{reference}/postmortem", tag = "postmortems",
    params(IncidentPath),
    request_body = PostmortemSave,
    responses(
        (status = 200, description = "The postmortem as saved", body = PostmortemView),
        (status = 404, description = "No such incident or no postmortem", body = ApiError),
        (status = 409, description = "Saved by someone else since `version` was read", body = ApiError),
        (status = 413, description = "Body over 2 MiB", body = ApiError),
        (status = 422, description = "Bad input; `field` names it", body = ApiError),
        Refused,
    ))]
pub(super) async fn save(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(save): ApiJson<PostmortemSave, DOCUMENT_BODY>,
) -> Result<Json<PostmortemView>, AppError> {
    let edit = write::PostmortemEdit {
        title: save.title,
        sections: save.sections.into_iter().map(|s| (s.id, s.body)).collect(),
    };
    write::save_postmortem(&state.db, &user, reference, edit, save.version).await?;
    current(&state, &user, reference).await
}

/// The version a write was made against.
#[derive(Deserialize, ToSchema)]
pub(super) struct VersionRead {
    /// The `version` read; 409 if the postmortem changed since.
    version: i32,
}

/// Rewrites the timeline section from the incident's timeline as it is now.
#[utoipa::path(post, path = "/api/v1/incidents/{reference}/postmortem/timeline", tag = "postmortems",
    params(IncidentPath),
    request_body = VersionRead,
    responses(
        PostmortemWritten,
        WriteRefused,
        Refused,
    ))]
pub(super) async fn refresh_timeline(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(read): ApiJson<VersionRead>,
) -> Result<Json<PostmortemView>, AppError> {
    write::refresh_timeline(&state.db, &user, reference, read.version).await?;
    current(&state, &user, reference).await
}

/// Who reviews.
#[derive(Deserialize, ToSchema)]
pub(super) struct Reviewers {
    /// The `version` read; 409 if the postmortem changed since.
    version: i32,
    /// Active responders and admins (ids from `/api/v1/users`); the approvals of those
    /// who stay are kept.
    reviewer_ids: Vec<i64>,
}

#[utoipa::path(put, path = "/api/v1/incidents/{reference}/postmortem/reviewers", tag = "postmortems",
    params(IncidentPath),
    request_body = Reviewers,
    responses(
        PostmortemWritten,
        WriteRefused,
        Refused,
    ))]
pub(super) async fn reviewers(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(body): ApiJson<Reviewers>,
) -> Result<Json<PostmortemView>, AppError> {
    review::set_reviewers(&state.db, reference, body.reviewer_ids, body.version).await?;
    current(&state, &user, reference).await
}

/// One step of the review.
#[derive(Deserialize, ToSchema)]
pub(super) struct Step {
    /// The `version` read; 409 if the postmortem changed since.
    version: i32,
    /// `submit_for_review` (a draft with reviewers), `request_changes` and `approve`
    /// (a reviewer, in review; the last approval approves it), `publish` (approved),
    /// `reopen` (approved or published, back to draft).
    step: ReviewStep,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/postmortem/review", tag = "postmortems",
    params(IncidentPath),
    request_body = Step,
    responses(
        PostmortemWritten,
        WriteRefused,
        Refused,
    ))]
pub(super) async fn review_step(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(body): ApiJson<Step>,
) -> Result<Json<PostmortemView>, AppError> {
    review::take_review_step(&state.db, &user, reference, body.step, body.version).await?;
    current(&state, &user, reference).await
}

/// A comment on the review.
#[derive(Deserialize, ToSchema)]
pub(super) struct NewComment {
    /// Markdown.
    #[schema(min_length = 1, max_length = 10_000)]
    body: String,
}

#[utoipa::path(post, path = "/api/v1/incidents/{reference}/postmortem/comments", tag = "postmortems",
    params(IncidentPath),
    request_body = NewComment,
    responses(
        (status = 201, description = "The postmortem with the comment", body = PostmortemView),
        (status = 404, description = "No such incident or no postmortem", body = ApiError),
        (status = 413, description = "Body over 64 KiB", body = ApiError),
        (status = 422, description = "An empty or overlong comment", body = ApiError),
        Refused,
    ))]
pub(super) async fn comment(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiJson(body): ApiJson<NewComment>,
) -> Result<(StatusCode, Json<PostmortemView>), AppError> {
    review::add_comment(&state.db, &user, reference, &body.body).await?;
    Ok((
        StatusCode::CREATED,
        current(&state, &user, reference).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/incidents/{reference}/postmortem.md", tag = "postmortems",
    params(IncidentPath),
    responses(
        (status = 200, description = "The postmortem as Markdown", body = String, content_type = "text/markdown"),
        (status = 404, description = "No such incident or no postmortem (yet)", body = ApiError),
        Refused,
    ))]
pub(super) async fn postmortem_markdown(
    State(state): State<AppState>,
    Viewer(user): Viewer,
    IncidentPath(reference): IncidentPath,
) -> Result<([(header::HeaderName, &'static str); 1], String), AppError> {
    let (_, text) = export_markdown(&state.db, reference, user.role).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        text,
    ))
}

/// Which two revisions to compare.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct Compare {
    /// The older revision's `version`; with `to`.
    #[param(minimum = 1)]
    from: Option<i32>,
    /// The newer revision's `version`; with `from`.
    #[param(minimum = 1)]
    to: Option<i32>,
}

/// The postmortem's revisions, newest first, and with `from` and `to` the changes
/// between those two, line by line and section by section.
#[utoipa::path(get, path = "/api/v1/incidents/{reference}/postmortem/history", tag = "postmortems",
    params(IncidentPath, Compare),
    responses(
        (status = 200, description = "The revisions (and the changes asked for)", body = RevisionHistory),
        (status = 404, description = "No such incident or no postmortem", body = ApiError),
        (status = 422, description = "Only one of `from` and `to`, or no such revision", body = ApiError),
        Refused,
    ))]
pub(super) async fn history(
    State(state): State<AppState>,
    Responder(user): Responder,
    IncidentPath(reference): IncidentPath,
    ApiQuery(compare): ApiQuery<Compare>,
) -> Result<Json<RevisionHistory>, AppError> {
    let compare = match (compare.from, compare.to) {
        (None, None) => None,
        (Some(from), Some(to)) if from >= 1 && to >= 1 => Some((from, to)),
        (Some(_), Some(_)) => {
            return Err(AppError::invalid("from", "Revisions count from 1."));
        }
        (Some(_), None) => return Err(AppError::invalid("to", "Name both revisions.")),
        (None, Some(_)) => return Err(AppError::invalid("from", "Name both revisions.")),
    };
    Ok(Json(
        revision_history(&state.db, reference, compare, user.role).await?,
    ))
}

/// The sections new postmortems start with.
#[derive(Serialize, Deserialize, ToSchema)]
pub(super) struct PostmortemTemplate {
    #[schema(min_items = 1, max_items = 30)]
    sections: Vec<SectionTemplate>,
}

/// The template as it now stands.
async fn current_template(state: &AppState) -> Result<Json<PostmortemTemplate>, AppError> {
    let sections = templates::current(&state.db).await?;
    Ok(Json(PostmortemTemplate { sections }))
}

/// The template new postmortems start from (existing ones keep their sections).
#[utoipa::path(get, path = "/api/v1/postmortem-template", tag = "postmortems",
    responses(
        (status = 200, description = "The template", body = PostmortemTemplate),
        Refused,
    ))]
pub(super) async fn template(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<PostmortemTemplate>, AppError> {
    current_template(&state).await
}

/// Replaces the template: 1 to 30 sections with distinct titles.
#[utoipa::path(put, path = "/api/v1/postmortem-template", tag = "postmortems",
    request_body = PostmortemTemplate,
    responses(
        (status = 200, description = "The template as saved", body = PostmortemTemplate),
        (status = 422, description = "Bad sections; `field` is `sections`", body = ApiError),
        Refused,
    ))]
pub(super) async fn save_template(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
    ApiJson(template): ApiJson<PostmortemTemplate, DOCUMENT_BODY>,
) -> Result<Json<PostmortemTemplate>, AppError> {
    templates::save(&state.db, &actor, &template.sections).await?;
    current_template(&state).await
}

/// Back to the built-in template (the SRE book's sections).
#[utoipa::path(delete, path = "/api/v1/postmortem-template", tag = "postmortems",
    responses(
        (status = 200, description = "The built-in template", body = PostmortemTemplate),
        Refused,
    ))]
pub(super) async fn reset_template(
    State(state): State<AppState>,
    Admin(_, actor): Admin,
) -> Result<Json<PostmortemTemplate>, AppError> {
    templates::reset(&state.db, &actor).await?;
    current_template(&state).await
}
