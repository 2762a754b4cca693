//! Request hygiene applied to every route: cross-site request refusal, form errors only
//! from the browser's own posts, and security headers.

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

/// Names the one form error (`__err` in a page's query, as Leptos sends it back to a
/// form posted without JavaScript) that this browser may be shown: a digest of it, set
/// when the server function answered with it.
#[derive(Debug, Clone, Copy)]
pub struct FormErrorCookie {
    pub secure: bool,
}

impl FormErrorCookie {
    fn name(self) -> &'static str {
        if self.secure {
            "__Host-vigil_form_error"
        } else {
            "vigil_form_error"
        }
    }
}

/// A crafted link (`?__path=..&__err=<base64>`) would make a form show text of the
/// attacker's choosing. A page shows a form error only when it came from this browser's
/// own post: other links lose `__err` and `__path` by a redirect, so the server and the
/// hydrated client both see the plain page.
pub async fn own_form_errors(
    axum::extract::State(cookie): axum::extract::State<FormErrorCookie>,
    request: Request,
    next: Next,
) -> Response {
    let is_server_fn = request.uri().path().starts_with("/rpc/");
    if request.method() == Method::GET && !is_server_fn {
        let query = request.uri().query().unwrap_or("");
        if let Some(error) = form_error(query) {
            let vouched = error.as_deref().is_some_and(|err| {
                cookie_value(request.headers(), cookie.name()) == Some(digest(err))
            });
            if !vouched {
                return axum::response::Redirect::to(&without_form_error(
                    request.uri().path(),
                    query,
                ))
                .into_response();
            }
        }
        return next.run(request).await;
    }
    let mut response = next.run(request).await;
    if is_server_fn
        && let Some(location) = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        && let Some(Some(error)) = url::Url::options()
            .base_url(Some(
                &url::Url::parse("http://vigil.invalid/").expect("static URL"),
            ))
            .parse(location)
            .ok()
            .and_then(|url| url.query().map(form_error))
            .flatten()
    {
        let secure = if cookie.secure { "; Secure" } else { "" };
        let value = format!(
            "{}={}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax{secure}",
            cookie.name(),
            digest(&error)
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `None` when the query carries no form error; `Some(None)` when it carries `__path`
/// without `__err`; else the error as sent.
fn form_error(query: &str) -> Option<Option<String>> {
    let mut found = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "__err" => found = Some(Some(value.into_owned())),
            "__path" => found = found.or(Some(None)),
            _ => {}
        }
    }
    found
}

fn without_form_error(path: &str, query: &str) -> String {
    let mut kept = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key != "__err" && key != "__path" {
            kept.append_pair(&key, &value);
        }
    }
    let kept = kept.finish();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{kept}")
    }
}

fn digest(error: &str) -> String {
    app::secrets::hash(error)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
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
    // A page may ask for less (a subscription's page: its address holds its token).
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
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
    fn form_errors_are_found_however_they_are_spelt_and_removed_alone() {
        assert_eq!(form_error("a=1"), None);
        assert_eq!(form_error("__path=/rpc/x"), Some(None));
        assert_eq!(
            form_error("q=x&%5F%5Ferr=abc&__path=p"),
            Some(Some("abc".into()))
        );
        assert_eq!(
            without_form_error(
                "/login",
                "__path=%2Frpc%2Fsign_in&next=%2Fincidents&__err=e30%3D"
            ),
            "/login?next=%2Fincidents"
        );
        assert_eq!(without_form_error("/login", "__err=x"), "/login");
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
