//! The public pages for subscribing: the form, and the page a subscription's link
//! opens, where a button (a POST) confirms or ends it. Opening a link never changes
//! anything: mail scanners open links too.

use leptos::prelude::*;

use super::entities::subscriber;
use super::public::{Header, document};
use super::subscribers::SubscriberKind;
use crate::error::FieldError;

/// What the subscribe form shows: the values sent back with their errors, or the
/// request just accepted.
#[derive(Debug, Clone, Default)]
pub struct SubscribeForm {
    pub kind: String,
    pub address: String,
    pub errors: Vec<FieldError>,
    /// Accepted: the confirmation is on its way.
    pub sent: Option<SubscriberKind>,
}

impl SubscribeForm {
    fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }
}

/// The subscribe page; `mail` says whether email is offered (the server has SMTP).
pub fn subscribe_page(header: &Header, form: &SubscribeForm, mail: bool) -> String {
    let kind = match SubscriberKind::parse(&form.kind) {
        Some(SubscriberKind::Email) if mail => SubscriberKind::Email,
        Some(kind) if kind == SubscriberKind::Webhook || !mail => SubscriberKind::Webhook,
        _ if mail => SubscriberKind::Email,
        _ => SubscriberKind::Webhook,
    };
    let address_error = form.error("address");
    let kind_error = form.error("kind");
    let sent = form.sent.map(|sent| match sent {
        SubscriberKind::Email => "Check your inbox: we sent a link to confirm the subscription. Nothing else is sent until you confirm.",
        SubscriberKind::Webhook => "We posted a confirmation to the webhook: it holds the link to confirm the subscription and the key that signs every update. Nothing else is posted until it is confirmed.",
    });
    let body = view! {
        <p><a href="/status">"← Current status"</a></p>
        <h1>"Subscribe to updates"</h1>
        {sent.map(|text| view! { <p class="notice" role="status">{text}</p> })}
        <form class="panel" method="post" action="/status/subscribe" novalidate>
            <fieldset class="choices">
                <legend>"Send updates by"</legend>
                {mail.then(|| view! {
                    <label><input type="radio" name="kind" value="email" checked=kind == SubscriberKind::Email />"Email"</label>
                })}
                <label><input type="radio" name="kind" value="webhook" checked=kind == SubscriberKind::Webhook />"Webhook"</label>
                {kind_error.map(|e| view! { <p class="field error" id="kind-error">{e}</p> })}
            </fieldset>
            <div class="field">
                <label for="address">{if mail { "Email address or webhook URL" } else { "Webhook URL" }}</label>
                <input
                    id="address"
                    name="address"
                    type="text"
                    autocomplete="email"
                    maxlength="2000"
                    required
                    value=form.address.clone()
                    aria-invalid=address_error.is_some().then_some("true")
                    aria-describedby=if address_error.is_some() { "address-error address-hint" } else { "address-hint" }
                />
                <p class="hint" id="address-hint">
                    {if mail {
                        "You get a message with a link to confirm; each update carries a link to unsubscribe."
                    } else {
                        "Vigil posts a confirmation to the URL first; updates are signed JSON in the shape of Statuspage's webhooks."
                    }}
                </p>
                {address_error.map(|e| view! { <p class="error" id="address-error">{e}</p> })}
            </div>
            <button class="button" type="submit">"Subscribe"</button>
        </form>
        <p class="muted">
            "Prefer a feed reader? "
            <a href="/status/feed.atom" type="application/atom+xml">"Atom"</a>" · "
            <a href="/status/feed.rss" type="application/rss+xml">"RSS"</a>
        </p>
    }
    .into_any();
    document(&format!("Subscribe · {}", header.name), header, body)
}

/// What was just done on a subscription's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Confirmed,
    Unsubscribed,
}

impl Done {
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "confirmed" => Some(Self::Confirmed),
            "unsubscribed" => Some(Self::Unsubscribed),
            _ => None,
        }
    }
}

