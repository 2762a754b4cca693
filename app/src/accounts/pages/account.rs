use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::accounts::server_fns::{ChangePassword, UpdateProfile, list_time_zones};
use crate::accounts::use_current_user;
use crate::api_tokens::page::ApiTokensSection;
use crate::components::{Field, FormAlert, action_error};

/// "My account": display name, time zone and password.
#[component]
pub fn AccountPage() -> impl IntoView {
    let user = use_current_user();
    let profile = ServerAction::<UpdateProfile>::new();
    let zones = Resource::new(|| (), |_| list_time_zones());
    let password = ServerAction::<ChangePassword>::new();
    let query = use_query_map();
    let saved = move || query.read().get("saved");

    let profile_error = Signal::derive(move || action_error(profile.value().get()));
    let password_error = Signal::derive(move || action_error(password.value().get()));
    let profile_field = move |n: &'static str| {
        Signal::derive(move || profile_error.get().and_then(|e| e.field_message(n)))
    };
    let password_field = move |n: &'static str| {
        Signal::derive(move || password_error.get().and_then(|e| e.field_message(n)))
    };
    let profile_saved = move || {
        saved().as_deref() == Some("profile") || matches!(profile.value().get(), Some(Ok(_)))
    };
    let password_saved = move || {
        saved().as_deref() == Some("password") || matches!(password.value().get(), Some(Ok(_)))
    };

    view! {
        <Title text="My account" />
        <section class="page page--narrow">
            <header class="page-header">
                <h1>"My account"</h1>
            </header>
            <Suspense>
                {move || Suspend::new(async move {
                    let zones = zones.await.unwrap_or_default();
                    user.await.ok().flatten().map(|user| view! {
                        <section class="card stack" aria-labelledby="profile-title">
                            <h2 id="profile-title">"Profile"</h2>
                            <dl class="facts">
                                <div class="facts__item"><dt>"Email"</dt><dd>{user.email.clone()}</dd></div>
                                <div class="facts__item"><dt>"Role"</dt><dd>{user.role.label()}</dd></div>
                            </dl>
                            <ActionForm action=profile attr:class="form" attr:novalidate=true>
                                {move || profile_saved().then(|| view! { <div class="alert alert--success" role="status">"Profile saved."</div> })}
                                <FormAlert error=profile_error fields=&["display_name"] />
                                <Field label="Name" name="display_name" autocomplete="name" value=user.display_name.clone() required=true error=profile_field("display_name") />
                                <TimeZoneField zones chosen=user.time_zone.clone() error=profile_field("time_zone") />
                                <button class="button button--primary" type="submit">"Save profile"</button>
                            </ActionForm>
                        </section>
                        {if user.has_password {
                            view! {
                            <section class="card stack" aria-labelledby="password-title">
                                <h2 id="password-title">"Password"</h2>
                                {user.password_change_required.then(|| view! {
                                    <div class="alert alert--warning" role="status">"You signed in with a temporary password. Choose your own now."</div>
                                })}
                                <ActionForm action=password attr:class="form" attr:novalidate=true>
                                    {move || password_saved().then(|| view! { <div class="alert alert--success" role="status">"Password changed."</div> })}
                                    <FormAlert error=password_error fields=&["current_password", "new_password", "new_password_confirmation"] />
                                    <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" required=true error=password_field("current_password") />
                                    <Field label="New password" name="new_password" kind="password" autocomplete="new-password" hint="At least 10 characters." required=true error=password_field("new_password") />
                                    <Field label="Repeat the new password" name="new_password_confirmation" kind="password" autocomplete="new-password" required=true error=password_field("new_password_confirmation") />
                                    <p class="field__hint">"Your other sessions are signed out when the password changes."</p>
                                    <label class="checkbox" for="revoke-tokens">
                                        <input type="checkbox" id="revoke-tokens" name="revoke_tokens" value="on" />
                                        "Also revoke my API tokens"
                                    </label>
                                    <button class="button button--primary" type="submit">"Change password"</button>
                                </ActionForm>
                            </section>
                            }
                            .into_any()
                        } else {
                            view! {
                                <section class="card stack" aria-labelledby="password-title" data-testid="no-password">
                                    <h2 id="password-title">"Password"</h2>
                                    <p>"You sign in through your organisation's identity provider, so you have no password in Vigil."</p>
                                </section>
                            }
                            .into_any()
                        }}
                    })
                })}
            </Suspense>
            <ApiTokensSection />
        </section>
    }
}

/// The zone times are shown in; "automatic" follows the browser (UTC without JavaScript).
#[component]
fn TimeZoneField(
    zones: Vec<String>,
    chosen: Option<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let current = crate::time::ViewerZone::current();
    let automatic = format!("Automatic (now {})", current.name());
    let chosen = chosen.unwrap_or_default();
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some()>
            <label class="field__label" for="time-zone">"Time zone"</label>
            <select class="field__input" id="time-zone" name="time_zone" aria-describedby="time-zone-hint">
                <option value="" selected=chosen.is_empty()>{automatic}</option>
                {zones.into_iter().map(|zone| {
                    let selected = zone == chosen;
                    view! { <option value=zone.clone() selected=selected>{zone.clone()}</option> }
                }).collect_view()}
            </select>
            <p class="field__hint" id="time-zone-hint">"Every time in Vigil is shown in this zone. Automatic uses your browser's zone."</p>
            {move || error.get().map(|m| view! { <p class="field__error">{m}</p> })}
        </div>
    }
}
