use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::{StatusBadge, Time};
use crate::accounts::use_current_user;
use crate::choices::ChoiceKind;
use crate::choices::picker::Picker;
use crate::components::{Column, DataTable};
use crate::incidents::durations;
use crate::incidents::server_fns::list_incidents;
use crate::incidents::{IncidentPage, IncidentSummary, ListCursor, ListQuery, Status};
use crate::layout::ErrorTemplate;
use chrono::{DateTime, Utc};

/// The URL's filters, in the order the page and CSV links repeat them.
const FILTER_KEYS: [&str; 9] = [
    "status", "severity", "service", "from", "to", "q", "type", "field", "value",
];

/// Every incident, open ones first, with filters that live in the URL (shareable, and
/// working without JavaScript).
#[component]
pub fn IncidentsPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let incidents = Resource::new(
        move || ListQuery {
            status: param("status"),
            severity: param("severity"),
            service: param("service"),
            from: param("from"),
            to: param("to"),
            q: param("q"),
            kind: param("type"),
            field: param("field"),
            value: param("value"),
            after: param("after"),
            before: param("before"),
        },
        list_incidents,
    );
    let user = use_current_user();
    // The filters as `key=value` pairs, for the page links and the CSV download.
    let filters = move || -> Vec<String> {
        FILTER_KEYS
            .into_iter()
            .filter_map(|k| param(k).map(|v| format!("{k}={}", crate::components::urlencode(&v))))
            .collect()
    };
    // The same filters, from a position in the list (`after=` or `before=` a cursor).
    let page_link = move |side: &str, at: ListCursor| {
        let mut pairs = filters();
        pairs.push(format!("{side}={}", at.encode()));
        format!("/incidents?{}", pairs.join("&"))
    };

    view! {
        <Title text="Incidents" />
        <section class="page">
            <header class="page-header page-header--actions">
                <div>
                    <h1>"Incidents"</h1>
                    <p class="page-header__lede">"Open incidents first, then the most recently declared."</p>
                </div>
                <Suspense>
                    {move || Suspend::new(async move {
                        user.await.ok().flatten().filter(|u| u.role.can_write()).map(|_| view! {
                            <A href="/incidents/new" attr:class="button button--primary">"Declare incident"</A>
                        })
                    })}
                </Suspense>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let mut list = incidents.await?;
                        let (total, newer, older, now) = (list.total_text(), list.newer, list.older, list.now);
                        let refused = !list.invalid.is_empty();
                        let csv = format!("/incidents.csv?{}", filters().join("&"));
                        let incidents = std::mem::take(&mut list.incidents);
                        Ok::<_, crate::error::AppError>(view! {
                            <IncidentFilters list csv />
                            {if incidents.is_empty() {
                                view! { <p class="empty-note">{if refused { "Correct the filters marked above to list incidents." } else { "No incidents match." }}</p> }.into_any()
                            } else {
                                view! { <IncidentRows incidents now total=total.clone() /> }.into_any()
                            }}
                            <nav class="pagination" aria-label="Incident pages">
                                {newer.map(|at| view! {
                                    <A href="/incidents" attr:class="button button--small button--quiet">"Newest"</A>
                                    <a class="button button--small" href=page_link("before", at) rel="prev">"Newer"</a>
                                })}
                                <span class="muted">{total}</span>
                                {older.map(|at| view! { <a class="button button--small" href=page_link("after", at) rel="next">"Older"</a> })}
                            </nav>
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

/// The list's filters: a plain GET form, so they live in the URL; a refused one says why
/// below its field.
#[component]
fn IncidentFilters(list: IncidentPage, csv: String) -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let selected = move |key: &str, value: String| param(key).as_deref() == Some(value.as_str());
    let [
        status_error,
        severity_error,
        service_error,
        from_error,
        to_error,
        type_error,
        field_error,
        value_error,
    ] = [
        "status", "severity", "service", "from", "to", "type", "field", "value",
    ]
    .map(|f| list.invalid_message(f));
    let field_error = field_error.or(value_error);
    view! {
        <form class="filters card" method="get" action="/incidents" role="search">
            <div class="field">
                <label class="field__label" for="filter-q">"Search"</label>
                <input class="field__input" id="filter-q" name="q" type="search" value=param("q").unwrap_or_default() placeholder="Title or summary" />
            </div>
            <div class="field">
                <label class="field__label" for="filter-status">"Status"</label>
                <select class="field__input" id="filter-status" name="status" aria-invalid=status_error.is_some().then_some("true") aria-describedby=status_error.is_some().then_some("filter-status-error")>
                    <option value="">"Any"</option>
                    {Status::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=selected("status", s.as_str().to_owned())>{s.label()}</option>
                    }).collect_view()}
                </select>
                {filter_error("filter-status", status_error)}
            </div>
            <div class="field">
                <label class="field__label" for="filter-severity">"Severity"</label>
                <select class="field__input" id="filter-severity" name="severity" aria-invalid=severity_error.is_some().then_some("true") aria-describedby=severity_error.is_some().then_some("filter-severity-error")>
                    <option value="">"Any"</option>
                    {list.severities.iter().map(|s| view! {
                        <option value=s.id.to_string() selected=selected("severity", s.id.to_string())>{s.name.clone()}</option>
                    }).collect_view()}
                </select>
                {filter_error("filter-severity", severity_error)}
            </div>
            {(list.types.len() > 1).then(|| view! {
                <div class="field">
                    <label class="field__label" for="filter-type">"Type"</label>
                    <select class="field__input" id="filter-type" name="type" aria-invalid=type_error.is_some().then_some("true") aria-describedby=type_error.is_some().then_some("filter-type-error")>
                        <option value="">"Any"</option>
                        {list.types.iter().map(|(id, name)| view! {
                            <option value=id.to_string() selected=selected("type", id.to_string())>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                    {filter_error("filter-type", type_error)}
                </div>
            })}
            {(!list.fields.is_empty()).then(|| view! {
                <div class="field">
                    <label class="field__label" for="filter-field">"Custom field"</label>
                    <select class="field__input" id="filter-field" name="field" aria-invalid=field_error.is_some().then_some("true") aria-describedby=field_error.is_some().then_some("filter-field-error")>
                        <option value="">"Any"</option>
                        {list.fields.iter().map(|(id, label)| view! {
                            <option value=id.to_string() selected=selected("field", id.to_string())>{label.clone()}</option>
                        }).collect_view()}
                    </select>
                    {filter_error("filter-field", field_error)}
                </div>
                <div class="field">
                    <label class="field__label" for="filter-value">"holds"</label>
                    <input class="field__input" id="filter-value" name="value" value=param("value").unwrap_or_default() placeholder="A value" />
                </div>
            })}
            <div class="field">
                <label class="field__label" for="filter-service">"Service"</label>
                {match service_error {
                    Some(message) => view! {
                        <Picker kind=ChoiceKind::Services id="filter-service" name="service" value=param("service").unwrap_or_default() placeholder="Any" describedby="filter-service-error" invalid=Signal::stored(true) />
                        {filter_error("filter-service", Some(message))}
                    }.into_any(),
                    None => view! {
                        <Picker kind=ChoiceKind::Services id="filter-service" name="service" value=param("service").unwrap_or_default() placeholder="Any" />
                    }.into_any(),
                }}
            </div>
            <div class="field">
                <label class="field__label" for="filter-from">"Declared from"</label>
                <input class="field__input" id="filter-from" name="from" type="date" value=param("from").unwrap_or_default() aria-invalid=from_error.is_some().then_some("true") aria-describedby=from_error.is_some().then_some("filter-from-error") />
                {filter_error("filter-from", from_error)}
            </div>
            <div class="field">
                <label class="field__label" for="filter-to">"to"</label>
                <input class="field__input" id="filter-to" name="to" type="date" value=param("to").unwrap_or_default() aria-invalid=to_error.is_some().then_some("true") aria-describedby=to_error.is_some().then_some("filter-to-error") />
                {filter_error("filter-to", to_error)}
            </div>
            <div class="filters__actions">
                <button class="button" type="submit">"Filter"</button>
                <A href="/incidents" attr:class="button button--quiet">"Clear"</A>
                <a href=csv class="button button--quiet" download="vigil-incidents.csv">"Download CSV"</a>
            </div>
        </form>
    }
}

/// One page of incidents as a table.
#[component]
fn IncidentRows(
    incidents: Vec<IncidentSummary>,
    now: DateTime<Utc>,
    total: String,
) -> impl IntoView {
    view! {
        <DataTable
            caption={format!("Incidents: {total}")}
            columns=vec![Column::text("Incident"), Column::text("Severity"), Column::text("Status"), Column::text("Declared"), Column::text("Duration")]
        >
            {incidents.into_iter().map(move |i| {
                let start = i.impact_started_at.unwrap_or(i.declared_at);
                let end = i.resolved_at.unwrap_or(now);
                view! {
                    <tr>
                        <td>
                            // A plain link: the router still takes its clicks, and a
                            // page of rows does not build a router component each.
                            <a href=format!("/incidents/{}", i.reference) class="incident-link">
                                <span class="incident-link__ref">{i.reference.to_string()}</span>
                                " "
                                {i.title}
                            </a>
                        </td>
                        <td>{i.severity}</td>
                        <td><StatusBadge status=i.status /></td>
                        <td><Time at=i.declared_at /></td>
                        <td>{durations::format(end - start)}{i.status.is_open().then_some(" so far")}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}

/// A refused filter's message below its field, named by the field's `aria-describedby`.
fn filter_error(id: &'static str, message: Option<String>) -> impl IntoView {
    message.map(|message| view! { <p class="field__error" id=format!("{id}-error")>{message}</p> })
}
