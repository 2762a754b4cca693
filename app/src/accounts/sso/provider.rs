//! An OpenID provider's endpoints (discovery) and signing keys, read when first needed
//! and then kept, so Vigil starts, and passwords work, while a provider is down; and the
//! calls a sign-in makes to it: the code exchange and, when the ID token lacks the
//! email or groups, the userinfo endpoint.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::jwt::{self, Jwk, Refusal};
use super::{PasswordSignIn, ProviderButton, ProviderConfig, SignInOptions, SsoConfig};

/// How long discovered endpoints are kept before they are read again.
const METADATA_FRESH: Duration = Duration::from_secs(3600);
/// The most of a provider's answer that is read.
const MAX_ANSWER_BYTES: usize = 512 * 1024;

/// The provider's discovery document (OpenID Connect Discovery 1.0), the parts used.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// What the token endpoint answered.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub id_token: String,
    #[serde(default)]
    pub access_token: Option<String>,
}

/// Every configured provider, the password rule, and the HTTP client that reaches them.
pub struct Sso {
    pub providers: Vec<Provider>,
    pub passwords: PasswordSignIn,
    client: reqwest::Client,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso")
            .field("providers", &self.providers.len())
            .finish()
    }
}

impl Sso {
    pub fn new(config: SsoConfig, public_url: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .unwrap_or_default();
        Self {
            providers: config
                .providers
                .into_iter()
                .map(|config| Provider::new(config, public_url))
                .collect(),
            passwords: config.passwords,
            client,
        }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.config.id == id)
    }

    pub fn options(&self) -> SignInOptions {
        SignInOptions {
            providers: self
                .providers
                .iter()
                .map(|p| ProviderButton {
                    id: p.config.id.clone(),
                    name: p.config.name.clone(),
                })
                .collect(),
            passwords: self.passwords == PasswordSignIn::Everyone,
        }
    }

    /// The settings as the admins' users page shows them.
    pub fn settings(&self) -> Vec<super::ProviderSettings> {
        self.providers
            .iter()
            .map(|p| super::ProviderSettings {
                id: p.config.id.clone(),
                name: p.config.name.clone(),
                issuer: p.config.issuer.clone(),
                redirect_uri: p.redirect_uri.clone(),
                groups_claim: p.config.groups_claim.clone(),
                roles: p.config.roles.clone(),
                default_role: p.config.default_role,
                create_users: p.config.create_users,
                trust_email: p.config.trust_email,
            })
            .collect()
    }

    pub fn configs(&self) -> Vec<ProviderConfig> {
        self.providers.iter().map(|p| p.config.clone()).collect()
    }

    /// The origins a sign-out form may be redirected to (the pages' `form-action`): each
    /// provider's issuer and, once discovered, its end-session endpoint.
    pub fn form_targets(&self) -> Vec<String> {
        let mut origins = Vec::new();
        for provider in &self.providers {
            let logout = provider
                .cached()
                .and_then(|m| m.end_session_endpoint.clone());
            for url in std::iter::once(provider.config.issuer.clone()).chain(logout) {
                if let Ok(url) = url::Url::parse(&url) {
                    let origin = url.origin().ascii_serialization();
                    if !origins.contains(&origin) {
                        origins.push(origin);
                    }
                }
            }
        }
        origins
    }
}

/// One provider: its settings and what was read from it.
pub struct Provider {
    pub config: ProviderConfig,
    /// `{public_url}/auth/oidc/{id}/callback`: register it at the provider.
    pub redirect_uri: String,
    metadata: Mutex<Option<(Arc<Metadata>, Instant)>>,
    keys: Mutex<Arc<Vec<Jwk>>>,
}

/// A fresh random value for `state`, `nonce` or a PKCE verifier: 32 bytes, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE `S256` challenge of a verifier (RFC 7636 4.2).
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn read_json(response: reqwest::Response) -> Result<Value, String> {
    let status = response.status();
    let mut response = response;
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_ANSWER_BYTES {
            return Err("the answer is too large".into());
        }
    }
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|_| format!("HTTP {status}: the answer is not JSON"))?;
    if !status.is_success() {
        let error = body.get("error").and_then(Value::as_str).unwrap_or("");
        return Err(format!("HTTP {status} {error}").trim().to_owned());
    }
    Ok(body)
}