/// The page a subscription's link opens: confirm it, or end it.
pub fn subscription_page(
    header: &Header,
    found: Option<&subscriber::Model>,
    done: Option<Done>,
) -> String {
    let body = match found {
        None => view! {
            <h1>{if done == Some(Done::Unsubscribed) { "You are unsubscribed" } else { "No such subscription" }}</h1>
            <p>
                {if done == Some(Done::Unsubscribed) {
                    "Nothing more will be sent to you."
                } else {
                    "This subscription has ended, or its link expired before it was confirmed."
                }}
            </p>
            <p><a href="/status/subscribe">"Subscribe again"</a>" · "<a href="/status">"Current status"</a></p>
        }
        .into_any(),
        Some(s) => {
            let to = match s.kind {
                SubscriberKind::Email => "at",
                SubscriberKind::Webhook => "posted to",
            };
            let action = format!("/status/subscriptions/{}", s.token);
            if s.confirmed_at.is_none() {
                view! {
                    <h1>"Confirm your subscription"</h1>
                    <div class="panel">
                        <p>{format!("Updates about {} will be {to} ", header.name)}<strong>{s.address.clone()}</strong>"."</p>
                        <form method="post" action=format!("{action}/confirm")>
                            <button class="button" type="submit">"Confirm subscription"</button>
                        </form>
                    </div>
                    <p class="muted">"Did not ask for this? Leave this page: nothing is sent until the subscription is confirmed."</p>
                }
                .into_any()
            } else {
                view! {
                    {(done == Some(Done::Confirmed)).then(|| view! {
                        <p class="notice" role="status">"Subscription confirmed."</p>
                    })}
                    <h1>"Your subscription"</h1>
                    <div class="panel">
                        <p>{format!("Updates about {} are {to} ", header.name)}<strong>{s.address.clone()}</strong>"."</p>
                        <form method="post" action=format!("{action}/unsubscribe")>
                            <button class="button button--quiet" type="submit">"Unsubscribe"</button>
                        </form>
                    </div>
                    <p><a href="/status">"Current status"</a></p>
                }
                .into_any()
            }
        }
    };
    document(&format!("Subscription · {}", header.name), header, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            name: "Acme".into(),
            logo_url: None,
            links: Vec::new(),
        }
    }

    #[test]
    fn the_form_keeps_what_was_typed_escaped_and_names_the_error_next_to_the_field() {
        let form = SubscribeForm {
            kind: "email".into(),
            address: "\"><script>alert(1)</script>".into(),
            errors: vec![FieldError::new("address", "This is not an email address.")],
            sent: None,
        };
        let html = subscribe_page(&header(), &form, true);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("aria-invalid=\"true\""), "{html}");
        assert!(
            html.contains("class=\"error\">This is not an email address."),
            "{html}"
        );
    }

    #[test]
    fn without_mail_only_webhooks_are_offered() {
        let html = subscribe_page(&header(), &SubscribeForm::default(), false);
        assert!(!html.contains("value=\"email\""), "{html}");
        assert!(html.contains("value=\"webhook\""), "{html}");
    }

    #[test]
    fn a_waiting_subscription_shows_a_button_not_a_link_that_confirms() {
        let at = chrono::Utc::now();
        let s = subscriber::Model {
            id: 1,
            kind: SubscriberKind::Email,
            address: "ops@example.com".into(),
            token: "t".repeat(64),
            secret: None,
            created_at: at,
            confirmed_at: None,
        };
        let html = subscription_page(&header(), Some(&s), None);
        assert!(
            html.contains(&format!(
                "action=\"/status/subscriptions/{}/confirm\"",
                s.token
            )),
            "{html}"
        );
        assert!(html.contains("method=\"post\""), "{html}");
        let confirmed = subscriber::Model {
            confirmed_at: Some(at),
            ..s
        };
        let html = subscription_page(&header(), Some(&confirmed), Some(Done::Confirmed));
        assert!(html.contains("/unsubscribe\""), "{html}");
        assert!(html.contains("Subscription confirmed."), "{html}");
    }
}
