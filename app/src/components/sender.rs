//! What the pages for senders and their secrets share (alert sources, change sources,
//! notification channels, API tokens): the secret shown once, a card's header.

use leptos::prelude::*;

/// A secret just issued: shown once, with where to keep it and, for a sender, how to
/// point it at Vigil.
#[component]
pub fn SecretNotice(
    /// What it is, before the owner's name: "Token for", "Signing secret for".
    what: &'static str,
    /// The source's, channel's or token's name.
    owner: String,
    /// Where to keep it (after "shown once; ").
    keep: &'static str,
    value: String,
    /// How to set up the sender with it.
    #[prop(optional)]
    setup: Option<String>,
    /// The notice's `data-testid`; the value's is this with `-value`.
    testid: &'static str,
) -> impl IntoView {
    view! {
        <div class="alert alert--success stack" role="status" data-testid=testid>
            <p>{format!("{what} ")}<strong>{owner}</strong>{format!(" (shown once; {keep}):")}</p>
            <p><code data-testid=format!("{testid}-value")>{value}</code></p>
            {setup.map(|setup| view! { <pre class="code-block">{setup}</pre> })}
        </div>
    }
}

/// A sender's card header: its name, and whether it works or is paused.
#[component]
pub fn SenderHeader(
    name: String,
    paused: bool,
    /// The badge while not paused: "Receiving", "Sending".
    working: &'static str,
) -> impl IntoView {
    let (class, badge) = if paused {
        ("status status--off", "Paused")
    } else {
        ("status status--ok", working)
    };
    view! {
        <div class="card__header">
            <h2>{name}</h2>
            <span class=class>{badge}</span>
        </div>
    }
}
