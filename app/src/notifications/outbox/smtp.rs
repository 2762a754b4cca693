//! Mail over SMTP (lettre), for notification channels and the status page's
//! subscribers: one relay, one sender address, plain text with an HTML alternative.

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message as Email, Tokio1Executor};

use super::Outcome;
use crate::text::escape_markup as escape;

/// An SMTP relay gets this long per message.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends mail through one SMTP relay (`smtp://`, `smtp://..?tls=required` for STARTTLS,
/// `smtps://`; credentials in the URL), from one sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// A mailer for the relay at `smtp_url`, sending as `from` (`Status <status@example.com>`).
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|err| format!("the sender address {from:?} is not valid: {err}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|err| format!("the SMTP URL is not valid: {err}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }

    /// Sends `mail` to every address in `to` (one message); the flag says a failure is
    /// final (the relay refused the message or an address for good), so it is not retried.
    pub async fn send(&self, to: &[&str], mail: &Mail) -> (Outcome, bool) {
        let email = match self.build(to, mail) {
            Ok(email) => email,
            Err(err) => return (Outcome::failed(err), true),
        };
        match self.transport.send(email).await {
            Ok(_) => (
                Outcome {
                    status_code: None,
                    error: None,
                },
                false,
            ),
            Err(err) => (Outcome::failed(format!("SMTP: {err}")), err.is_permanent()),
        }
    }

    fn build(&self, to: &[&str], mail: &Mail) -> Result<Email, String> {
        let mut to_all = Vec::with_capacity(to.len());
        for address in to {
            let address: Address = address
                .parse()
                .map_err(|err| format!("the address {address:?} is not valid: {err}"))?;
            to_all.push(Mailbox::new(None, address));
        }
        if to_all.is_empty() {
            return Err("there is no address to send to".to_owned());
        }
        let id = format!(
            "<{}@{}>",
            uuid::Uuid::new_v4().simple(),
            self.from.email.domain()
        );
        let mut builder = Email::builder()
            .from(self.from.clone())
            .subject(&mail.subject)
            .message_id(Some(id))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        for mailbox in to_all {
            builder = builder.to(mailbox);
        }
        if let Some(url) = &mail.one_click {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|err| format!("the message could not be built: {err}"))
    }
}

/// One message as written, before it is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Where mail clients post a one-click unsubscribe (RFC 8058), if anywhere.
    pub one_click: Option<String>,
}

/// A small HTML document that reads in any mail client: inline styles, one column.
pub fn page(title: &str, content: &str, footer: Option<&str>) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,-apple-system,Segoe UI,sans-serif;line-height:1.5;color:#1a1a1a;max-width:600px;margin:0 auto;padding:16px\">\
         {content}{}</body></html>",
        escape(title),
        footer
            .map(|f| format!("<hr style=\"border:0;border-top:1px solid #ddd;margin:24px 0 8px\"><p style=\"font-size:13px;color:#555\">{f}</p>"))
            .unwrap_or_default()
    )
}
