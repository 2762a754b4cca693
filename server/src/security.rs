//! Request hygiene applied to every route: cross-site request refusal and security
//! headers.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Refuses state-changing requests that a browser says come from another site. Requests
/// without `Sec-Fetch-Site` or `Origin` (API clients, curl) carry no ambient cookies worth
/// forging and pass; session cookies are `SameSite=Lax` besides.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    if is_cross_site(request.method(), request.headers()) {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
        let body = json!({ "error": { "code": "cross_site_request", "message": "Cross-site requests are not allowed." } });
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    next.run(request).await
}

pub fn is_cross_site(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin_host(origin) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

fn origin_host(origin: &str) -> Option<&str> {
    origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
}

/// Headers every response carries. Pages set their own nonce-based CSP; anything else
/// (JSON, files) gets one that allows nothing to run or frame it.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    response
}

/// `Strict-Transport-Security` for an https deployment.
pub async fn strict_transport(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn only_unsafe_cross_site_requests_are_refused() {
        let post = Method::POST;
        let cases = [
            (Method::GET, vec![("sec-fetch-site", "cross-site")], false),
            (post.clone(), vec![("sec-fetch-site", "same-origin")], false),
            (post.clone(), vec![("sec-fetch-site", "none")], false),
            (post.clone(), vec![("sec-fetch-site", "cross-site")], true),
            (post.clone(), vec![("sec-fetch-site", "same-site")], true),
            (
                post.clone(),
                vec![
                    ("origin", "http://vigil.example"),
                    ("host", "vigil.example"),
                ],
                false,
            ),
            (
                post.clone(),
                vec![
                    ("origin", "https://evil.example"),
                    ("host", "vigil.example"),
                ],
                true,
            ),
            (
                post.clone(),
                vec![("origin", "null"), ("host", "vigil.example")],
                true,
            ),
            (post.clone(), vec![], false),
        ];
        for (method, pairs, refused) in cases {
            assert_eq!(
                is_cross_site(&method, &headers(&pairs)),
                refused,
                "{method} {pairs:?}"
            );
        }
    }
}
