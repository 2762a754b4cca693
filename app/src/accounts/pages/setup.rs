use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::accounts::server_fns::CompleteSetup;
use crate::components::{Field, FormAlert, action_error};

/// First run: create the first admin with the one-time link from the server log.
#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<CompleteSetup>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let error = Signal::derive(move || action_error(action.value().get()));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };

    view! {
        <Title text="Set up Vigil" />
        <section class="auth-card card">
            <h1>"Set up Vigil"</h1>
            <p class="muted">"Create the first admin account. This link works once."</p>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="token" value=token />
                <FormAlert error fields=&["email", "display_name", "password", "password_confirmation"] />
                <Field label="Email" name="email" kind="email" autocomplete="username" required=true error=field("email") />
                <Field label="Name" name="display_name" autocomplete="name" required=true error=field("display_name") />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    required=true
                    error=field("password")
                />
                <Field
                    label="Repeat the password"
                    name="password_confirmation"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    error=field("password_confirmation")
                />
                <button class="button button--primary button--block" type="submit">"Create admin and sign in"</button>
            </ActionForm>
        </section>
    }
}