impl Provider {
    pub fn new(config: ProviderConfig, public_url: &str) -> Self {
        Self {
            redirect_uri: format!(
                "{}/auth/oidc/{}/callback",
                public_url.trim_end_matches('/'),
                config.id
            ),
            config,
            metadata: Mutex::new(None),
            keys: Mutex::new(Arc::new(Vec::new())),
        }
    }

    fn cached(&self) -> Option<Arc<Metadata>> {
        self.metadata
            .lock()
            .ok()?
            .as_ref()
            .map(|(meta, _)| meta.clone())
    }

    /// The provider's endpoints, read again after an hour (or when never read).
    pub async fn metadata(&self, client: &reqwest::Client) -> Result<Arc<Metadata>, String> {
        if let Ok(guard) = self.metadata.lock()
            && let Some((meta, at)) = guard.as_ref()
            && at.elapsed() < METADATA_FRESH
        {
            return Ok(meta.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let body = read_json(client.get(&url).send().await.map_err(|e| e.to_string())?).await?;
        let meta: Metadata =
            serde_json::from_value(body).map_err(|e| format!("discovery document: {e}"))?;
        // The issuer must be exactly the one configured (Discovery 4.3): a document that
        // names another would let that issuer's tokens in.
        if meta.issuer != self.config.issuer {
            return Err(format!(
                "the discovery document names the issuer {:?}, not {:?}",
                meta.issuer, self.config.issuer
            ));
        }
        let meta = Arc::new(meta);
        if let Ok(mut guard) = self.metadata.lock() {
            *guard = Some((meta.clone(), Instant::now()));
        }
        Ok(meta)
    }

    /// The provider's signing keys: those kept, or read again (`reload`, after a token
    /// named a key not among them: the provider rotated its keys).
    async fn keys(
        &self,
        client: &reqwest::Client,
        meta: &Metadata,
        reload: bool,
    ) -> Result<Arc<Vec<Jwk>>, String> {
        let kept = self.keys.lock().map(|k| k.clone()).unwrap_or_default();
        if !reload && !kept.is_empty() {
            return Ok(kept);
        }
        let body = read_json(
            client
                .get(&meta.jwks_uri)
                .send()
                .await
                .map_err(|e| e.to_string())?,
        )
        .await?;
        let keys = Arc::new(jwt::parse_key_set(&body));
        if let Ok(mut guard) = self.keys.lock() {
            *guard = keys.clone();
        }
        Ok(keys)
    }

    /// Where the browser goes to sign in.
    pub fn authorize_url(
        &self,
        meta: &Metadata,
        state: &str,
        nonce: &str,
        verifier: &str,
    ) -> String {
        let mut url = match url::Url::parse(&meta.authorization_endpoint) {
            Ok(url) => url,
            Err(_) => return meta.authorization_endpoint.clone(),
        };
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &self.config.scopes.join(" "))
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &challenge(verifier))
            .append_pair("code_challenge_method", "S256");
        url.into()
    }

