//! Reading postmortems: one with everything its page shows, the searchable list, the
//! revision history with a diff, and the Markdown export.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{Snapshot, load, name_of, names, sections};
use crate::accounts::Role;
use crate::accounts::entities::user;
use crate::diff::{diff_lines, has_changes};
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::incidents::entities::incident;
use crate::incidents::service::query::{escape_like, get_incident};
use crate::postmortems::entities::{comment, postmortem, reviewer, revision, section};
use crate::postmortems::{
    CommentView, ListAt, PostmortemCursor, PostmortemList, PostmortemStatus, PostmortemSummary,
    PostmortemView, ReviewerView, RevisionHistory, RevisionSummary, SectionDiff, SectionView,
};

const PAGE_SIZE: u64 = 20;

/// Published postmortems are for every signed-in user; drafts and reviews are for the
/// people who can write (responders and admins).
pub fn can_read(status: PostmortemStatus, role: Role) -> bool {
    status == PostmortemStatus::Published || role.can_write()
}

async fn readable(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
    role: Role,
) -> Result<postmortem::Model, AppError> {
    let pm = load(db, reference).await?;
    if !can_read(pm.status, role) {
        return Err(AppError::Forbidden);
    }
    Ok(pm)
}

/// The names blameless advice looks for: everyone with an account.
async fn people(db: &impl ConnectionTrait) -> Result<Vec<String>, AppError> {
    Ok(user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.display_name)
        .collect())
}

/// The status of an incident's postmortem, if it has one.
pub async fn postmortem_status(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
) -> Result<Option<PostmortemStatus>, AppError> {
    Ok(postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(reference.0))
        .one(db)
        .await?
        .map(|pm| pm.status))
}

pub async fn get_postmortem(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
    role: Role,
) -> Result<PostmortemView, AppError> {
    let pm = readable(db, reference, role).await?;
    let incident = get_incident(db, reference).await?;
    let rows = sections(db, pm.id).await?;
    let people = people(db).await?;
    let revisions = revision::Entity::find()
        .filter(revision::Column::PostmortemId.eq(pm.id))
        .order_by_asc(revision::Column::Version)
        .all(db)
        .await?;
    let reviewers = reviewer::Entity::find()
        .filter(reviewer::Column::PostmortemId.eq(pm.id))
        .order_by_asc(reviewer::Column::AssignedAt)
        .all(db)
        .await?;
    let comments = comment::Entity::find()
        .filter(comment::Column::PostmortemId.eq(pm.id))
        .order_by_asc(comment::Column::CreatedAt)
        .order_by_asc(comment::Column::Id)
        .all(db)
        .await?;
    let ids = revisions
        .iter()
        .map(|r| r.author_id)
        .chain(reviewers.iter().map(|r| r.user_id))
        .chain(comments.iter().map(|c| c.author_id));
    let names = names(db, ids).await?;
    let mut authors: Vec<String> = Vec::new();
    for r in &revisions {
        let name = name_of(&names, r.author_id);
        if !authors.contains(&name) {
            authors.push(name);
        }
    }
    Ok(PostmortemView {
        incident,
        status: pm.status,
        title: pm.title,
        version: pm.version,
        sections: rows
            .into_iter()
            .map(|s| SectionView {
                id: s.id,
                findings: crate::postmortems::language::check(&s.body, &people),
                body_html: crate::markdown::render(&s.body),
                title: s.title,
                guidance: s.guidance,
                body: s.body,
            })
            .collect(),
        authors,
        reviewers: reviewers
            .iter()
            .map(|r| ReviewerView {
                user_id: r.user_id,
                name: name_of(&names, r.user_id),
                approved_at: r.approved_at,
            })
            .collect(),
        comments: comments
            .iter()
            .map(|c| CommentView {
                id: c.id,
                author: name_of(&names, c.author_id),
                body_html: crate::markdown::render(&c.body),
                created_at: c.created_at,
            })
            .collect(),
        created_at: pm.created_at,
        updated_at: pm.updated_at,
        published_at: pm.published_at,
    })
}

