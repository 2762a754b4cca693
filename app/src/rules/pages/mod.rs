//! Admin pages for rules: the list (in the order they run), a new rule, and one rule
//! with its form, its switch, its dry run and its deletion. No island: every form is a
//! plain form post the server answers with a redirect (errors come back beside their
//! fields), and the dry run is a GET form, so both work the same with JavaScript off.

mod fields;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use self::fields::RuleFields;
use crate::components::{FormAlert, action_error};
use crate::error::AppError;
use crate::layout::ErrorTemplate;
use crate::rules::form::{RuleForm, of_rule};
use crate::rules::server_fns::{
    DeleteRule, EnableRule, SaveRule, admin_rule, admin_rules, dry_run_rule, try_rule,
};
use crate::rules::{DryRun, RuleView};

/// Every field the rule form shows its own error beside.
const FORM_FIELDS: &[&str] = &[
    "name",
    "description",
    "trigger",
    "min_severity_id",
    "services",
    "type_id",
    "field_id",
    "field_value",
    "actions",
    "playbook_id",
    "role",
    "role_user_id",
    "item_title",
    "item_priority",
    "item_due_days",
    "set_field_id",
    "set_field_value",
    "channel_id",
    "draft_state",
    "draft_body",
    "set_severity_id",
];

/// The rule form as its "Dry run" button sent it (a GET of the form's fields and the
/// incident), if it did.
fn tried_form(query: &ParamsMap) -> Option<(RuleForm, String)> {
    query.get("form[trigger]")?;
    let incident = query.get("incident").unwrap_or_default();
    let get = |key: &str| query.get(&format!("form[{key}]")).unwrap_or_default();
    let form = RuleForm {
        name: get("name"),
        description: get("description"),
        trigger: get("trigger"),
        enabled: query.get("form[enabled]"),
        min_severity_id: get("min_severity_id"),
        services: query.get_all("form[services][]"),
        type_id: get("type_id"),
        field_id: get("field_id"),
        field_value: get("field_value"),
        playbook_id: get("playbook_id"),
        role: get("role"),
        role_user_id: get("role_user_id"),
        item_title: get("item_title"),
        item_priority: get("item_priority"),
        item_due_days: get("item_due_days"),
        set_field_id: get("set_field_id"),
        set_field_value: get("set_field_value"),
        channel_id: get("channel_id"),
        require_postmortem: query.get("form[require_postmortem]"),
        draft_state: get("draft_state"),
        draft_body: get("draft_body"),
        set_severity_id: get("set_severity_id"),
    };
    Some((form, incident))
}

/// A dry run of the form as written: the form, the incident and the answer.
type Attempt = Option<(RuleForm, String, Result<DryRun, AppError>)>;

/// Runs the dry run the query asks for, if any.
fn attempt() -> Resource<Attempt> {
    let query = use_query_map();
    Resource::new(
        move || tried_form(&query.read()),
        |tried| async move {
            let (form, incident) = tried?;
            let answer = try_rule(form.clone(), incident.clone()).await;
            Some((form, incident, answer))
        },
    )
}

/// The "Dry run" part of the rule form: an incident and a button that sends the form
/// as written to this page (GET), nothing saved; then what it would do.
#[component]
fn TryInForm(path: String, attempt: Attempt) -> impl IntoView {
    let (incident, answer) = match attempt {
        Some((_, incident, answer)) => (incident, Some(answer)),
        None => (String::new(), None),
    };
    let error = match &answer {
        Some(Err(e)) => e.field_message("incident"),
        _ => None,
    };
    let has_error = error.is_some();
    view! {
        <div class="stack" data-testid="form-dry-run">
            <div class="form--inline">
                <div class="field" class:field--invalid=has_error>
                    <label class="field__label" for="form-dry-run-incident">"Try it on an incident first"</label>
                    <p class="field__hint" id="form-dry-run-hint">"What the rule as written here would do, nothing saved."</p>
                    <input class="field__input" id="form-dry-run-incident" name="incident" value=incident placeholder="INC-42"
                        aria-invalid=has_error.then_some("true")
                        aria-describedby=if has_error { "form-dry-run-hint form-dry-run-error" } else { "form-dry-run-hint" } />
                    {error.map(|m| view! { <p class="field__error" id="form-dry-run-error">{m}</p> })}
                </div>
                <button class="button" type="submit" formmethod="get" formaction=path formnovalidate=true>"Dry run"</button>
            </div>
            {match answer {
                Some(Ok(run)) => Some(view! { <DryRunResult run /> }),
                _ => None,
            }}
        </div>
    }
}

