//! Thin server functions over `service`: who is asking, then one call.
//!
//! Arguments mirror the forms' fields so every form also works without JavaScript.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::language::Finding;
use super::template::SectionTemplate;
use super::{PostmortemList, PostmortemView, RevisionHistory};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service::{query, review, templates, write},
    super::{PostmortemStatus, ReviewStep},
    crate::accounts::Role,
    crate::incidents::IncidentRef,
    crate::web::{self, redirect_form_post, with_status},
};

#[cfg(feature = "ssr")]
fn page_of(reference: IncidentRef) -> String {
    format!("/incidents/{reference}/postmortem")
}

/// Everything the postmortem page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostmortemDetail {
    pub postmortem: PostmortemView,
    pub can_write: bool,
    pub me: i64,
    /// The reviewers as the reviewer field shows them (`Name <email>, …`); empty for
    /// viewers, who cannot choose.
    pub reviewers_value: String,
    /// The changes linked to the incident as its cause.
    pub causes: Vec<crate::changes::ChangeView>,
    /// The incident's type and custom fields, among the facts.
    pub fields: crate::fields::IncidentFields,
}

#[server(prefix = "/rpc", endpoint = "postmortem_detail")]
pub async fn get_postmortem_detail(reference: String) -> Result<PostmortemDetail, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let postmortem = query::get_postmortem(&state.db, reference, user.role).await?;
        let reviewers_value = if user.role.can_write() {
            let ids: Vec<i64> = postmortem.reviewers.iter().map(|r| r.user_id).collect();
            crate::choices::service::people_value(&state.db, &ids).await?
        } else {
            String::new()
        };
        let causes = crate::changes::service::causes_of(&state.db, reference).await?;
        let fields = crate::fields::service::incident_fields(&state.db, reference).await?;
        Ok(PostmortemDetail {
            causes,
            fields,
            postmortem,
            can_write: user.role.can_write(),
            me: user.id.0,
            reviewers_value,
        })
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "start_postmortem")]
pub async fn start_postmortem(reference: String) -> Result<String, AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        write::create_postmortem(&state.db, &user, reference).await?;
        let path = page_of(reference);
        redirect_form_post(&path);
        Ok(path)
    }
    .await;
    with_status(result)
}

/// Saves the title and every section; `section_ids[i]` goes with `bodies[i]`.
#[server(prefix = "/rpc", endpoint = "save_postmortem")]
pub async fn save_postmortem(
    reference: String,
    version: i32,
    title: String,
    section_ids: Option<Vec<i64>>,
    bodies: Option<Vec<String>>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let (ids, bodies) = (section_ids.unwrap_or_default(), bodies.unwrap_or_default());
        if ids.len() != bodies.len() {
            return Err(AppError::invalid(
                "sections",
                "Every section needs its text.",
            ));
        }
        let edit = write::PostmortemEdit {
            title: Some(title),
            sections: ids.into_iter().zip(bodies).collect(),
        };
        write::save_postmortem(&state.db, &user, reference, edit, version).await?;
        redirect_form_post(&format!("{}?saved=1", page_of(reference)));
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "refresh_postmortem_timeline")]
pub async fn refresh_postmortem_timeline(reference: String, version: i32) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        write::refresh_timeline(&state.db, &user, reference, version).await?;
        redirect_form_post(&page_of(reference));
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "set_postmortem_reviewers")]
pub async fn set_postmortem_reviewers(
    reference: String,
    version: i32,
    reviewer_ids: Option<Vec<i64>>,
    reviewers: Option<String>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        // The form's search field names people; the API and older forms send ids.
        let from_field = reviewers.is_some();
        let ids = match reviewers {
            Some(text) => {
                crate::choices::service::resolve_people(&state.db, &user, "reviewers", &text)
                    .await?
            }
            None => reviewer_ids.unwrap_or_default(),
        };
        review::set_reviewers(&state.db, reference, ids, version)
            .await
            .map_err(|err| {
                if from_field {
                    err.for_field("reviewer_ids", "reviewers")
                } else {
                    err
                }
            })?;
        redirect_form_post(&format!("{}#review", page_of(reference)));
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "postmortem_review_step")]
pub async fn postmortem_review_step(
    reference: String,
    version: i32,
    step: String,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let step =
            ReviewStep::parse(&step).ok_or_else(|| AppError::invalid("step", "Choose a step."))?;
        review::take_review_step(&state.db, &user, reference, step, version).await?;
        redirect_form_post(&format!("{}#review", page_of(reference)));
        Ok(())
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "comment_on_postmortem")]
pub async fn comment_on_postmortem(reference: String, body: String) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Responder)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        review::add_comment(&state.db, &user, reference, &body).await?;
        redirect_form_post(&format!("{}#review", page_of(reference)));
        Ok(())
    }
    .await;
    with_status(result)
}

