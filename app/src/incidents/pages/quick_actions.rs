//! The incident page's quick actions: status, severity, a role, "duplicate of".

use leptos::prelude::*;

use super::detail::Actions;
use crate::choices::ChoiceKind;
use crate::choices::picker::Picker;
use crate::components::action_error;
use crate::incidents::{IncidentRole, SeverityView, Status};

/// One row of small forms, each with the incident's reference and the version it was
/// read at (a change since is a conflict, not an overwrite).
#[component]
pub(super) fn QuickActions(
    actions: Actions,
    reference: String,
    version: String,
    status: Status,
    severity_id: i64,
    severities: Vec<SeverityView>,
) -> impl IntoView {
    let next: Vec<_> = status
        .next()
        .iter()
        .copied()
        .filter(|s| *s != Status::Merged)
        .collect();
    let mergeable = status.can_move_to(Status::Merged);
    let hidden = || {
        let (reference, version) = (reference.clone(), version.clone());
        view! {
            <input type="hidden" name="reference" value=reference />
            <input type="hidden" name="version" value=version />
        }
    };
    let (status_hidden, severity_hidden, role_hidden, merge_hidden) =
        (hidden(), hidden(), hidden(), hidden());
    let role_field = Signal::derive(move || {
        action_error(actions.role.value().get()).and_then(|e| e.field_message("user_id"))
    });
    let merge_field = Signal::derive(move || {
        action_error(actions.merge.value().get()).and_then(|e| e.field_message("merged_into"))
    });
    view! {
        <section class="card quick-actions" aria-label="Quick actions">
            {(!next.is_empty()).then(|| view! {
                <ActionForm action=actions.status attr:class="inline-form">
                    {status_hidden}
                    <label class="field__label" for="next-status">"Status"</label>
                    <select class="field__input field__input--compact" id="next-status" name="status">
                        {next.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                    <button class="button button--small button--primary" type="submit">"Change status"</button>
                </ActionForm>
            })}
            <ActionForm action=actions.severity attr:class="inline-form">
                {severity_hidden}
                <label class="field__label" for="new-severity">"Severity"</label>
                <select class="field__input field__input--compact" id="new-severity" name="severity_id">
                    {severities.iter().map(|s| view! {
                        <option value=s.id.to_string() selected=s.id == severity_id>{s.name.clone()}</option>
                    }).collect_view()}
                </select>
                <button class="button button--small" type="submit">"Set severity"</button>
            </ActionForm>
            <ActionForm action=actions.role attr:class="inline-form">
                {role_hidden}
                <label class="visually-hidden" for="role-name">"Role"</label>
                <select class="field__input field__input--compact" id="role-name" name="role">
                    {IncidentRole::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                </select>
                <label class="visually-hidden" for="role-person">"Person"</label>
                <Picker
                    kind=ChoiceKind::People
                    id="role-person"
                    name="person"
                    compact=true
                    placeholder="Name or email"
                    describedby="role-person-error"
                    invalid=Signal::derive(move || role_field.get().is_some())
                />
                <button class="button button--small" type="submit">"Assign"</button>
                {move || role_field.get().map(|m| view! { <p class="field__error" id="role-person-error">{m}</p> })}
            </ActionForm>
            {mergeable.then(|| view! {
                <ActionForm action=actions.merge attr:class="inline-form" attr:novalidate=true>
                    {merge_hidden}
                    <input type="hidden" name="status" value="merged" />
                    <label class="field__label" for="merged-into">"Duplicate of"</label>
                    <input
                        class="field__input field__input--compact"
                        id="merged-into"
                        name="merged_into"
                        placeholder="INC-12"
                        size="8"
                        aria-invalid=move || merge_field.get().is_some().then_some("true")
                        aria-describedby="merged-into-error"
                    />
                    <button class="button button--small" type="submit">"Merge"</button>
                    {move || merge_field.get().map(|m| view! { <p class="field__error" id="merged-into-error">{m}</p> })}
                </ActionForm>
            })}
        </section>
    }
}
