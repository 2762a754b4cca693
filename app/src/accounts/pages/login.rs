use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::reload_to;
use crate::accounts::server_fns::SignIn;
use crate::components::{Field, FormAlert, action_error};

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = Signal::derive(move || action_error(action.value().get()));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };

    Effect::new(move |_| {
        if let Some(Ok(next)) = action.value().get() {
            reload_to(&next);
        }
    });

    view! {
        <Title text="Sign in" />
        <section class="auth-card card">
            <h1>"Sign in to Vigil"</h1>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="next" value=next />
                <FormAlert error fields=&["email", "password"] />
                <Field
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="username"
                    required=true
                    autofocus=true
                    error=field("email")
                />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=field("password")
                />
                <button class="button button--primary button--block" type="submit">
                    "Sign in"
                </button>
            </ActionForm>
        </section>
    }
}