/// Newest first; `text` searches titles and section text. Viewers see published ones.
pub async fn list_postmortems(
    db: &impl ConnectionTrait,
    text: Option<&str>,
    status: Option<PostmortemStatus>,
    at: ListAt,
    role: Role,
) -> Result<PostmortemList, AppError> {
    let mut query = postmortem::Entity::find();
    if !role.can_write() {
        query = query.filter(postmortem::Column::Status.eq(PostmortemStatus::Published));
    }
    if let Some(status) = status {
        query = query.filter(postmortem::Column::Status.eq(status));
    }
    for word in text.unwrap_or("").split_whitespace().take(8) {
        let pattern = format!("%{}%", escape_like(&word.to_lowercase()));
        let like = || LikeExpr::new(pattern.clone()).escape('\\');
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(postmortem::Column::Title)))
                .like(like())
                .or(postmortem::Column::Id.in_subquery(
                    Query::select()
                        .column(section::Column::PostmortemId)
                        .from(section::Entity)
                        .and_where(
                            Expr::expr(Func::lower(Expr::col(section::Column::Body))).like(like()),
                        )
                        .to_owned(),
                )),
        );
    }
    let paginator = query
        .clone()
        .order_by_desc(postmortem::Column::UpdatedAt)
        .order_by_desc(postmortem::Column::Id)
        .paginate(db, PAGE_SIZE);
    let counts = paginator.num_items_and_pages().await?;
    let (rows, page, more) = match at {
        ListAt::Page(page) => {
            let page = Ord::max(page, 1);
            // Past the end: empty, without computing an offset that could overflow.
            let rows = if page > counts.number_of_pages {
                Vec::new()
            } else {
                paginator.fetch_page(page - 1).await?
            };
            (rows, page, page < counts.number_of_pages)
        }
        ListAt::After(at) => {
            use postmortem::Column::{Id, UpdatedAt};
            let mut rows = query
                .filter(
                    Condition::any().add(UpdatedAt.lt(at.updated_at)).add(
                        Condition::all()
                            .add(UpdatedAt.eq(at.updated_at))
                            .add(Id.lt(at.id)),
                    ),
                )
                .order_by_desc(UpdatedAt)
                .order_by_desc(Id)
                .limit(PAGE_SIZE + 1)
                .all(db)
                .await?;
            let more = rows.len() as u64 > PAGE_SIZE;
            rows.truncate(PAGE_SIZE as usize);
            (rows, 0, more)
        }
    };
    let next = rows.last().filter(|_| more).map(|pm| {
        PostmortemCursor {
            updated_at: pm.updated_at,
            id: pm.id,
        }
        .encode()
    });
    let titles = incident::Entity::find()
        .filter(incident::Column::Id.is_in(rows.iter().map(|r| r.incident_id)))
        .all(db)
        .await?;
    Ok(PostmortemList {
        postmortems: rows
            .into_iter()
            .map(|pm| PostmortemSummary {
                incident: IncidentRef(pm.incident_id),
                incident_title: titles
                    .iter()
                    .find(|i| i.id == pm.incident_id)
                    .map(|i| i.title.clone())
                    .unwrap_or_default(),
                status: pm.status,
                title: pm.title,
                updated_at: pm.updated_at,
                published_at: pm.published_at,
            })
            .collect(),
        page,
        pages: Ord::max(counts.number_of_pages, 1),
        total: counts.number_of_items,
        next,
    })
}

