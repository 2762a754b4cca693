use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::PostmortemBadge;
use crate::choices::ChoiceKind;
use crate::choices::picker::PickerField;
use crate::components::{FormAlert, TextArea, action_error};
use crate::error::AppError;
use crate::incidents::durations;
use crate::layout::ErrorTemplate;
use crate::postmortems::language::Finding;
use crate::postmortems::server_fns::{
    CommentOnPostmortem, PostmortemDetail, PostmortemReviewStep, RefreshPostmortemTimeline,
    SavePostmortem, SetPostmortemReviewers, get_postmortem_detail, preview_markdown,
};
use crate::postmortems::status::{Asker, ReviewState, review_step};
use crate::postmortems::template::{ACTION_ITEMS, TIMELINE};
use crate::postmortems::{PostmortemView, ReviewStep, SectionView};
use crate::time::{Time, ZoneNote};

#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SavePostmortem>,
    refresh: ServerAction<RefreshPostmortemTimeline>,
    reviewers: ServerAction<SetPostmortemReviewers>,
    step: ServerAction<PostmortemReviewStep>,
    comment: ServerAction<CommentOnPostmortem>,
}

/// One postmortem: header facts from the incident, the sections (an editor while it
/// is a draft or in review), and the review with its conversation.
#[component]
pub fn PostmortemPage() -> impl IntoView {
    let params = use_params_map();
    let reference = move || params.read().get("reference").unwrap_or_default();
    let actions = Actions {
        save: ServerAction::new(),
        refresh: ServerAction::new(),
        reviewers: ServerAction::new(),
        step: ServerAction::new(),
        comment: ServerAction::new(),
    };
    // Rendered on the server only (an island edits each section): every form posts and
    // the page is read again after the redirect.
    let detail = Resource::new(reference, get_postmortem_detail);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                {move || Suspend::new(async move {
                    let detail = detail.await?;
                    Ok::<_, AppError>(view! { <PostmortemView detail actions /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// Title, status, authors and the incident's facts (read live from the incident).
#[component]
pub(super) fn Heading(
    pm: PostmortemView,
    causes: Vec<crate::changes::ChangeView>,
    fields: crate::fields::IncidentFields,
) -> impl IntoView {
    let incident = pm.incident.clone();
    let reference = incident.reference;
    // Only finished spans are shown, so "now" never matters (and the browser's clock
    // is not read: the page renders the same on both sides).
    let spans = durations::spans(&incident.times, incident.times.declared_at);
    let spans: Vec<_> = spans.into_iter().filter(|s| !s.running).collect();
    let services = incident
        .services
        .iter()
        .map(|s| s.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <header class="postmortem__header">
            <p class="incident__ref">
                <a href=format!("/incidents/{reference}")>{reference.to_string()}</a>
                " · " {incident.title.clone()}
            </p>
            <h1>{pm.title.clone()}</h1>
            <div class="incident__facts">
                <PostmortemBadge status=pm.status />
                <span class="badge badge--severity">{incident.severity.name.clone()}</span>
                <span class="muted">"Authors: " {if pm.authors.is_empty() { "—".to_owned() } else { pm.authors.join(", ") }}</span>
                {pm.published_at.map(|at| view! { <span class="muted">"Published " <Time at /></span> })}
            </div>
            <dl class="facts facts--spans">
                <div class="facts__item"><dt>"Services"</dt><dd>{services}</dd></div>
                <div class="facts__item"><dt>"Type"</dt><dd>{fields.incident_type.name.clone()}</dd></div>
                {fields.entries.into_iter().filter(|e| !e.values.is_empty()).map(|e| view! {
                    <div class="facts__item" data-testid="postmortem-field">
                        <dt>{e.field.label}</dt>
                        <dd>{e.values.into_iter().map(|v| v.text).collect::<Vec<_>>().join(", ")}</dd>
                    </div>
                }).collect_view()}
                {incident.times.impact_started_at.map(|at| view! {
                    <div class="facts__item"><dt>"Impact started"</dt><dd><Time at /></dd></div>
                })}
                {incident.times.mitigated_at.map(|at| view! {
                    <div class="facts__item"><dt>"Mitigated"</dt><dd><Time at /></dd></div>
                })}
                {spans.into_iter().map(|s| view! {
                    <div class="facts__item"><dt>{format!("Time {}", s.label.to_lowercase())}</dt><dd>{durations::format(s.duration)}</dd></div>
                }).collect_view()}
                {(!causes.is_empty()).then(|| view! {
                    <div class="facts__item" data-testid="postmortem-causes">
                        <dt>"Changes linked as causes"</dt>
                        {causes.into_iter().map(|c| {
                            let cause = c.cause_of(reference).map(|k| k.label()).unwrap_or_default();
                            let name = format!("{} “{}”", c.kind.label(), c.title);
                            view! {
                                <dd>
                                    {match c.link.clone() {
                                        Some(href) => view! { <a href=href rel="noopener noreferrer" target="_blank">{name}</a> }.into_any(),
                                        None => view! { <span>{name}</span> }.into_any(),
                                    }}
                                    {c.version.map(|v| view! { " " <code>{v}</code> })}
                                    " · " <Time at=c.started_at /> " · " {cause} " · " {c.outcome.label()}
                                </dd>
                            }
                        }).collect_view()}
                    </div>
                })}
            </dl>
        </header>
    }
}

#[component]
fn PostmortemView(detail: PostmortemDetail, actions: Actions) -> impl IntoView {
    let pm = detail.postmortem.clone();
    let reference = pm.incident.reference.to_string();
    let editable = detail.can_write && pm.status.is_editable();
    let query = use_query_map();
    let just_saved = move || {
        query.read().get("saved").is_some() || matches!(actions.save.value().get(), Some(Ok(())))
    };
    let base = format!("/incidents/{reference}/postmortem");
    view! {
        <Title text=pm.title.clone() />
        <article class="page postmortem">
            <Heading pm=pm.clone() causes=detail.causes.clone() fields=detail.fields.clone() />
            <nav class="postmortem__tools" aria-label="Postmortem tools">
                <a class="button button--small" href=format!("{base}.md") download="">"Download Markdown"</a>
                <a class="button button--small" href=format!("{base}/print")>"Print view"</a>
                {detail.can_write.then(|| view! { <a class="button button--small" href=format!("{base}/history")>"Revision history"</a> })}
                <ZoneNote />
            </nav>
            <div class="postmortem__body">
                <div class="postmortem__main">
                    {move || just_saved().then(|| view! { <div class="alert alert--success" role="status">"Saved. A new revision was recorded."</div> })}
                    {if editable {
                        view! { <Editor pm=pm.clone() actions /> }.into_any()
                    } else {
                        view! { <ReadView pm=pm.clone() /> }.into_any()
                    }}
                </div>
                <aside class="postmortem__aside" id="review">
                    <Review detail=detail.clone() actions />
                </aside>
            </div>
        </article>
    }
}

/// The incident's action items, shown inside the postmortem's action items section.
#[component]
pub(super) fn LinkedActionItems(reference: String) -> impl IntoView {
    use crate::action_items::pages::ActionItemsTable;
    use crate::action_items::{ItemQuery, server_fns::list_action_items};
    let link = format!("/incidents/{reference}#action-items");
    let items = Resource::new(
        move || reference.clone(),
        |reference| list_action_items(ItemQuery::of_incident(reference)),
    );
    view! {
        <div class="stack" data-testid="postmortem-action-items">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    items.await.ok().map(|list| view! { <ActionItemsTable items=list.items show_incident=false /> })
                })}
            </Suspense>
            <p class="muted"><a href=link>"Track action items on the incident"</a></p>
        </div>
    }
}

#[component]
fn ReadView(pm: PostmortemView) -> impl IntoView {
    let reference = pm.incident.reference.to_string();
    view! {
        {(!pm.status.is_editable()).then(|| view! {
            <p class="muted">{format!("This postmortem is {}; reopen it as a draft to change it.", pm.status.label().to_lowercase())}</p>
        })}
        {pm.sections.into_iter().map(|s| {
            let items = (s.title == ACTION_ITEMS).then(|| view! { <LinkedActionItems reference=reference.clone() /> });
            view! {
                <section class="postmortem__section card stack">
                    <h2>{s.title}</h2>
                    <div class="prose" inner_html=s.body_html></div>
                    {items}
                </section>
            }
        }).collect_view()}
    }
}

#[component]
fn Editor(pm: PostmortemView, actions: Actions) -> impl IntoView {
    let error = Signal::derive(move || {
        action_error(actions.save.value().get())
            .or_else(|| action_error(actions.refresh.value().get()))
    });
    let title_error = Signal::derive(move || error.get().and_then(|e| e.field_message("title")));
    let reference = pm.incident.reference.to_string();
    let version = pm.version.to_string();
    let has_timeline = pm.sections.iter().any(|s| s.title == TIMELINE);
    let (refresh_reference, refresh_version) = (reference.clone(), version.clone());
    view! {
        <ActionForm action=actions.save attr:class="form postmortem__editor" attr:novalidate=true>
            <input type="hidden" name="reference" value=reference.clone() />
            <input type="hidden" name="version" value=version.clone() />
            <FormAlert error fields=&["title"] />
            <div class="field" class:field--invalid=move || title_error.get().is_some()>
                <label class="field__label" for="pm-title">"Title"</label>
                <input class="field__input" id="pm-title" name="title" value=pm.title.clone() maxlength="200" />
                {move || title_error.get().map(|m| view! { <p class="field__error">{m}</p> })}
            </div>
            {pm.sections.into_iter().map(|s| {
                let items = (s.title == ACTION_ITEMS).then(|| view! { <LinkedActionItems reference=reference.clone() /> });
                view! { <SectionEditor section=s />{items} }
            }).collect_view()}
            <div class="postmortem__save">
                <FormAlert error fields=&["title"] />
                <button class="button button--primary" type="submit">"Save postmortem"</button>
            </div>
        </ActionForm>
        {has_timeline.then(|| view! {
            <ActionForm action=actions.refresh attr:class="inline-form">
                <input type="hidden" name="reference" value=refresh_reference.clone() />
                <input type="hidden" name="version" value=refresh_version.clone() />
                <button class="button button--small" type="submit">"Refresh the timeline section from the incident"</button>
            </ActionForm>
        })}
    }
}

/// One section: guidance, the Markdown, a live preview (with JavaScript; otherwise
/// the saved text rendered) and the blameless language advice. An island in islands
/// mode.
#[island]
fn SectionEditor(section: SectionView) -> impl IntoView {
    let id = format!("section-{}", section.id);
    let hint_id = format!("{id}-hint");
    let preview = Action::new(|body: &String| preview_markdown(body.clone()));
    let typed = RwSignal::new(None::<String>);
    let pending = StoredValue::new(0u64);
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        typed.set(Some(text.clone()));
        let ticket = pending.get_value() + 1;
        pending.set_value(ticket);
        set_timeout(
            move || {
                if pending.get_value() == ticket {
                    preview.dispatch(text);
                }
            },
            std::time::Duration::from_millis(400),
        );
    };
    let saved_html = section.body_html.clone();
    let saved_findings = section.findings.clone();
    let html = move || match preview.value().get() {
        Some(Ok(p)) if typed.get().is_some() => p.html,
        _ => saved_html.clone(),
    };
    let findings = move || match preview.value().get() {
        Some(Ok(p)) if typed.get().is_some() => p.findings,
        _ => saved_findings.clone(),
    };
    let rows = (section.body.lines().count() + 3).clamp(4, 24);
    let (title_id, labelledby) = (format!("{id}-title"), format!("{id}-title"));
    let (label_for, hint_for) = (id.clone(), hint_id.clone());
    view! {
        <section class="postmortem__section card stack" aria-labelledby=labelledby>
            <h2 id=title_id>{section.title.clone()}</h2>
            <input type="hidden" name="section_ids[]" value=section.id.to_string() />
            {(!section.guidance.is_empty()).then(|| view! { <p class="field__hint" id=hint_for.clone()>{section.guidance.clone()}</p> })}
            <label class="visually-hidden" for=label_for>{format!("{} (Markdown)", section.title)}</label>
            <TextArea class="field__input postmortem__text" id=id name="bodies[]" rows=rows describedby=hint_id on:input=on_input value=section.body.clone() />
            <Findings findings=Signal::derive(findings) />
            <details class="postmortem__preview" open=true>
                <summary>"Preview"</summary>
                <div class="prose" inner_html=html></div>
            </details>
        </section>
    }
}

/// Advice, not a gate: the postmortem saves either way.
#[component]
fn Findings(findings: Signal<Vec<Finding>>) -> impl IntoView {
    view! {
        {move || {
            let list = findings.get();
            (!list.is_empty()).then(|| view! {
                <div class="advice" role="note">
                    <p class="advice__title">"Blameless language"</p>
                    <ul class="advice__list">
                        {list.into_iter().map(|f| view! {
                            <li><strong>{format!("\u{201c}{}\u{201d}", f.phrase)}</strong>": " {f.suggestion}</li>
                        }).collect_view()}
                    </ul>
                </div>
            })
        }}
    }
}

#[component]
fn Review(detail: PostmortemDetail, actions: Actions) -> impl IntoView {
    let pm = detail.postmortem;
    let reference = pm.incident.reference.to_string();
    let version = pm.version.to_string();
    let mine = pm.reviewers.iter().find(|r| r.user_id == detail.me);
    let state = ReviewState {
        status: pm.status,
        reviewers: pm.reviewers.len(),
        approvals: pm
            .reviewers
            .iter()
            .filter(|r| r.approved_at.is_some())
            .count(),
    };
    let asker = Asker {
        is_reviewer: mine.is_some(),
        has_approved: mine.is_some_and(|r| r.approved_at.is_some()),
        can_write: detail.can_write,
    };
    // Only the steps that would succeed are offered.
    let steps: Vec<ReviewStep> = ReviewStep::ALL
        .into_iter()
        .filter(|s| review_step(state, *s, asker).is_ok())
        .collect();
    let hint = (pm.status == crate::postmortems::PostmortemStatus::Draft
        && pm.reviewers.is_empty()
        && detail.can_write)
        .then_some("Choose reviewers, then submit for review.");
    let error = Signal::derive(move || {
        action_error(actions.step.value().get()).or_else(|| {
            action_error(actions.reviewers.value().get())
                .filter(|e| e.field_message("reviewers").is_none())
        })
    });
    // Shown beside the field; the form stays open while it is wrong.
    let reviewer_error = Signal::derive(move || {
        action_error(actions.reviewers.value().get()).and_then(|e| e.field_message("reviewers"))
    });
    let comment_error = Signal::derive(move || action_error(actions.comment.value().get()));
    let comment_field =
        Signal::derive(move || comment_error.get().and_then(|e| e.field_message("body")));
    let can_pick = detail.can_write && pm.status.is_editable();
    view! {
        <section class="card stack" aria-labelledby="review-title">
            <h2 class="card__title" id="review-title">"Review"</h2>
            <FormAlert error fields=&[] />
            {hint.map(|h| view! { <p class="muted">{h}</p> })}
            <ul class="plain-list reviewers" data-testid="reviewers">
                {pm.reviewers.iter().map(|r| view! {
                    <li>
                        {r.name.clone()}
                        {match r.approved_at {
                            Some(at) => view! { <span class="badge badge--ok">"approved " <Time at /></span> }.into_any(),
                            None => view! { <span class="muted">" · not yet approved"</span> }.into_any(),
                        }}
                    </li>
                }).collect_view()}
            </ul>
            {can_pick.then(|| {
                let (reference, version) = (reference.clone(), version.clone());
                view! {
                    <details class="reviewers__pick" open=move || reviewer_error.get().is_some()>
                        <summary>"Choose reviewers"</summary>
                        <ActionForm action=actions.reviewers attr:class="form">
                            <input type="hidden" name="reference" value=reference />
                            <input type="hidden" name="version" value=version />
                            <PickerField
                                kind=ChoiceKind::People
                                id="reviewers"
                                name="reviewers"
                                label="Reviewers"
                                hint="Responders and admins, separated by commas: type a name or email and pick from the suggestions."
                                value=detail.reviewers_value.clone()
                                multiple=true
                                error=reviewer_error
                            />
                            <button class="button button--small" type="submit">"Save reviewers"</button>
                        </ActionForm>
                    </details>
                }
            })}
            <div class="review__steps">
                {steps.into_iter().map(|step| {
                    let (reference, version) = (reference.clone(), version.clone());
                    let primary = matches!(step, ReviewStep::Approve | ReviewStep::Publish | ReviewStep::SubmitForReview);
                    view! {
                        <ActionForm action=actions.step attr:class="inline-form">
                            <input type="hidden" name="reference" value=reference />
                            <input type="hidden" name="version" value=version />
                            <input type="hidden" name="step" value=step.as_str() />
                            <button class="button button--small" class:button--primary=primary type="submit">{step.label()}</button>
                        </ActionForm>
                    }
                }).collect_view()}
            </div>
            <h3 class="card__title">"Conversation"</h3>
            <ol class="comments" data-testid="comments">
                {pm.comments.into_iter().map(|c| view! {
                    <li class="comment">
                        <p class="comment__meta"><strong>{c.author}</strong>" · " <Time at=c.created_at /></p>
                        <div class="prose" inner_html=c.body_html></div>
                    </li>
                }).collect_view()}
            </ol>
            {detail.can_write.then(|| view! {
                <ActionForm action=actions.comment attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="reference" value=reference.clone() />
                    <div class="field" class:field--invalid=move || comment_field.get().is_some()>
                        <label class="field__label" for="pm-comment">"Comment (Markdown)"</label>
                        <TextArea id="pm-comment" name="body" />
                        {move || comment_field.get().map(|m| view! { <p class="field__error">{m}</p> })}
                    </div>
                    <button class="button button--small" type="submit">"Comment"</button>
                </ActionForm>
            })}
        </section>
    }
}
