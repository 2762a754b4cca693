use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::choices::ChoiceKind;
use crate::choices::picker::PickerField;
use crate::components::{Field, FormAlert, TextArea, action_error};
use crate::error::AppError;
use crate::layout::ErrorTemplate;
use crate::playbooks::PlaybookForm;
use crate::playbooks::server_fns::{CreatePlaybook, UpdatePlaybook, get_playbook};

const FIELDS: &[&str] = &["title", "services", "steps", "body"];

/// The playbook's fields, pre-filled from `initial`, each with its own error.
#[component]
fn PlaybookFields(initial: PlaybookForm, error: Signal<Option<AppError>>) -> impl IntoView {
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
    let area_error = move |name: &'static str| {
        move || {
            field(name)
                .get()
                .map(|m| view! { <p class="field__error" id=format!("field-{name}-error")>{m}</p> })
        }
    };
    view! {
        <FormAlert error fields=FIELDS />
        <Field label="Title" name="form[title]" required=true value=initial.title.clone() hint="What it repairs, for example “Database failover” or “Roll back a bad deploy”." error=field("title") />
        <PickerField
            kind=ChoiceKind::Services
            id="field-services"
            name="form[services]"
            label="Services"
            hint="Incidents that affect one of these get the playbook as a checklist. Leave empty to attach it by hand."
            value=initial.services.clone()
            multiple=true
            error=field("services")
        />
        <div class="field" class:field--invalid=move || field("steps").get().is_some()>
            <label class="field__label" for="field-steps">"Steps"</label>
            <p class="field__hint" id="field-steps-hint">"One step a line, in order. Optionally add | a link and | needs: a role (commander, communications, operations, scribe). For example: Promote the replica | https://wiki.example/failover | needs: operations"</p>
            <TextArea class="field__input field__input--mono" id="field-steps" name="form[steps]" rows=8 describedby="field-steps-hint field-steps-error" value=initial.steps.clone() />
            {area_error("steps")}
        </div>
        <div class="field" class:field--invalid=move || field("body").get().is_some()>
            <label class="field__label" for="field-body">"Guide (Markdown, optional)"</label>
            <p class="field__hint" id="field-body-hint">"Background the steps need: how to tell what is wrong, what to check before a risky step, whom to call."</p>
            <TextArea id="field-body" name="form[body]" rows=8 describedby="field-body-hint field-body-error" value=initial.body.clone() />
            {area_error("body")}
        </div>
    }
}

/// Responders write a playbook.
#[component]
pub fn NewPlaybookPage() -> impl IntoView {
    let action = ServerAction::<CreatePlaybook>::new();
    let error = Signal::derive(move || action_error(action.value().get()));
    view! {
        <Title text="Write a playbook" />
        <section class="page page--narrow">
            <header class="page-header">
                <p class="page-header__eyebrow"><A href="/playbooks">"Playbooks"</A></p>
                <h1>"Write a playbook"</h1>
            </header>
            <ActionForm action attr:class="form card" attr:novalidate=true>
                <PlaybookFields initial=PlaybookForm::default() error />
                <button class="button button--primary" type="submit">"Save playbook"</button>
            </ActionForm>
        </section>
    }
}

/// Responders save a new version of a playbook; incidents keep the version they used.
#[component]
pub fn EditPlaybookPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|i| i.parse::<i64>().ok());
    let update = ServerAction::<UpdatePlaybook>::new();
    let playbook = Resource::new(id, |id| get_playbook(id.unwrap_or(0), None));
    let error = Signal::derive(move || action_error(update.value().get()));
    view! {
        <Suspense fallback=|| view! { <section class="page page--narrow"><p class="muted">"Loading…"</p></section> }>
            <ErrorBoundary fallback=|errors| view! { <section class="page page--narrow"><ErrorTemplate errors /></section> }>
                {move || Suspend::new(async move {
                    let p = playbook.await?;
                    let title = format!("Edit {}", p.title);
                    let services = p.services.iter().map(|s| s.slug.as_str()).collect::<Vec<_>>().join(", ");
                    let initial = PlaybookForm::of(&p.title, &p.body, &p.steps, &services);
                    Ok::<_, AppError>(view! {
                        <Title text=title.clone() />
                        <section class="page page--narrow">
                            <header class="page-header">
                                <p class="page-header__eyebrow"><A href=format!("/playbooks/{}", p.id)>{p.title.clone()}</A></p>
                                <h1>{title}</h1>
                                <p class="page-header__lede">{format!("Saving makes version {}. Incidents keep the version they were given.", p.current_version + 1)}</p>
                            </header>
                            <ActionForm action=update attr:class="form card" attr:novalidate=true>
                                <input type="hidden" name="id" value=p.id.to_string() />
                                <input type="hidden" name="version" value=p.current_version.to_string() />
                                <PlaybookFields initial error />
                                <button class="button button--primary" type="submit">"Save new version"</button>
                            </ActionForm>
                        </section>
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}