/// Every saved revision, and the section-by-section diff between `from` and `to`. Only
/// for the people who can write: earlier drafts may hold text that was taken out on purpose.
pub async fn revision_history(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
    compare: Option<(i32, i32)>,
    role: Role,
) -> Result<RevisionHistory, AppError> {
    if !role.can_write() {
        return Err(AppError::Forbidden);
    }
    let pm = readable(db, reference, role).await?;
    let revisions = revision::Entity::find()
        .filter(revision::Column::PostmortemId.eq(pm.id))
        .order_by_desc(revision::Column::Version)
        .all(db)
        .await?;
    let names = names(db, revisions.iter().map(|r| r.author_id)).await?;
    let content = |version: i32| -> Result<Snapshot, AppError> {
        let row = revisions
            .iter()
            .find(|r| r.version == version)
            .ok_or_else(|| AppError::invalid("from", format!("There is no revision {version}.")))?;
        serde_json::from_str(&row.content).map_err(AppError::internal)
    };
    let diff = match compare {
        Some((from, to)) => {
            let (old, new) = (content(from)?, content(to)?);
            let mut out = vec![{
                let lines = diff_lines(&old.title, &new.title);
                SectionDiff {
                    title: "Title".into(),
                    changed: has_changes(&lines),
                    lines,
                }
            }];
            for section in &new.sections {
                let before = old
                    .sections
                    .iter()
                    .find(|s| s.title == section.title)
                    .map(|s| s.body.as_str())
                    .unwrap_or("");
                let lines = diff_lines(before, &section.body);
                out.push(SectionDiff {
                    title: section.title.clone(),
                    changed: has_changes(&lines),
                    lines,
                });
            }
            out
        }
        None => Vec::new(),
    };
    Ok(RevisionHistory {
        incident: reference,
        title: pm.title,
        revisions: revisions
            .iter()
            .map(|r| RevisionSummary {
                version: r.version,
                author: name_of(&names, r.author_id),
                created_at: r.created_at,
            })
            .collect(),
        compared: compare,
        diff,
    })
}

/// One Markdown file with YAML front matter: what the postmortem says, for a wiki or
/// a repository. Returns the file name and the text.
pub async fn export_markdown(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
    role: Role,
) -> Result<(String, String), AppError> {
    let pm = get_postmortem(db, reference, role).await?;
    let yaml = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let incident = &pm.incident;
    let t = &incident.times;
    let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|a| a.to_rfc3339())
            .map_or("null".to_owned(), |a| yaml(&a))
    };
    let mut out = String::from("---\n");
    out.push_str(&format!("title: {}\n", yaml(&pm.title)));
    out.push_str(&format!("incident: {}\n", yaml(&reference.to_string())));
    out.push_str(&format!("incident_title: {}\n", yaml(&incident.title)));
    out.push_str(&format!("status: {}\n", pm.status.as_str()));
    out.push_str(&format!("severity: {}\n", yaml(&incident.severity.name)));
    out.push_str("services:\n");
    for s in &incident.services {
        out.push_str(&format!("  - {}\n", yaml(&s.name)));
    }
    out.push_str("authors:\n");
    for a in &pm.authors {
        out.push_str(&format!("  - {}\n", yaml(a)));
    }
    out.push_str(&format!(
        "impact_started_at: {}\n",
        time(t.impact_started_at)
    ));
    out.push_str(&format!("detected_at: {}\n", time(t.detected_at)));
    out.push_str(&format!("mitigated_at: {}\n", time(t.mitigated_at)));
    out.push_str(&format!("resolved_at: {}\n", time(t.resolved_at)));
    out.push_str(&format!("published_at: {}\n", time(pm.published_at)));
    out.push_str("---\n\n");
    out.push_str(&format!("# {}\n", pm.title));
    let items = crate::action_items::service::list_action_items(
        db,
        &crate::action_items::ActionItemFilter {
            incident: Some(reference),
            page: 1,
            ..Default::default()
        },
        chrono::Utc::now().date_naive(),
    )
    .await?
    .items;
    for section in &pm.sections {
        out.push_str(&format!("\n## {}\n\n", section.title));
        let body = section.body.trim();
        if !body.is_empty() {
            out.push_str(body);
            out.push('\n');
        }
        if section.title == crate::postmortems::template::ACTION_ITEMS && !items.is_empty() {
            out.push_str("\n| Action item | Type | Priority | Owner | Due | Status |\n|---|---|---|---|---|---|\n");
            for item in &items {
                let cell = |s: &str| s.replace('|', "\\|");
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    cell(&item.title),
                    item.kind.label(),
                    item.priority.label(),
                    cell(
                        &item
                            .owner
                            .as_ref()
                            .map(|o| o.name.clone())
                            .unwrap_or_else(|| "unassigned".into())
                    ),
                    item.due_on
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "—".into()),
                    item.status.label()
                ));
            }
        }
    }
    let slug: String = pm
        .title
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .take(8)
        .collect::<Vec<_>>()
        .join("-");
    Ok((format!("{reference}-{slug}.md").to_lowercase(), out))
}
