use leptos::prelude::*;

use super::server_fns::{CreateApiToken, RevokeApiToken, list_api_tokens, take_api_token};
use super::{ApiTokenView, NewApiToken};
use crate::components::{Column, DataTable, Field, FormAlert, SecretNotice, action_error};
use crate::layout::ErrorTemplate;
use crate::time::TimeOrNever;

/// "My account" → API tokens: make one (shown once), see when each was last used,
/// revoke. Admins see and may revoke everyone's.
#[component]
pub fn ApiTokensSection() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(|| (), |_| list_api_tokens());
    let flashed = Resource::new(|| (), |_| take_api_token());
    let create_error = Signal::derive(move || action_error(create.value().get()));
    let field = move |n: &'static str| {
        Signal::derive(move || create_error.get().and_then(|e| e.field_message(n)))
    };
    let revoke_error = Signal::derive(move || action_error(revoke.value().get()));
    view! {
        <section class="card stack" aria-labelledby="api-tokens-title">
            <h2 id="api-tokens-title">"API tokens"</h2>
            <p class="muted">"Scripts call " <code>"/api/v1"</code> " with " <code>"Authorization: Bearer TOKEN"</code> " and act as you, with your role. See the " <a href="/api/v1/docs" rel="external">"API reference"</a> " (OpenAPI 3.1)."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorTemplate errors /> }>
                    {move || Suspend::new(async move {
                        let flashed = flashed.await?;
                        let list = tokens.await?;
                        Ok::<_, crate::error::AppError>(view! {
                            {move || create.value().get().and_then(Result::ok).or_else(|| flashed.clone())
                                .map(|token| view! { <TokenNotice token /> })}
                            <FormAlert error=revoke_error fields=&[] />
                            {if list.is_empty() {
                                view! { <p class="empty-note">"No API token yet."</p> }.into_any()
                            } else {
                                view! { <TokenTable tokens=list revoke /> }.into_any()
                            }}
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
            <ActionForm action=create attr:class="form form--inline" attr:novalidate=true>
                <FormAlert error=create_error fields=&["name", "expires_in_days"] />
                <Field label="Token name" name="name" required=true error=field("name") />
                <Field label="Expires after (days)" name="expires_in_days" kind="number" hint="Empty: never." error=field("expires_in_days") />
                <button class="button button--primary" type="submit">"Create token"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn TokenNotice(token: NewApiToken) -> impl IntoView {
    view! {
        <SecretNotice what="Token" owner=token.name keep="keep it in a secret store" value=token.token testid="api-token" />
    }
}

#[component]
fn TokenTable(tokens: Vec<ApiTokenView>, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    view! {
        <DataTable
            caption="API tokens"
            columns=vec![Column::text("Name"), Column::text("Owner"), Column::text("Token"), Column::text("Last used"), Column::text("Expires"), Column::actions()]
            testid="api-tokens"
        >
            {tokens.into_iter().map(|t| {
                let label = format!("Revoke {}", t.name);
                let live = !t.revoked && !t.expired;
                view! {
                    <tr class:table__row--muted=!live>
                        <td>{t.name.clone()}</td>
                        <td>{t.owner.clone()}</td>
                        <td><code>{format!("…{}", t.hint)}</code></td>
                        <td><TimeOrNever at=t.last_used_at /></td>
                        <td>{if t.revoked {
                            view! { <span class="status status--off">"Revoked"</span> }.into_any()
                        } else if t.expired {
                            view! { <span class="status status--off">"Expired"</span> }.into_any()
                        } else {
                            view! { <TimeOrNever at=t.expires_at /> }.into_any()
                        }}</td>
                        <td class="table__actions">
                            {live.then(|| view! {
                                <ActionForm action=revoke attr:class="inline-form">
                                    <input type="hidden" name="id" value=t.id.to_string() />
                                    <button class="button button--small" type="submit" aria-label=label>"Revoke"</button>
                                </ActionForm>
                            })}
                        </td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}
