//! How the worker reaches receivers: an HTTP client that refuses private addresses
//! (at connect time, so DNS rebinding reaches nothing) unless the operator allows them.

use super::SEND_TIMEOUT;
use crate::error::AppError;

/// How the worker sends: its HTTP client, whether receivers on private addresses are
/// allowed (`--allow-private-webhooks`), and the SMTP relay if the server has one.
#[derive(Clone)]
pub struct Sender {
    pub(super) client: reqwest::Client,
    pub(super) allow_private: bool,
    pub(super) mail: Option<super::Mailer>,
}

impl Sender {
    /// The same sender, mailing e-mail channels through `mail` (`--smtp-url`).
    pub fn with_mail(self, mail: Option<super::Mailer>) -> Self {
        Self { mail, ..self }
    }
}

/// At most this much of a receiver's answer is read (for the delivery log).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// True for addresses a webhook must not reach unless the operator allows it: loopback,
/// private, link-local (cloud metadata at 169.254.169.254), unique-local, unspecified,
/// broadcast, documentation and shared (CGNAT) ranges, and IPv4 inside IPv6.
pub fn is_private(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 224
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Resolves receivers' names and drops private addresses, at connect time: a name that
/// answered with a public address when the channel was saved and a private one now (DNS
/// rebinding) still reaches nothing.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| !is_private(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(
                    "the receiver's address is private (see --allow-private-webhooks)".into(),
                );
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client the worker sends with: short timeout, no redirects (a receiver that
/// moved must be reconfigured, not followed blindly), and unless `allow_private`, only
/// public addresses.
pub fn client(allow_private: bool) -> Result<Sender, AppError> {
    let mut builder = reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Vigil/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(std::sync::Arc::new(PublicOnly));
    }
    Ok(Sender {
        client: builder.build().map_err(AppError::internal)?,
        allow_private,
        mail: None,
    })
}

/// Refuses a URL whose host is a private IP literal (names are checked by the resolver).
fn refused_address(sender: &Sender, url: &str) -> Option<String> {
    if sender.allow_private {
        return None;
    }
    let host = url::Url::parse(url).ok()?.host()?.to_owned();
    let ip = match host {
        url::Host::Ipv4(ip) => std::net::IpAddr::V4(ip),
        url::Host::Ipv6(ip) => std::net::IpAddr::V6(ip),
        url::Host::Domain(_) => return None,
    };
    is_private(ip).then(|| {
        format!("{ip} is a private address; Vigil sends only to public ones unless started with --allow-private-webhooks")
    })
}

/// A receiver's answer, read up to [`MAX_ANSWER_BYTES`].
async fn answer_text(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= MAX_ANSWER_BYTES {
            bytes.truncate(MAX_ANSWER_BYTES);
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// What an attempt came to: the HTTP status if the receiver answered, and the error if
/// it was not a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status_code: Option<u16>,
    pub error: Option<String>,
}

impl Outcome {
    /// Failed before anything was sent.
    pub fn failed(error: impl Into<String>) -> Self {
        Self {
            status_code: None,
            error: Some(error.into()),
        }
    }
}

/// Posts `body` (JSON) to `url` with `headers`: a 2xx answer is a success; anything else
/// is an error worded for the delivery log (the receiver's answer, shortened).
pub async fn post_json(
    sender: &Sender,
    url: &str,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
) -> Outcome {
    if let Some(refusal) = refused_address(sender, url) {
        return Outcome::failed(refusal);
    }
    let mut request = sender
        .client
        .post(url)
        .header(http::header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    match request.body(body).send().await {
        Ok(response) if response.status().is_success() => Outcome {
            status_code: Some(response.status().as_u16()),
            error: None,
        },
        Ok(response) => {
            let status = response.status();
            let text = answer_text(response).await;
            let text: String = text.chars().take(200).collect();
            Outcome {
                status_code: Some(status.as_u16()),
                error: Some(
                    format!("HTTP {status}: {}", text.trim())
                        .trim_end_matches(": ")
                        .to_owned(),
                ),
            }
        }
        Err(err) => Outcome::failed(if err.is_timeout() {
            format!("no answer within {} s", SEND_TIMEOUT.as_secs())
        } else if err.is_connect() {
            if !sender.allow_private && format!("{err:?}").contains("private") {
                "the receiver's address is private; Vigil sends only to public ones unless started with --allow-private-webhooks".to_owned()
            } else {
                "could not connect".to_owned()
            }
        } else {
            "the request failed".to_owned()
        }),
    }
}
