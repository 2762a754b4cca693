//! How the worker reaches receivers: an HTTP client that refuses private addresses
//! (at connect time, so DNS rebinding reaches nothing) unless the operator allows them.

use super::SEND_TIMEOUT;
use crate::error::AppError;

/// How the worker sends: its HTTP client, and whether receivers on private addresses are
/// allowed (`--allow-private-webhooks`).
#[derive(Clone)]
pub struct Sender {
    pub(super) client: reqwest::Client,
    pub(super) allow_private: bool,
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
    })
}

/// Refuses a URL whose host is a private IP literal (names are checked by the resolver).
pub(super) fn refused_address(sender: &Sender, url: &str) -> Option<String> {
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
pub(super) async fn answer_text(mut response: reqwest::Response) -> String {
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
