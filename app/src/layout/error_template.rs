use leptos::prelude::*;
use leptos_meta::Title;

use crate::error::AppError;

/// The page title for an error in place of the page: a page that fails still names
/// itself (tabs, history, screen readers).
fn title_of(error: Option<&AppError>) -> &'static str {
    match error {
        Some(AppError::NotFound(_)) => "Not found",
        Some(AppError::Unauthorized) => "Sign in",
        Some(AppError::Forbidden) => "Not allowed",
        Some(AppError::Invalid(_)) => "Check the request",
        Some(AppError::TooManyRequests(_) | AppError::Busy(_)) => "Try again shortly",
        _ => "Something went wrong",
    }
}

/// The one way errors are shown inside a page (used as an `ErrorBoundary` fallback).
#[component]
pub fn ErrorTemplate(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let all = errors.clone();
    let title = move || {
        let errors = all.get();
        let first = errors.into_iter().next();
        title_of(
            first
                .as_ref()
                .and_then(|(_, e)| e.downcast_ref::<AppError>()),
        )
        .to_owned()
    };

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
        <Title text=title />
        <div class="alert alert--error" role="alert">
            <ul class="alert__list">
                {move || messages().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
            </ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::title_of;
    use crate::error::AppError;

    #[test]
    fn an_error_page_is_titled_by_its_kind() {
        assert_eq!(title_of(Some(&AppError::NotFound("x".into()))), "Not found");
        assert_eq!(title_of(Some(&AppError::Forbidden)), "Not allowed");
        assert_eq!(title_of(Some(&AppError::Internal)), "Something went wrong");
        assert_eq!(title_of(None), "Something went wrong");
    }
}
