use leptos::prelude::*;
use leptos_meta::Title;

use super::OnCall;
use super::server_fns::get_on_call;
use crate::action_items::pages::ActionItemsTable;
use crate::incidents::durations;
use crate::incidents::pages::{StatusBadge, Time};
use crate::incidents::{ActiveIncident, IncidentRef, IncidentSummary};
use crate::layout::ErrorTemplate;
use crate::metrics::BudgetAlert;
use crate::postmortems::{Duty, PostmortemDuty};

/// What is on fire first, then what waits for the reader, then what just ended.
#[component]
pub fn HomePage() -> impl IntoView {
    let on_call = Resource::new(|| (), |_| get_on_call());
    view! {
        <Title text="" />
        <section class="page">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        on_call.await.map(|home| view! { <Home home /> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

#[component]
fn Home(home: OnCall) -> impl IntoView {
    let OnCall {
        active,
        active_total,
        my_items,
        my_items_total,
        postmortems,
        budgets,
        budgets_total,
        resolved,
        now,
        can_write,
    } = home;
    let items_empty = my_items.is_empty();
    let lede = match active_total {
        0 => "Nothing is on fire.".to_owned(),
        1 => "1 incident is active.".to_owned(),
        n => format!("{n} incidents are active."),
    };
    view! {
        <header class="page-header page-header--actions">
            <div>
                <h1>"Overview"</h1>
                <p class="page-header__lede" data-testid="home-lede">{lede}</p>
            </div>
            {can_write.then(|| view! {
                <a href="/incidents/new" class="button button--primary">"Declare incident"</a>
            })}
        </header>
        <div class="stack">
            <ActiveIncidents active active_total now can_write />
            <div class="home-grid">
                <Section
                    id="my-items-title"
                    title="My action items"
                    testid="home-items"
                    href="/action-items?owner=me&status=pending"
                    link=format!("All of mine ({my_items_total})")
                    empty=items_empty.then(|| "Nothing assigned to you is still open. Items from postmortems land here when you own them.".to_owned())
                >
                    <ActionItemsTable items=my_items show_incident=true />
                </Section>
                {can_write.then(|| view! { <Postmortems duties=postmortems /> })}
                <Budgets budgets budgets_total />
                <Resolved resolved />
            </div>
        </div>
    }
}

/// One section of the home page: a card with its heading and a link to the whole list;
/// `empty` (what would fill it, or what to do) when it has nothing to show.
#[component]
fn Section(
    id: &'static str,
    title: &'static str,
    testid: &'static str,
    href: &'static str,
    link: String,
    empty: Option<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card stack" aria-labelledby=id data-testid=testid>
            <div class="section-header">
                <h2 class="card__title" id=id>{title}</h2>
                <a href=href>{link}</a>
            </div>
            {match empty {
                Some(note) => view! { <p class="empty-note">{note}</p> }.into_any(),
                None => children().into_any(),
            }}
        </section>
    }
}

#[component]
fn ActiveIncidents(
    active: Vec<ActiveIncident>,
    active_total: u64,
    now: chrono::DateTime<chrono::Utc>,
    can_write: bool,
) -> impl IntoView {
    let shown = active.len() as u64;
    let link = if active_total > shown {
        format!("All {active_total} active")
    } else {
        "All incidents".to_owned()
    };
    let empty = active.is_empty().then(|| {
        if can_write {
            "No incident is open. When something breaks, declare one: responders, the timeline and the status all start there."
        } else {
            "No incident is open."
        }
        .to_owned()
    });
    view! {
        <Section id="active-title" title="Active incidents" testid="home-active" href="/incidents" link empty>
            <ul class="active-list">
                {active.into_iter().map(|i| {
                    let start = i.impact_started_at.unwrap_or(i.declared_at);
                    let is_mine = !i.my_roles.is_empty();
                    let mine = is_mine.then(|| {
                        let roles: Vec<&str> = i.my_roles.iter().map(|r| r.label()).collect();
                        view! { <span class="badge badge--mine">{format!("You: {}", roles.join(", "))}</span> }
                    });
                    let commander = match i.commander {
                        Some(name) => format!("Commander: {name}"),
                        None => "No commander yet".to_owned(),
                    };
                    view! {
                        <li class="active-list__item" class:active-list__item--mine=is_mine>
                            <span class=format!("sev-dot sev-dot--{}", i.severity_position.clamp(1, 5)) aria-hidden="true"></span>
                            <div class="active-list__main">
                                <IncidentLink reference=i.reference title=i.title suffix="" />
                                <div class="active-list__facts">
                                    <span class="badge badge--severity">{i.severity}</span>
                                    <StatusBadge status=i.status />
                                    <span>{format!("{} so far", durations::format(now - start))}</span>
                                    <span>{commander}</span>
                                    {mine}
                                </div>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Section>
    }
}

#[component]
fn Postmortems(duties: Vec<PostmortemDuty>) -> impl IntoView {
    let empty = duties.is_empty().then(|| {
        "No postmortem waits for you: none to review, finish, publish or start.".to_owned()
    });
    view! {
        <Section id="pm-duties-title" title="Postmortems waiting for you" testid="home-postmortems" href="/postmortems" link="All postmortems".to_owned() empty>
            <ul class="plain-list">
                {duties.into_iter().map(|d| {
                    let class = match d.duty {
                        Duty::Review | Duty::Start => "badge badge--overdue",
                        Duty::Finish | Duty::Publish => "badge",
                    };
                    view! {
                        <li>
                            <IncidentLink reference=d.incident title=d.title suffix="/postmortem" />
                            " "
                            <span class=class>{d.duty.label()}</span>
                            " "
                            <span class="muted">"since " <Time at=d.since /></span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Section>
    }
}

#[component]
fn Budgets(budgets: Vec<BudgetAlert>, budgets_total: u64) -> impl IntoView {
    let shown = budgets.len() as u64;
    let more = (budgets_total > shown).then(|| {
        view! {
            <p class="muted" data-testid="home-budgets-more">
                {format!("The worst {shown} of {budgets_total}; the services page has every budget.")}
            </p>
        }
    });
    let empty = budgets.is_empty().then(|| {
        "No error budget is exhausted or burning fast. SLOs are set on each service's page."
            .to_owned()
    });
    view! {
        <Section id="budgets-title" title="Error budgets" testid="home-budgets" href="/services" link="All services".to_owned() empty>
            <ul class="plain-list">
                {budgets.into_iter().map(|b| {
                    let state = if b.exhausted {
                        "Exhausted".to_owned()
                    } else {
                        format!("Burning {:.1}x", b.burn_rate)
                    };
                    let left = format!(
                        "{:.0}% left of {} over {} days",
                        b.remaining_fraction.max(0.0) * 100.0,
                        b.slo.target_label(),
                        b.slo.window_days
                    );
                    view! {
                        <li>
                            <a href=format!("/services/{}", b.service.slug)>{b.service.name}</a>
                            " "
                            <span class="badge badge--overdue">{state}</span>
                            " "
                            <span class="muted">{left}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {more}
        </Section>
    }
}

#[component]
fn Resolved(resolved: Vec<IncidentSummary>) -> impl IntoView {
    let empty = resolved.is_empty().then(|| {
        format!(
            "Nothing was resolved in the last {} days.",
            OnCall::RECENT_DAYS
        )
    });
    view! {
        <Section id="resolved-title" title="Recently resolved" testid="home-resolved" href="/incidents?status=resolved" link="All resolved".to_owned() empty>
            <ul class="plain-list">
                {resolved.into_iter().map(|i| {
                    let start = i.impact_started_at.unwrap_or(i.declared_at);
                    let lasted = i.resolved_at.map(|end| format!("lasted {}", durations::format(end - start)));
                    view! {
                        <li>
                            <IncidentLink reference=i.reference title=i.title suffix="" />
                            " "
                            <span class="badge badge--severity">{i.severity}</span>
                            " "
                            <span class="muted">{lasted}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Section>
    }
}

/// `INC-42 Title`, linking the incident's page (or, with `suffix`, one under it).
#[component]
fn IncidentLink(reference: IncidentRef, title: String, suffix: &'static str) -> impl IntoView {
    view! {
        <a href=format!("/incidents/{reference}{suffix}") class="incident-link">
            <span class="incident-link__ref">{reference.to_string()}</span>
            " "
            {title}
        </a>
    }
}
