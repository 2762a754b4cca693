use leptos::prelude::*;
use leptos_meta::Title;

use super::server_fns::{
    CreateAlertSource, RotateAlertToken, SetAlertSourceDisabled, get_alerts_admin, take_alert_token,
};
use super::{AlertAction, AlertSourceView, AlertView, IssuedToken, SEVERITY_WORDS, SourceKind};
use crate::choices::ChoiceKind;
use crate::choices::picker::PickerField;
use crate::components::{
    Column, Field, FormAlert, SecretNotice, SenderHeader, TableCard, action_error,
};
use crate::layout::ErrorTemplate;
use crate::time::{Time, TimeOrNever};

/// Admins connect alerting systems: each source has its own token, a default service
/// and a rule per alert severity (open an incident, or only record the alert).
#[component]
pub fn AlertSourcesPage() -> impl IntoView {
    let create = ServerAction::<CreateAlertSource>::new();
    let rotate = ServerAction::<RotateAlertToken>::new();
    let toggle = ServerAction::<SetAlertSourceDisabled>::new();
    let data = Resource::new(|| (), |_| get_alerts_admin());
    let flashed = Resource::new(|| (), |_| take_alert_token());
    let create_error = Signal::derive(move || action_error(create.value().get()));
    let create_field = move |n: &'static str| {
        Signal::derive(move || create_error.get().and_then(|e| e.field_message(n)))
    };
    // A wrong name, or the rule that a source needs a service (`for_field` on the server).
    let service_error = create_field("service");
    let row_error = Signal::derive(move || {
        action_error(rotate.value().get()).or_else(|| action_error(toggle.value().get()))
    });
    view! {
        <Title text="Alert sources" />
        <section class="page">
            <header class="page-header">
                <h1>"Alert sources"</h1>
                <p class="page-header__lede">"Alertmanager, Grafana and PagerDuty-style senders open incidents without anyone copying text. Repeats of a firing alert join the incident it opened; each severity either pages (opens an incident) or is only recorded."</p>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let flashed = flashed.await?;
                        let admin = data.await?;
                        let severities = admin.severities.clone();
                        Ok::<_, crate::error::AppError>(view! {
                            {move || {
                                create.value().get().and_then(Result::ok)
                                    .or_else(|| rotate.value().get().and_then(Result::ok))
                                    .or_else(|| flashed.clone())
                                    .map(|token| view! { <TokenNotice token /> })
                            }}
                            <FormAlert error=row_error fields=&[] />
                            {if admin.sources.is_empty() {
                                view! { <p class="empty-note">"No alert source yet. Add one below, then point your alerting at Vigil."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="source-list">
                                        {admin.sources.into_iter().map(|s| view! { <SourceCard source=s rotate toggle /> }).collect_view()}
                                    </div>
                                }.into_any()
                            }}
                            <section class="card stack" aria-labelledby="new-source-title">
                                <h2 id="new-source-title">"Add a source"</h2>
                                <ActionForm action=create attr:class="form" attr:novalidate=true>
                                    <FormAlert error=create_error fields=&["name", "kind", "service", "rule_critical", "rule_error", "rule_warning", "rule_info", "rule_other"] />
                                    <Field label="Name" name="form[name]" required=true hint="For example “Production Alertmanager”." error=create_field("name") />
                                    <div class="field" class:field--invalid=move || create_field("kind").get().is_some()>
                                        <label class="field__label" for="source-kind">"Sender"</label>
                                        <select class="field__input" id="source-kind" name="form[kind]">
                                            {SourceKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                                        </select>
                                        {move || create_field("kind").get().map(|m| view! { <p class="field__error">{m}</p> })}
                                    </div>
                                    <PickerField
                                        kind=ChoiceKind::Services
                                        id="source-service"
                                        name="form[service]"
                                        label="Default service"
                                        hint="An alert with a “service” label naming another service (by name or slug) goes to that one."
                                        error=service_error
                                    />
                                    <fieldset class="fieldset">
                                        <legend>"What each alert severity does"</legend>
                                        {SEVERITY_WORDS.into_iter().enumerate().map(|(i, word)| {
                                            let id = format!("rule-{word}");
                                            let name = format!("form[rule_{word}]");
                                            let label = if word == "other" { "Any other or no severity".to_owned() } else { format!("“{word}”") };
                                            let field_name: &'static str = match word {
                                                "critical" => "rule_critical",
                                                "error" => "rule_error",
                                                "warning" => "rule_warning",
                                                "info" => "rule_info",
                                                _ => "rule_other",
                                            };
                                            // Sensible defaults: critical pages at the top level, error at the next.
                                            let default_open = match i {
                                                0 => severities.first().map(|s| s.0),
                                                1 => severities.get(1).map(|s| s.0),
                                                _ => None,
                                            };
                                            view! {
                                                <div class="field field--row">
                                                    <label class="field__label" for=id.clone()>{label}</label>
                                                    <select class="field__input" id=id name=name>
                                                        <option value="record" selected=default_open.is_none()>"Record only (ticket or log)"</option>
                                                        {severities.iter().map(|(sid, sname)| view! {
                                                            <option value=sid.to_string() selected=default_open == Some(*sid)>{format!("Open an incident at {sname}")}</option>
                                                        }).collect_view()}
                                                    </select>
                                                    {move || create_field(field_name).get().map(|m| view! { <p class="field__error">{m}</p> })}
                                                </div>
                                            }
                                        }).collect_view()}
                                    </fieldset>
                                    <label class="checkbox" for="source-auto-resolve">
                                        <input type="checkbox" id="source-auto-resolve" name="form[auto_resolve]" value="on" />
                                        "Resolve the incident when all its alerts have resolved (otherwise a person decides)"
                                    </label>
                                    <button class="button button--primary" type="submit">"Add source"</button>
                                </ActionForm>
                            </section>
                            <RecentAlerts alerts=admin.recent />
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

/// The new token, once, with how to point the sender at Vigil.
#[component]
fn TokenNotice(token: IssuedToken) -> impl IntoView {
    let setup = match token.kind {
        SourceKind::Alertmanager => format!(
            "receivers:\n  - name: vigil\n    webhook_configs:\n      - url: https://VIGIL_HOST/hooks/alerts\n        send_resolved: true\n        http_config:\n          authorization:\n            credentials: {}",
            token.token
        ),
        SourceKind::Grafana => format!(
            "Contact point → Webhook\n  URL: https://VIGIL_HOST/hooks/alerts\n  HTTP method: POST\n  Authorization header scheme: Bearer\n  Authorization header credentials: {}",
            token.token
        ),
        SourceKind::PagerDuty => format!(
            "POST https://VIGIL_HOST/hooks/pagerduty/v2/enqueue\n  with \"routing_key\": \"{}\" in the event body",
            token.token
        ),
    };
    view! {
        <SecretNotice what="Token for" owner=token.source_name keep="store it in your alerting's secrets"
            value=token.token setup testid="alert-token" />
    }
}

#[component]
fn SourceCard(
    source: AlertSourceView,
    rotate: ServerAction<RotateAlertToken>,
    toggle: ServerAction<SetAlertSourceDisabled>,
) -> impl IntoView {
    let id = source.id;
    let rotate_label = format!("New token for {}", source.name);
    let toggle_label = format!(
        "{} {}",
        if source.disabled { "Resume" } else { "Pause" },
        source.name
    );
    view! {
        <article class="card stack" data-testid="alert-source" class:card--muted=source.disabled>
            <SenderHeader name=source.name.clone() paused=source.disabled working="Receiving" />
            <dl class="facts facts--compact">
                <div><dt>"Sender"</dt><dd>{source.kind.label()}</dd></div>
                <div><dt>"Default service"</dt><dd>{source.service.name.clone()}</dd></div>
                <div><dt>"Token"</dt><dd><code>{format!("…{}", source.token_hint)}</code></dd></div>
                <div><dt>"Alerts received"</dt><dd>{source.alert_count}</dd></div>
                <div><dt>"Last alert"</dt><dd><TimeOrNever at=source.last_received_at /></dd></div>
                <div><dt>"Resolving"</dt><dd>{if source.auto_resolve { "automatic when its alerts resolve" } else { "a person decides" }}</dd></div>
            </dl>
            <ul class="rule-list">
                {source.rules.into_iter().map(|(word, what)| view! {
                    <li><code>{word}</code>" "{what}</li>
                }).collect_view()}
            </ul>
            <div class="button-row">
                <ActionForm action=rotate attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <button class="button button--small" type="submit" aria-label=rotate_label>"New token"</button>
                </ActionForm>
                <ActionForm action=toggle attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="disabled" value=(!source.disabled).to_string() />
                    <button class="button button--small button--quiet" type="submit" aria-label=toggle_label>
                        {if source.disabled { "Resume" } else { "Pause" }}
                    </button>
                </ActionForm>
            </div>
        </article>
    }
}

#[component]
fn RecentAlerts(alerts: Vec<AlertView>) -> impl IntoView {
    let empty = alerts.is_empty();
    view! {
        <TableCard
            id="recent-alerts-title"
            title="Recent alerts"
            empty_note="No alert received yet."
            empty
            caption="The latest alerts received"
            columns=vec![
                Column::text("Last received"),
                Column::text("Source"),
                Column::text("Alert"),
                Column::text("Severity"),
                Column::text("State"),
                Column::text("Outcome"),
            ]
            testid="recent-alerts"
        >
            {alerts.into_iter().map(|a| {
                let outcome = match (&a.incident, a.action) {
                    (Some(r), AlertAction::Opened) => view! { "opened " <a href=format!("/incidents/{r}")>{r.to_string()}</a> }.into_any(),
                    (Some(r), _) => view! { "joined " <a href=format!("/incidents/{r}")>{r.to_string()}</a> }.into_any(),
                    (None, _) => view! { "recorded" }.into_any(),
                };
                view! {
                    <tr>
                        <td><Time at=a.last_received_at /></td>
                        <td>{a.source_name}</td>
                        <td>{a.title}{(a.repeats > 0).then(|| view! { <span class="muted">{format!(" ×{}", a.repeats + 1)}</span> })}</td>
                        <td>{a.severity.unwrap_or_else(|| "—".to_owned())}</td>
                        <td>{a.state.label()}</td>
                        <td>{outcome}</td>
                    </tr>
                }
            }).collect_view()}
        </TableCard>
    }
}
