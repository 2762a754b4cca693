//! Admins connect deploy tools: each change source has its own secret, a default
//! service, a mapping of repositories or applications to services, and filters.

use leptos::prelude::*;
use leptos_meta::Title;

use super::server_fns::{
    CreateChangeSource, RotateChangeSecret, SetChangeSourceDisabled, get_change_sources,
    take_change_secret,
};
use super::{ChangeSourceKind, ChangeSourceView, IssuedSecret};
use crate::choices::ChoiceKind;
use crate::choices::picker::PickerField;
use crate::components::{Field, FormAlert, SecretNotice, SenderHeader, TextArea, action_error};
use crate::layout::ErrorTemplate;
use crate::time::TimeOrNever;

#[component]
pub fn ChangeSourcesPage() -> impl IntoView {
    let create = ServerAction::<CreateChangeSource>::new();
    let rotate = ServerAction::<RotateChangeSecret>::new();
    let toggle = ServerAction::<SetChangeSourceDisabled>::new();
    let data = Resource::new(|| (), |_| get_change_sources());
    let flashed = Resource::new(|| (), |_| take_change_secret());
    let create_error = Signal::derive(move || action_error(create.value().get()));
    let field = move |n: &'static str| {
        Signal::derive(move || create_error.get().and_then(|e| e.field_message(n)))
    };
    let row_error = Signal::derive(move || {
        action_error(rotate.value().get()).or_else(|| action_error(toggle.value().get()))
    });
    view! {
        <Title text="Change sources" />
        <section class="page">
            <header class="page-header">
                <h1>"Change sources"</h1>
                <p class="page-header__lede">"GitHub, GitLab, Argo CD and your own scripts report deploys as they happen, so an incident shows what changed just before it. Each source has its own secret; its mapping says which service a repository or application deploys."</p>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let flashed = flashed.await?;
                        let sources = data.await?;
                        Ok::<_, crate::error::AppError>(view! {
                            {move || {
                                create.value().get().and_then(Result::ok)
                                    .or_else(|| rotate.value().get().and_then(Result::ok))
                                    .or_else(|| flashed.clone())
                                    .map(|secret| view! { <IssuedNotice secret /> })
                            }}
                            <FormAlert error=row_error fields=&[] />
                            {if sources.is_empty() {
                                view! { <p class="empty-note">"No change source yet. Add one below, then point your pipeline at Vigil."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="source-list">
                                        {sources.into_iter().map(|s| view! { <SourceCard source=s rotate toggle /> }).collect_view()}
                                    </div>
                                }.into_any()
                            }}
                            <section class="card stack" aria-labelledby="new-change-source-title">
                                <h2 id="new-change-source-title">"Add a source"</h2>
                                <ActionForm action=create attr:class="form" attr:novalidate=true>
                                    <FormAlert error=create_error fields=&["name", "kind", "service", "mapping", "environments", "workflows"] />
                                    <Field label="Name" name="form[name]" required=true hint="For example “GitHub acme”." error=field("name") />
                                    <div class="field" class:field--invalid=move || field("kind").get().is_some()>
                                        <label class="field__label" for="change-source-kind">"Sender"</label>
                                        <select class="field__input" id="change-source-kind" name="form[kind]">
                                            {ChangeSourceKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                                        </select>
                                        {move || field("kind").get().map(|m| view! { <p class="field__error">{m}</p> })}
                                    </div>
                                    <PickerField
                                        kind=ChoiceKind::Services
                                        id="change-source-service"
                                        name="form[service]"
                                        label="Default service"
                                        hint="Where a change goes when the mapping below names no service for it."
                                        error=field("service")
                                    />
                                    <div class="field" class:field--invalid=move || field("mapping").get().is_some()>
                                        <label class="field__label" for="change-source-mapping">"Repositories and applications"</label>
                                        <p class="field__hint" id="change-source-mapping-hint">"One a line: “acme/checkout = checkout” (a GitHub repository, a GitLab project path, an Argo CD application or a script’s “application”, then a service’s name or slug)."</p>
                                        <TextArea id="change-source-mapping" name="form[mapping]" rows=4 describedby="change-source-mapping-hint change-source-mapping-error" />
                                        {move || field("mapping").get().map(|m| view! { <p class="field__error" id="change-source-mapping-error">{m}</p> })}
                                    </div>
                                    <Field label="Environments" name="form[environments]" hint="Comma-separated, e.g. “production”. Deploys to other environments are not recorded. Empty: every environment." error=field("environments") />
                                    <Field label="Deploy workflows (GitHub)" name="form[workflows]" hint="Workflow runs are recorded when the workflow’s name contains one of these, comma-separated. Empty: “deploy”." error=field("workflows") />
                                    <button class="button button--primary" type="submit">"Add source"</button>
                                </ActionForm>
                            </section>
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
        </section>
    }
}

/// The new secret, once, with how to point the sender at Vigil.
#[component]
fn IssuedNotice(secret: IssuedSecret) -> impl IntoView {
    let value = secret.secret.clone();
    let setup = match secret.kind {
        ChangeSourceKind::GitHub => format!(
            "Repository or organisation → Settings → Webhooks → Add webhook\n  Payload URL: https://VIGIL_HOST/hooks/changes/github\n  Content type: application/json\n  Secret: {value}\n  Events: Deployment statuses, Workflow runs"
        ),
        ChangeSourceKind::GitLab => format!(
            "Project or group → Settings → Webhooks → Add new webhook\n  URL: https://VIGIL_HOST/hooks/changes/gitlab\n  Secret token: {value}\n  Trigger: Deployment events"
        ),
        ChangeSourceKind::ArgoCd => format!(
            "argocd-notifications-cm:\n  service.webhook.vigil: |\n    url: https://VIGIL_HOST/hooks/changes/argocd\n    headers:\n      - name: Authorization\n        value: Bearer $vigil-secret\n  (put {value} in argocd-notifications-secret as vigil-secret;\n   the template to send is in Vigil's README, “Change sources”)"
        ),
        ChangeSourceKind::Generic => format!(
            "curl -X POST https://VIGIL_HOST/hooks/changes \\\n  -H 'Authorization: Bearer {value}' -H 'Content-Type: application/json' \\\n  -d '{{\"title\": \"Deploy v1.2.3\", \"application\": \"checkout\", \"version\": \"v1.2.3\", \"external_id\": \"build-42\", \"finished_at\": \"2026-12-05T10:00:00Z\"}}'"
        ),
    };
    view! {
        <SecretNotice what="Secret for" owner=secret.source_name keep="store it in the sender's settings"
            value=secret.secret setup testid="change-secret" />
    }
}

#[component]
fn SourceCard(
    source: ChangeSourceView,
    rotate: ServerAction<RotateChangeSecret>,
    toggle: ServerAction<SetChangeSourceDisabled>,
) -> impl IntoView {
    let id = source.id;
    let rotate_label = format!("New secret for {}", source.name);
    let toggle_label = format!(
        "{} {}",
        if source.disabled { "Resume" } else { "Pause" },
        source.name
    );
    let listed = |words: &[String], empty: &'static str| {
        if words.is_empty() {
            empty.to_owned()
        } else {
            words.join(", ")
        }
    };
    view! {
        <article class="card stack" data-testid="change-source" class:card--muted=source.disabled>
            <SenderHeader name=source.name.clone() paused=source.disabled working="Receiving" />
            <dl class="facts facts--compact">
                <div><dt>"Sender"</dt><dd>{source.kind.label()}</dd></div>
                <div><dt>"Address"</dt><dd><code>{source.kind.hook_path()}</code></dd></div>
                <div><dt>"Default service"</dt><dd>{source.service.name.clone()}</dd></div>
                <div><dt>"Secret"</dt><dd><code>{format!("…{}", source.token_hint)}</code></dd></div>
                <div><dt>"Environments"</dt><dd>{listed(&source.environments, "all")}</dd></div>
                {(source.kind == ChangeSourceKind::GitHub).then(|| view! {
                    <div><dt>"Deploy workflows"</dt><dd>{listed(&source.workflows, "deploy")}</dd></div>
                })}
                <div><dt>"Changes received"</dt><dd>{source.change_count}</dd></div>
                <div><dt>"Last delivery"</dt><dd><TimeOrNever at=source.last_received_at /></dd></div>
            </dl>
            {(!source.mapping.is_empty()).then(|| view! {
                <ul class="rule-list" aria-label="Mapping">
                    {source.mapping.into_iter().map(|(from, to)| view! {
                        <li><code>{from}</code>" → "<a href=format!("/services/{to}")>{to.clone()}</a></li>
                    }).collect_view()}
                </ul>
            })}
            <div class="button-row">
                <ActionForm action=rotate attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <button class="button button--small" type="submit" aria-label=rotate_label>"New secret"</button>
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