/// What a dry run found: what the rule would do, or why it would not run.
#[component]
fn DryRunResult(run: DryRun) -> impl IntoView {
    view! {
        <div class="alert" class:alert--success=run.matches class:alert--warning=!run.matches role="status" data-testid="dry-run-result">
            <p><strong>{run.lines.first().cloned().unwrap_or_default()}</strong></p>
            <ul>
                {run.lines.into_iter().skip(1).map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
        </div>
    }
}

/// The error a save or a dry run of the form answered, for its fields.
fn form_error(save: ServerAction<SaveRule>, attempt: &Attempt) -> Signal<Option<AppError>> {
    let tried = match attempt {
        Some((_, _, Err(e))) if e.field_message("incident").is_none() => Some(e.clone()),
        _ => None,
    };
    Signal::derive(move || action_error(save.value().get()).or_else(|| tried.clone()))
}

/// The rules, in the order they run, each in words.
#[component]
pub fn RulesAdminPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| admin_rules());
    view! {
        <Title text="Rules" />
        <section class="page page--narrow">
            <header class="page-header page-header--actions">
                <div>
                    <h1>"Rules"</h1>
                    <p class="page-header__lede">"Toil written down once: when something happens to an incident and the conditions hold, Vigil does the rest, and says so on the timeline. Enabled rules run in this order."</p>
                </div>
                <a class="button button--primary" href="/admin/rules/new">"New rule"</a>
            </header>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let (rules, _) = data.await?;
                        Ok::<_, AppError>(if rules.is_empty() {
                            view! {
                                <div class="card empty-state">
                                    <p>"No rule yet. A first one could give every SEV1 its communications lead, or attach the security playbook to every security incident."</p>
                                </div>
                            }.into_any()
                        } else {
                            view! {
                                <ol class="settings-list" data-testid="rules">
                                    {rules.into_iter().map(|r| view! { <RuleSummary rule=r /> }).collect_view()}
                                </ol>
                            }.into_any()
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// A rule in words: when, if, then.
#[component]
fn RuleSummary(rule: RuleView) -> impl IntoView {
    let href = format!("/admin/rules/{}", rule.id);
    let (name, enabled, description) = (rule.name.clone(), rule.enabled, rule.description.clone());
    let key = name.clone();
    view! {
        <li class="card stack" data-rule=key>
            <div class="section-header">
                <h2><a href=href>{name}</a></h2>
                <span class="badge" class:badge--ok=enabled>{if enabled { "Enabled" } else { "Draft" }}</span>
            </div>
            {(!description.is_empty()).then(|| view! { <p>{description}</p> })}
            <RuleWords rule />
        </li>
    }
}

#[component]
fn RuleWords(rule: RuleView) -> impl IntoView {
    let conditions = if rule.conditions_text.is_empty() {
        "Every incident".to_owned()
    } else {
        rule.conditions_text.join("; and ")
    };
    view! {
        <dl class="facts facts--compact">
            <div class="facts__item"><dt>"When"</dt><dd>{rule.trigger.label()}</dd></div>
            <div class="facts__item"><dt>"If"</dt><dd>{conditions}</dd></div>
            <div class="facts__item"><dt>"Then"</dt><dd>
                <ul class="plain-list">
                    {rule.actions_text.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}
                </ul>
            </dd></div>
        </dl>
    }
}

/// A new rule: saved as a draft unless enabled, then tried on its own page.
#[component]
pub fn NewRulePage() -> impl IntoView {
    let save = ServerAction::<SaveRule>::new();
    let data = Resource::new(|| (), |_| admin_rules());
    let tried = attempt();
    view! {
        <Title text="New rule" />
        <section class="page page--narrow">
            <header class="page-header">
                <p class="page-header__eyebrow"><a href="/admin/rules">"Rules"</a></p>
                <h1>"New rule"</h1>
                <p class="page-header__lede">"Try it on a real incident before saving. A new rule is a draft until you enable it: it runs on nothing until then."</p>
            </header>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let (_, choices) = data.await?;
                        let tried = tried.await;
                        let error = form_error(save, &tried);
                        let form = tried.as_ref().map(|t| t.0.clone()).unwrap_or_default();
                        Ok::<_, AppError>(view! {
                            <ActionForm action=save attr:class="form card" attr:novalidate=true>
                                <FormAlert error fields=FORM_FIELDS />
                                <RuleFields form choices error />
                                <TryInForm path="/admin/rules/new".to_owned() attempt=tried />
                                <button class="button button--primary" type="submit">"Save rule"</button>
                            </ActionForm>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// One rule: what it does in words, its dry run, its switch, its form and deletion.
#[component]
pub fn RulePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|i| i.parse::<i64>().ok())
            .unwrap_or_default()
    };
    // A dry run of the saved rule: `?incident=` alone (the form's sends its fields too).
    let tried = move || {
        let query = query.read();
        if tried_form(&query).is_some() {
            return None;
        }
        query.get("incident").filter(|i| !i.trim().is_empty())
    };
    let edited = attempt();
    let save = ServerAction::<SaveRule>::new();
    let enable = ServerAction::<EnableRule>::new();
    let delete = ServerAction::<DeleteRule>::new();
    let data = Resource::new(id, admin_rule);
    let dry = Resource::new(
        move || (id(), tried()),
        |(id, incident)| async move {
            match incident {
                Some(incident) => Some(dry_run_rule(id, incident).await),
                None => None,
            }
        },
    );
    let other = Signal::derive(move || {
        action_error(enable.value().get()).or_else(|| action_error(delete.value().get()))
    });
    view! {
        <Title text="Rule" />
        <section class="page page--narrow">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let (rule, choices) = data.await?;
                        let dry = dry.await;
                        let edited = edited.await;
                        let error = form_error(save, &edited);
                        let form = edited.as_ref().map(|t| t.0.clone()).unwrap_or_else(|| of_rule(&rule));
                        let (rule_id, version, enabled) = (rule.id, rule.version, rule.enabled);
                        let path = format!("/admin/rules/{rule_id}");
                        Ok::<_, AppError>(view! {
                            <Title text=rule.name.clone() />
                            <header class="page-header page-header--actions">
                                <div>
                                    <p class="page-header__eyebrow"><a href="/admin/rules">"Rules"</a></p>
                                    <h1>{rule.name.clone()}" "<span class="badge" class:badge--ok=enabled data-testid="rule-state">{if enabled { "Enabled" } else { "Draft" }}</span></h1>
                                    {(!rule.description.is_empty()).then(|| view! { <p class="page-header__lede">{rule.description.clone()}</p> })}
                                </div>
                                <ActionForm action=enable attr:class="inline-form">
                                    <input type="hidden" name="id" value=rule_id.to_string() />
                                    <input type="hidden" name="version" value=version.to_string() />
                                    <input type="hidden" name="enabled" value=(!enabled).to_string() />
                                    <button class="button" class:button--primary=!enabled type="submit">{if enabled { "Turn back into a draft" } else { "Enable" }}</button>
                                </ActionForm>
                            </header>
                            <FormAlert error=other fields=&[] />
                            <section class="card stack" aria-labelledby="rule-words">
                                <h2 id="rule-words">"What it does"</h2>
                                <RuleWords rule=rule.clone() />
                            </section>
                            <DryRunCard rule_id tried=tried().unwrap_or_default() dry />
                            <section class="card stack" aria-labelledby="rule-edit">
                                <h2 id="rule-edit">"Change it"</h2>
                                <ActionForm action=save attr:class="form" attr:novalidate=true>
                                    <FormAlert error fields=FORM_FIELDS />
                                    <input type="hidden" name="id" value=rule_id.to_string() />
                                    <input type="hidden" name="version" value=version.to_string() />
                                    <RuleFields form choices error />
                                    <TryInForm path attempt=edited />
                                    <button class="button button--primary" type="submit">"Save rule"</button>
                                </ActionForm>
                            </section>
                            <section class="card stack" aria-labelledby="rule-delete">
                                <h2 id="rule-delete">"Delete it"</h2>
                                <p class="muted">"What it did stays on the incidents' timelines; the audit log keeps the rule as it was."</p>
                                <ActionForm action=delete attr:class="inline-form">
                                    <input type="hidden" name="id" value=rule_id.to_string() />
                                    <button class="button button--danger" type="submit">"Delete rule"</button>
                                </ActionForm>
                            </section>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// The dry run: a GET form naming an incident, and what the rule would do on it.
#[component]
fn DryRunCard(rule_id: i64, tried: String, dry: Option<Result<DryRun, AppError>>) -> impl IntoView {
    let error = match &dry {
        Some(Err(e)) => Some(e.field_message("incident").unwrap_or_else(|| e.to_string())),
        _ => None,
    };
    let has_error = error.is_some();
    view! {
        <section class="card stack" aria-labelledby="rule-dry-run" data-testid="dry-run">
            <h2 id="rule-dry-run">"Try it"</h2>
            <p class="muted">"See what the rule as saved would do on an incident as it is now. Nothing is changed."</p>
            <form class="form form--inline" method="get" action=format!("/admin/rules/{rule_id}")>
                <div class="field" class:field--invalid=has_error>
                    <label class="field__label" for="dry-run-incident">"Incident"</label>
                    <input class="field__input" id="dry-run-incident" name="incident" value=tried placeholder="INC-42"
                        aria-invalid=has_error.then_some("true")
                        aria-describedby=has_error.then_some("dry-run-incident-error") />
                    {error.map(|m| view! { <p class="field__error" id="dry-run-incident-error">{m}</p> })}
                </div>
                <button class="button" type="submit">"Dry run"</button>
            </form>
            {match dry {
                Some(Ok(run)) => Some(view! { <DryRunResult run /> }),
                _ => None,
            }}
        </section>
    }
}
