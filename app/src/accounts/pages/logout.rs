use leptos::prelude::*;
use leptos_meta::Title;

use crate::accounts::server_fns::SignOut;

/// Signing out is a POST (a link could be triggered by another site); this page offers
/// the button for `/logout`.
#[component]
pub fn LogoutPage() -> impl IntoView {
    let action = ServerAction::<SignOut>::new();
    view! {
        <Title text="Sign out" />
        <section class="auth-card card">
            <h1>"Sign out"</h1>
            <p class="muted">"You will need to sign in again afterwards."</p>
            <ActionForm action=action attr:class="form">
                <button class="button button--primary button--block" type="submit">"Sign out"</button>
            </ActionForm>
        </section>
    }
}
