use leptos::prelude::*;
use leptos_meta::Title;

use crate::accounts::server_fns::{
    ChangeUserRole, Invitation, InviteUser, SetUserActive, SignOutUserEverywhere, get_sso_settings,
    list_users, take_invitation,
};
use crate::accounts::sso::SsoSettings;
use crate::accounts::use_current_user;
use crate::accounts::{Role, UserSummary};
use crate::components::{Column, DataTable, Field, FormAlert, action_error};
use crate::layout::ErrorTemplate;

/// Admins list, invite, re-role, deactivate and sign out users.
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let invite = ServerAction::<InviteUser>::new();
    let change_role = ServerAction::<ChangeUserRole>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let sign_out = ServerAction::<SignOutUserEverywhere>::new();
    let users = Resource::new(|| (), |_| list_users());
    let flashed = Resource::new(|| (), |_| take_invitation());
    let sso = Resource::new(move || users.get().map(|_| ()), |_| get_sso_settings());
    let me = use_current_user();

    let invite_error = Signal::derive(move || action_error(invite.value().get()));
    let invite_field = move |n: &'static str| {
        Signal::derive(move || invite_error.get().and_then(|e| e.field_message(n)))
    };
    let row_error = Signal::derive(move || {
        action_error(change_role.value().get())
            .or_else(|| action_error(set_active.value().get()))
            .or_else(|| action_error(sign_out.value().get()))
    });

    view! {
        <Title text="Users" />
        <section class="page">
            <header class="page-header">
                <h1>"Users"</h1>
                <p class="page-header__lede">"Who can sign in, and what they may do."</p>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let me = me.await.ok().flatten().map(|u| u.id);
                        let flashed = flashed.await?;
                        let list = users.await?;
                        let sso = sso.await?;
                        let rows = list.into_iter().map(|u| {
                            let is_me = me == Some(u.id);
                            let signs_in = sso.sign_in_of(u.id);
                            view! { <UserRow user=u is_me signs_in change_role set_active sign_out /> }
                        }).collect_view();
                        Ok::<_, crate::error::AppError>(view! {
                            {move || {
                                invite.value().get().and_then(Result::ok).or_else(|| flashed.clone())
                                    .map(|inv| view! { <InvitationNotice invitation=inv /> })
                            }}
                            <FormAlert error=row_error fields=&[] />
                            <DataTable
                                caption="Users"
                                columns=vec![Column::text("Name"), Column::text("Email"), Column::text("Role"), Column::text("Signs in with"), Column::text("Status"), Column::actions()]
                            >
                                {rows}
                            </DataTable>
                            <SsoCard settings=sso />
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
            <section class="card stack" aria-labelledby="invite-title">
                <h2 id="invite-title">"Invite someone"</h2>
                <p class="muted">"They get a temporary password, shown here once, and are asked to choose their own."</p>
                <ActionForm action=invite attr:class="form form--inline" attr:novalidate=true>
                    <FormAlert error=invite_error fields=&["email", "display_name", "role"] />
                    <Field label="Email" name="email" kind="email" required=true error=invite_field("email") />
                    <Field label="Name" name="display_name" required=true error=invite_field("display_name") />
                    <div class="field">
                        <label class="field__label" for="invite-role">"Role"</label>
                        <select class="field__input" id="invite-role" name="role">
                            {Role::HIGHEST_FIRST.into_iter().map(|r| view! {
                                <option value=r.as_str() selected=r == Role::Responder>{r.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <button class="button button--primary" type="submit">"Invite"</button>
                </ActionForm>
            </section>
        </section>
    }
}

#[component]
fn InvitationNotice(invitation: Invitation) -> impl IntoView {
    view! {
        <div class="alert alert--success" role="status" data-testid="invitation">
            "Invited " <strong>{invitation.email}</strong> ". Temporary password: "
            <code data-testid="temporary-password">{invitation.temporary_password}</code>
            " (shown once; share it privately)."
        </div>
    }
}

#[component]
fn UserRow(
    user: UserSummary,
    is_me: bool,
    signs_in: String,
    change_role: ServerAction<ChangeUserRole>,
    set_active: ServerAction<SetUserActive>,
    sign_out: ServerAction<SignOutUserEverywhere>,
) -> impl IntoView {
    let id = user.id.0;
    let save_label = format!("Save the role of {}", user.display_name);
    let active_label = format!(
        "{} {}",
        if user.active {
            "Deactivate"
        } else {
            "Reactivate"
        },
        user.display_name
    );
    let sign_out_label = format!("Sign out everywhere: {}", user.display_name);
    let select_id = format!("role-{}", user.id);
    view! {
        <tr class:table__row--muted=!user.active>
            <td>{user.display_name.clone()} {is_me.then(|| view! { <span class="badge">"you"</span> })}</td>
            <td>{user.email.clone()}</td>
            <td>
                <ActionForm action=change_role attr:class="inline-form">
                    <input type="hidden" name="user_id" value=id.to_string() />
                    <label class="visually-hidden" for=select_id.clone()>{format!("Role of {}", user.display_name)}</label>
                    <select id=select_id name="role" class="field__input field__input--compact">
                        {Role::HIGHEST_FIRST.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == user.role>{r.label()}</option>
                        }).collect_view()}
                    </select>
                    <button class="button button--small" type="submit" aria-label=save_label.clone()>"Save"</button>
                </ActionForm>
            </td>
            <td>{signs_in}</td>
            <td>
                {if user.active {
                    view! { <span class="status status--ok">"Active"</span> }.into_any()
                } else {
                    view! { <span class="status status--off">"Deactivated"</span> }.into_any()
                }}
            </td>
            <td class="table__actions">
                <ActionForm action=set_active attr:class="inline-form">
                    <input type="hidden" name="user_id" value=id.to_string() />
                    <input type="hidden" name="active" value=(!user.active).to_string() />
                    <button
                        class="button button--small"
                        type="submit"
                        disabled=is_me
                        aria-label=active_label.clone()
                    >
                        {if user.active { "Deactivate" } else { "Reactivate" }}
                    </button>
                </ActionForm>
                <ActionForm action=sign_out attr:class="inline-form">
                    <input type="hidden" name="user_id" value=id.to_string() />
                    <button class="button button--small" type="submit" aria-label=sign_out_label.clone()>
                        "Sign out everywhere"
                    </button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// How people sign in: each OpenID provider with what to register there and how its
/// groups map to roles, and who may still use a password.
#[component]
fn SsoCard(settings: SsoSettings) -> impl IntoView {
    let passwords = match &settings.break_glass {
        Some(email) => format!(
            "Passwords are off, except for the break-glass admin {email}, who can sign in when the identity provider cannot be reached."
        ),
        None => "Everyone with a password may also sign in with it.".to_owned(),
    };
    view! {
        <section class="card stack" aria-labelledby="sso-title" data-testid="sso-settings">
            <h2 id="sso-title">"Single sign-on"</h2>
            {settings.providers.is_empty().then(|| view! {
                <p class="muted">
                    "No identity provider is set up: people sign in with passwords. Start Vigil with "
                    <code>"--oidc-issuer"</code> " and " <code>"--oidc-client-id"</code>
                    " to add one (see the README's single sign-on section)."
                </p>
            })}
            {settings.providers.into_iter().map(|p| {
                let roles = if p.roles.is_empty() {
                    format!("Managed here; new people start as {}.", p.default_role.label())
                } else {
                    let mapped = p
                        .roles
                        .iter()
                        .map(|(group, role)| format!("{group} → {}", role.label()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("From the {} claim at every sign-in: {mapped}; anyone else {}.", p.groups_claim, p.default_role.label())
                };
                view! {
                    <dl class="facts">
                        <div class="facts__item"><dt>"Provider"</dt><dd>{p.name}</dd></div>
                        <div class="facts__item"><dt>"Issuer"</dt><dd><code>{p.issuer}</code></dd></div>
                        <div class="facts__item"><dt>"Redirect URL to register"</dt><dd><code>{p.redirect_uri}</code></dd></div>
                        <div class="facts__item"><dt>"Roles"</dt><dd>{roles}</dd></div>
                        <div class="facts__item">
                            <dt>"New people"</dt>
                            <dd>{if p.create_users { "Get an account at their first sign-in." } else { "Need an invitation first." }}</dd>
                        </div>
                        <div class="facts__item">
                            <dt>"Emails"</dt>
                            <dd>{if p.trust_email { "Trusted as the provider states them." } else { "Must be verified by the provider." }}</dd>
                        </div>
                    </dl>
                }
            }).collect_view()}
            <p>{passwords}</p>
        </section>
    }
}
