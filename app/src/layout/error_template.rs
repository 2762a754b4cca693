use leptos::prelude::*;

use crate::error::AppError;

/// The one way errors are shown inside a page (used as an `ErrorBoundary` fallback).
#[component]
pub fn ErrorTemplate(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, err)| match err.downcast_ref::<AppError>() {
                Some(app) => app.to_string(),
                None => AppError::Internal.to_string(),
            })
            .collect::<Vec<_>>()
    };

    view! {
        <div class="alert alert--error" role="alert">
            <ul class="alert__list">
                {move || messages().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
            </ul>
        </div>
    }
}
