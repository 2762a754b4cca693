use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::accounts::server_fns::{SignIn, get_sign_in_options};
use crate::accounts::sso::{SignInOptions, failure_message, start_path};
use crate::components::{Field, FormAlert, action_error};

/// Sign in: a button per OpenID provider, and the password form (for everyone, or only
/// the break-glass admin when passwords are off).
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let options = Resource::new(|| (), |_| get_sign_in_options());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let sso_error = move || {
        query
            .read()
            .get("sso_error")
            .map(|code| failure_message(&code))
    };
    let error = Signal::derive(move || action_error(action.value().get()));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };

    let password_form = move |autofocus: bool| {
        view! {
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="next" value=next />
                <FormAlert error fields=&["email", "password"] />
                <Field
                    label="Email"
                    name="email"
                    kind="email"
                    autocomplete="username"
                    required=true
                    autofocus
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
        }
    };

    view! {
        <Title text="Sign in" />
        <section class="auth-card card stack">
            <h1>"Sign in to Vigil"</h1>
            {move || sso_error().map(|message| view! {
                <div class="alert alert--error" role="alert" data-testid="sso-error">{message}</div>
            })}
            <Suspense>
                {move || Suspend::new(async move {
                    let options = options.await.unwrap_or_else(|_| SignInOptions {
                        providers: Vec::new(),
                        passwords: true,
                    });
                    let has_providers = !options.providers.is_empty();
                    let buttons = options
                        .providers
                        .into_iter()
                        .map(|p| {
                            let href = start_path(&p.id, &next());
                            view! {
                                <a class="button button--primary button--block" href=href rel="external" data-testid="sso-button">
                                    "Sign in with " {p.name}
                                </a>
                            }
                        })
                        .collect_view();
                    let passwords = if !options.passwords {
                        view! {
                            <details class="break-glass" data-testid="break-glass">
                                <summary>"Emergency sign-in with a password"</summary>
                                <p class="muted">
                                    "Passwords are turned off here. Only the break-glass admin account can use one, for when the identity provider is unavailable."
                                </p>
                                {password_form(false)}
                            </details>
                        }
                        .into_any()
                    } else if has_providers {
                        view! {
                            <p class="auth-card__or muted">"or with your email and password"</p>
                            {password_form(false)}
                        }
                        .into_any()
                    } else {
                        password_form(true).into_any()
                    };
                    view! {
                        {has_providers.then(|| view! { <div class="stack">{buttons}</div> })}
                        {passwords}
                    }
                })}
            </Suspense>
        </section>
    }
}