    /// Trades the code for tokens, authenticating as the client the way the provider
    /// supports (HTTP Basic unless it offers only the form).
    pub async fn exchange(
        &self,
        client: &reqwest::Client,
        meta: &Metadata,
        code: &str,
        verifier: &str,
    ) -> Result<Tokens, String> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", verifier),
        ];
        let mut request = client.post(&meta.token_endpoint);
        match &self.config.client_secret {
            Some(secret) => {
                let methods = meta.token_endpoint_auth_methods_supported.as_deref();
                let basic = methods
                    .is_none_or(|m| m.iter().any(|m| m == "client_secret_basic") || m.is_empty());
                if basic {
                    // RFC 6749 2.3.1: both parts form-encoded before Basic encoding.
                    let encode = |v: &str| {
                        url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                    };
                    request =
                        request.basic_auth(encode(&self.config.client_id), Some(encode(secret)));
                } else {
                    form.push(("client_id", &self.config.client_id));
                    form.push(("client_secret", secret));
                }
            }
            None => form.push(("client_id", &self.config.client_id)),
        }
        let body = read_json(
            request
                .header("accept", "application/json")
                .form(&form)
                .send()
                .await
                .map_err(|e| e.to_string())?,
        )
        .await?;
        serde_json::from_value(body).map_err(|_| "the token answer holds no ID token".into())
    }

    /// Verifies an ID token, reading the keys again once if it names one not kept.
    pub async fn verify(
        &self,
        client: &reqwest::Client,
        meta: &Metadata,
        id_token: &str,
        nonce: &str,
        now: i64,
    ) -> Result<Map<String, Value>, VerifyError> {
        let expect = jwt::Expect {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
            nonce,
            now,
        };
        let keys = self
            .keys(client, meta, false)
            .await
            .map_err(VerifyError::Keys)?;
        match jwt::verify(id_token, &keys, expect) {
            Err(Refusal::UnknownKey) => {
                let keys = self
                    .keys(client, meta, true)
                    .await
                    .map_err(VerifyError::Keys)?;
                jwt::verify(id_token, &keys, expect).map_err(VerifyError::Token)
            }
            other => other.map_err(VerifyError::Token),
        }
    }

    /// The claims of the userinfo endpoint, which must be about the same subject.
    pub async fn userinfo(
        &self,
        client: &reqwest::Client,
        meta: &Metadata,
        access_token: &str,
        subject: &str,
    ) -> Result<Map<String, Value>, String> {
        let Some(endpoint) = &meta.userinfo_endpoint else {
            return Ok(Map::new());
        };
        let body = read_json(
            client
                .get(endpoint)
                .bearer_auth(access_token)
                .header("accept", "application/json")
                .send()
                .await
                .map_err(|e| e.to_string())?,
        )
        .await?;
        let Value::Object(claims) = body else {
            return Err("the userinfo answer is not an object".into());
        };
        if claims.get("sub").and_then(Value::as_str) != Some(subject) {
            return Err("the userinfo answer is about another subject".into());
        }
        Ok(claims)
    }

    /// Where to send the browser to end its session at the provider too (RP-initiated
    /// logout), when the provider offers it; back to Vigil's sign-in page afterwards.
    pub fn logout_url(&self, meta: &Metadata, id_token: &str, public_url: &str) -> Option<String> {
        let mut url = url::Url::parse(meta.end_session_endpoint.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &self.config.client_id)
            .append_pair(
                "post_logout_redirect_uri",
                &format!("{}/login", public_url.trim_end_matches('/')),
            );
        Some(url.into())
    }
}

/// Why an ID token could not be verified.
#[derive(Debug)]
pub enum VerifyError {
    /// The provider's keys could not be read.
    Keys(String),
    Token(Refusal),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn the_authorization_request_carries_pkce_state_and_nonce() {
        let provider = Provider::new(
            ProviderConfig::new("corp", "Corp", "https://idp.example.com", "vigil app"),
            "https://vigil.example.com/",
        );
        assert_eq!(
            provider.redirect_uri,
            "https://vigil.example.com/auth/oidc/corp/callback"
        );
        let meta = Metadata {
            issuer: "https://idp.example.com".into(),
            authorization_endpoint: "https://idp.example.com/auth?tenant=1".into(),
            token_endpoint: String::new(),
            jwks_uri: String::new(),
            userinfo_endpoint: None,
            end_session_endpoint: Some("https://idp.example.com/logout".into()),
            token_endpoint_auth_methods_supported: None,
        };
        let url = url::Url::parse(&provider.authorize_url(&meta, "s1", "n1", "v1")).unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["tenant"], "1");
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["client_id"], "vigil app");
        assert_eq!(pairs["scope"], "openid email profile");
        assert_eq!(pairs["state"], "s1");
        assert_eq!(pairs["nonce"], "n1");
        assert_eq!(pairs["code_challenge"], challenge("v1"));
        assert_eq!(pairs["code_challenge_method"], "S256");
        let logout = provider
            .logout_url(&meta, "tok", "https://vigil.example.com")
            .unwrap();
        assert!(logout.starts_with("https://idp.example.com/logout?id_token_hint=tok&"));
        assert!(
            logout.contains("post_logout_redirect_uri=https%3A%2F%2Fvigil.example.com%2Flogin")
        );
    }
}
