//! The incident page's card of the changes before it: what changed, so the commander
//! can ask "was it this?" and mark the answer.

use leptos::prelude::*;

use super::server_fns::{LinkChange, MarkChangeRolledBack};
use super::{Cause, ChangeOutcome, ChangeView, ChangesBefore};
use crate::components::{FormAlert, action_error};
use crate::incidents::IncidentRef;
use crate::incidents::durations;
use crate::time::Time;

/// The windows the card offers, in hours.
const WINDOWS: [u32; 4] = [6, 24, 72, 168];

#[component]
pub fn ChangesCard(
    reference: IncidentRef,
    changes: ChangesBefore,
    can_write: bool,
) -> impl IntoView {
    let link = ServerAction::<LinkChange>::new();
    let rollback = ServerAction::<MarkChangeRolledBack>::new();
    let error = Signal::derive(move || {
        action_error(link.value().get()).or_else(|| action_error(rollback.value().get()))
    });
    let hours = changes.window_hours;
    let until = changes.until;
    let empty = changes.changes.is_empty();
    view! {
        <section class="card stack changes-card" id="changes" aria-labelledby="changes-title" data-testid="changes">
            <h2 class="card__title" id="changes-title">"Changes before this incident"</h2>
            <form method="get" class="inline-form changes-card__window">
                <label for="changes-window">"Look back"</label>
                <select id="changes-window" name="changes_window">
                    {WINDOWS.into_iter().map(|h| view! {
                        <option value=h.to_string() selected=h == hours>{window_label(h)}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button button--small">"Show"</button>
            </form>
            <FormAlert error fields=&["cause"] />
            {empty.then(|| view! {
                <p class="muted">{format!("No changes to its services in the {} before it began.", window_label(hours))}</p>
            })}
            <ol class="changes-list">
                {changes.changes.into_iter().map(|change| view! {
                    <ChangeItem change reference until can_write link rollback />
                }).collect_view()}
            </ol>
        </section>
    }
}

fn window_label(hours: u32) -> String {
    match hours {
        h if h % 24 == 0 && h > 24 => format!("{} days", h / 24),
        24 => "24 hours".into(),
        h => format!("{h} hours"),
    }
}

#[component]
fn ChangeItem(
    change: ChangeView,
    reference: IncidentRef,
    until: chrono::DateTime<chrono::Utc>,
    can_write: bool,
    link: ServerAction<LinkChange>,
    rollback: ServerAction<MarkChangeRolledBack>,
) -> impl IntoView {
    let cause = change.cause_of(reference);
    let rolled_back = change.outcome == ChangeOutcome::RolledBack;
    let before = until - change.started_at;
    let when = if before.num_seconds() >= 0 {
        format!("{} before", durations::format(before))
    } else {
        format!("{} after", durations::format(-before))
    };
    let services = change
        .services
        .iter()
        .map(|s| s.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let id = change.id;
    view! {
        <li class="change" data-change=id.to_string()>
            <p class="change__title"><ChangeName change=change.clone() strong=true /></p>
            <p class="change__facts muted">
                <Time at=change.started_at />" · "{when}" · "{services}
                {change.author.clone().map(|a| view! { " · by " {a} })}
            </p>
            <p class="change__marks">
                <OutcomeBadge outcome=change.outcome />
                {cause.map(|c| view! { " " <span class="badge badge--cause" data-testid="cause">{c.label()}</span> })}
            </p>
            {can_write.then(|| view! {
                <div class="change__actions">
                    {(cause != Some(Cause::Suspected) && cause != Some(Cause::Confirmed)).then(|| view! {
                        <CauseButton link reference id cause="suspected" label="Suspected cause" />
                    })}
                    {(cause != Some(Cause::Confirmed)).then(|| view! {
                        <CauseButton link reference id cause="confirmed" label="Confirmed cause" />
                    })}
                    {cause.is_some().then(|| view! {
                        <CauseButton link reference id cause="" label="Not the cause" />
                    })}
                    {(!rolled_back).then(|| view! {
                        <ActionForm action=rollback attr:class="inline-form">
                            <input type="hidden" name="reference" value=reference.to_string() />
                            <input type="hidden" name="change_id" value=id.to_string() />
                            <button type="submit" class="button button--small button--quiet">"Mark rolled back"</button>
                        </ActionForm>
                    })}
                </div>
            })}
        </li>
    }
}

/// A change's kind, its title (a link to read more when it has one) and version.
#[component]
fn ChangeName(change: ChangeView, strong: bool) -> impl IntoView {
    let title = match change.link {
        Some(href) => {
            view! { <a href=href rel="noopener noreferrer" target="_blank">{change.title}</a> }
                .into_any()
        }
        None => view! { <span>{change.title}</span> }.into_any(),
    };
    let title = if strong {
        view! { <strong>{title}</strong> }.into_any()
    } else {
        title
    };
    view! {
        <span class="badge">{change.kind.label()}</span>" "
        {title}
        {change.version.map(|v| view! { " " <code>{v}</code> })}
    }
}

#[component]
fn OutcomeBadge(outcome: ChangeOutcome) -> impl IntoView {
    let class = match outcome {
        ChangeOutcome::Succeeded => "badge badge--ok",
        ChangeOutcome::InProgress => "badge",
        ChangeOutcome::Failed | ChangeOutcome::RolledBack => "badge badge--failed",
    };
    view! { <span class=class>{outcome.label()}</span> }
}

/// One of a change's marks, a form of its own: it posts without JavaScript.
#[component]
fn CauseButton(
    link: ServerAction<LinkChange>,
    reference: IncidentRef,
    id: i64,
    cause: &'static str,
    label: &'static str,
) -> impl IntoView {
    view! {
        <ActionForm action=link attr:class="inline-form">
            <input type="hidden" name="reference" value=reference.to_string() />
            <input type="hidden" name="change_id" value=id.to_string() />
            <input type="hidden" name="cause" value=cause />
            <button type="submit" class="button button--small">{label}</button>
        </ActionForm>
    }
}

/// Every change, newest first, with filters: what changed across the system, and which
/// changes caused incidents.
#[component]
pub fn ChangesPage() -> impl IntoView {
    use leptos_meta::Title;
    use leptos_router::hooks::use_query_map;

    use super::ChangeKind;
    use super::server_fns::get_changes_page;
    use crate::choices::ChoiceKind;
    use crate::choices::picker::Picker;
    use crate::components::{Column, DataTable, urlencode};
    use crate::layout::ErrorTemplate;

    let query = use_query_map();
    let user = crate::accounts::use_current_user();
    let param = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let list = Resource::new(
        move || {
            (
                param("service"),
                param("kind"),
                param("outcome"),
                param("caused"),
                param("after"),
            )
        },
        |(service, kind, outcome, caused, after)| {
            get_changes_page(service, kind, outcome, caused, after)
        },
    );
    let older = move |after: String| {
        let mut pairs: Vec<String> = ["service", "kind", "outcome", "caused"]
            .into_iter()
            .filter_map(|k| param(k).map(|v| format!("{k}={}", urlencode(&v))))
            .collect();
        pairs.push(format!("after={}", urlencode(&after)));
        format!("/changes?{}", pairs.join("&"))
    };
    let chosen =
        move |key: &'static str, value: &'static str| move || param(key).as_deref() == Some(value);

    view! {
        <Title text="Changes" />
        <section class="page">
            <header class="page-header page-header--actions">
                <div>
                    <h1>"Changes"</h1>
                    <p class="page-header__lede">"Deploys, config changes and flag flips, as pipelines report them (POST /api/v1/changes). Most outages follow a change: this is where to look first."</p>
                </div>
                <a class="button" href="/maintenance">"Scheduled maintenance"</a>
            </header>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let can_declare = user.await.ok().flatten().is_some_and(|u| u.role.can_write());
                        list.await.map(|list| {
                            let [service_error, kind_error, outcome_error, caused_error] =
                                ["service", "kind", "outcome", "caused"].map(|f| list.invalid_message(f));
                            let error = |id: &'static str, message: Option<String>| {
                                message.map(|m| view! { <p class="field__error" id=format!("{id}-error")>{m}</p> })
                            };
                            let described = |id: &'static str, message: &Option<String>| message.as_ref().map(|_| format!("{id}-error"));
                            let rows = list.changes.clone();
                            view! {
                                <form class="filters card" method="get" action="/changes" role="search">
                                    <div class="field">
                                        <label class="field__label" for="changes-service">"Service"</label>
                                        {match described("changes-service", &service_error) {
                                            Some(describedby) => view! { <Picker kind=ChoiceKind::Services id="changes-service" name="service" value=param("service").unwrap_or_default() placeholder="Any" describedby invalid=Signal::stored(true) /> }.into_any(),
                                            None => view! { <Picker kind=ChoiceKind::Services id="changes-service" name="service" value=param("service").unwrap_or_default() placeholder="Any" /> }.into_any(),
                                        }}
                                        {error("changes-service", service_error.clone())}
                                    </div>
                                    <div class="field">
                                        <label class="field__label" for="changes-kind">"Kind"</label>
                                        <select class="field__input" id="changes-kind" name="kind" aria-invalid=kind_error.is_some().then_some("true") aria-describedby=described("changes-kind", &kind_error)>
                                            <option value="">"Any"</option>
                                            {ChangeKind::ALL.into_iter().map(|k| view! {
                                                <option value=k.as_str() selected=chosen("kind", k.as_str())>{k.label()}</option>
                                            }).collect_view()}
                                        </select>
                                        {error("changes-kind", kind_error.clone())}
                                    </div>
                                    <div class="field">
                                        <label class="field__label" for="changes-outcome">"Outcome"</label>
                                        <select class="field__input" id="changes-outcome" name="outcome" aria-invalid=outcome_error.is_some().then_some("true") aria-describedby=described("changes-outcome", &outcome_error)>
                                            <option value="">"Any"</option>
                                            {ChangeOutcome::ALL.into_iter().map(|o| view! {
                                                <option value=o.as_str() selected=chosen("outcome", o.as_str())>{o.label()}</option>
                                            }).collect_view()}
                                        </select>
                                        {error("changes-outcome", outcome_error.clone())}
                                    </div>
                                    <div class="field">
                                        <label class="field__label" for="changes-caused">"Caused an incident"</label>
                                        <select class="field__input" id="changes-caused" name="caused" aria-invalid=caused_error.is_some().then_some("true") aria-describedby=described("changes-caused", &caused_error)>
                                            <option value="">"Any"</option>
                                            <option value="yes" selected=chosen("caused", "yes")>"Yes"</option>
                                            <option value="no" selected=chosen("caused", "no")>"No"</option>
                                        </select>
                                        {error("changes-caused", caused_error.clone())}
                                    </div>
                                    <button class="button" type="submit">"Filter"</button>
                                </form>
                                {if rows.is_empty() {
                                    view! { <p class="empty-note">"No changes match."</p> }.into_any()
                                } else {
                                    view! {
                                        <DataTable
                                            caption="Changes, newest first"
                                            columns=vec![Column::text("Started"), Column::text("Change"), Column::text("Services"), Column::text("Outcome"), Column::text("Incidents")]
                                        >
                                            {rows.into_iter().map(|c| view! { <ChangeRow change=c can_declare /> }).collect_view()}
                                        </DataTable>
                                    }.into_any()
                                }}
                                {list.next.clone().map(|next| view! {
                                    <nav class="pagination" aria-label="Pages">
                                        <a class="button button--small" href=older(next)>"Older changes"</a>
                                    </nav>
                                })}
                            }.into_any()
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn ChangeRow(change: ChangeView, can_declare: bool) -> impl IntoView {
    let declare = format!("/incidents/new?change={}", change.id);
    let declare_label = format!("Declare an incident caused by {}", change.title);
    view! {
        <tr>
            <td><Time at=change.started_at /></td>
            <td>
                <ChangeName change=change.clone() strong=false />
                {change.author.clone().map(|a| view! { <span class="muted">{format!(" · by {a}")}</span> })}
            </td>
            <td>
                {change.services.iter().enumerate().map(|(i, s)| view! {
                    {(i > 0).then_some(", ")}<a href=format!("/services/{}", s.slug)>{s.name.clone()}</a>
                }).collect_view()}
            </td>
            <td><OutcomeBadge outcome=change.outcome /></td>
            <td>
                {change.incidents.iter().map(|i| view! {
                    <span class="change-cause"><a href=format!("/incidents/{}", i.incident)>{i.incident.to_string()}</a>" "<span class="muted">{i.cause.label()}</span></span>
                }).collect_view()}
                {can_declare.then(|| view! { <a class="change-declare" href=declare aria-label=declare_label>"Declare"</a> })}
            </td>
        </tr>
    }
}