/// Rendered, sanitised Markdown and blameless-language advice, for the live preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub html: String,
    pub findings: Vec<Finding>,
}

#[server(prefix = "/rpc", endpoint = "preview_markdown")]
pub async fn preview_markdown(body: String) -> Result<Preview, AppError> {
    let (state, _) = web::require(Role::Responder)?;
    let result = async {
        if body.chars().count() > 100_000 {
            return Err(AppError::invalid(
                "body",
                "A section can hold at most 100,000 characters.",
            ));
        }
        let people: Vec<String> = crate::accounts::service::users::list(&state.db)
            .await?
            .into_iter()
            .map(|u| u.display_name)
            .collect();
        Ok(Preview {
            html: crate::markdown::render(&body),
            findings: super::language::check(&body, &people),
        })
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "list_postmortems")]
pub async fn list_postmortems(
    q: Option<String>,
    status: Option<String>,
    page: Option<u64>,
) -> Result<PostmortemList, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let status = status.as_deref().and_then(PostmortemStatus::parse);
    with_status(
        query::list_postmortems(
            &state.db,
            q.as_deref(),
            status,
            crate::postmortems::ListAt::Page(page.unwrap_or(1)),
            user.role,
        )
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "postmortem_history")]
pub async fn get_postmortem_history(
    reference: String,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<RevisionHistory, AppError> {
    let (state, user) = web::require(Role::Viewer)?;
    let result = async {
        let reference = IncidentRef::parse_or_not_found(&reference)?;
        let compare = from.zip(to);
        query::revision_history(&state.db, reference, compare, user.role).await
    }
    .await;
    with_status(result)
}

#[server(prefix = "/rpc", endpoint = "postmortem_template")]
pub async fn get_postmortem_template() -> Result<Vec<SectionTemplate>, AppError> {
    let (state, _) = web::require(Role::Admin)?;
    with_status(templates::current(&state.db).await)
}

/// Saves the template; `titles[i]` goes with `guidance[i]`; rows left empty are dropped.
#[server(prefix = "/rpc", endpoint = "save_postmortem_template")]
pub async fn save_postmortem_template(
    titles: Option<Vec<String>>,
    guidance: Option<Vec<String>>,
    starters: Option<Vec<String>>,
    positions: Option<Vec<String>>,
) -> Result<(), AppError> {
    let (state, user) = web::require(Role::Admin)?;
    let (titles, guidance, starters, positions) = (
        titles.unwrap_or_default(),
        guidance.unwrap_or_default(),
        starters.unwrap_or_default(),
        positions.unwrap_or_default(),
    );
    // Rows sort by their order number. A row given a new number goes before the row
    // that already had it, so "move to 2" means "become the second section".
    let mut rows: Vec<(f64, SectionTemplate)> = titles
        .into_iter()
        .enumerate()
        .map(|(i, title)| {
            let place = i as f64 + 1.0;
            let position = match positions.get(i).and_then(|p| p.trim().parse::<f64>().ok()) {
                Some(p) if p != place => p - 0.5,
                _ => place,
            };
            let section = SectionTemplate {
                title,
                guidance: guidance.get(i).cloned().unwrap_or_default(),
                starter: starters.get(i).cloned().unwrap_or_default(),
            };
            (position, section)
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let sections =
        crate::postmortems::template::filled_rows(rows.into_iter().map(|(_, s)| s).collect());
    with_status(templates::save(&state.db, &web::actor(&user), &sections).await)?;
    redirect_form_post("/admin/postmortem-template?saved=1");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "reset_postmortem_template")]
pub async fn reset_postmortem_template() -> Result<(), AppError> {
    let (state, user) = web::require(Role::Admin)?;
    with_status(templates::reset(&state.db, &web::actor(&user)).await)?;
    redirect_form_post("/admin/postmortem-template?saved=1");
    Ok(())
}
