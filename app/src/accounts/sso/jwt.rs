//! ID tokens (compact JWS) from an OpenID provider: the signature checked against the
//! provider's published keys, the claims against what this sign-in expects (OpenID
//! Connect Core 3.1.3.7). Only asymmetric algorithms: `none`, and the HMAC ones keyed
//! with the client secret, are refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;
use serde_json::{Map, Value};

/// How far clocks may disagree, in seconds.
pub const LEEWAY: i64 = 60;

/// Why an ID token was refused: logged and audited; the browser learns only that it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the ID token is not a signed JWT")]
    Malformed,
    #[error("the ID token's algorithm {0:?} is not accepted")]
    Algorithm(String),
    #[error("no key the provider publishes matches the ID token")]
    UnknownKey,
    #[error("the ID token's signature does not verify")]
    Signature,
    #[error("the ID token was issued by {0:?}, not the configured issuer")]
    Issuer(String),
    #[error("the ID token is not meant for this client")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token is not valid yet")]
    NotYetValid,
    #[error("the ID token's nonce is not this sign-in's")]
    Nonce,
    #[error("the ID token names no subject, or one longer than 255 characters")]
    Subject,
}

impl Refusal {
    /// A stable name for the audit log and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Algorithm(_) => "algorithm",
            Self::UnknownKey => "unknown_key",
            Self::Signature => "signature",
            Self::Issuer(_) => "issuer",
            Self::Audience => "audience",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::Nonce => "nonce",
            Self::Subject => "subject",
        }
    }
}

/// The signing algorithms accepted (those ring verifies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    EdDsa,
}

impl Alg {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "PS256" => Self::Ps256,
            "PS384" => Self::Ps384,
            "PS512" => Self::Ps512,
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "EdDSA" => Self::EdDsa,
            _ => return None,
        })
    }

    fn key_type(self) -> &'static str {
        match self {
            Self::Es256 | Self::Es384 => "EC",
            Self::EdDsa => "OKP",
            _ => "RSA",
        }
    }
}

/// One of the provider's public keys (RFC 7517), as its JWKS document lists it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

/// The keys of a JWKS document; a key that does not parse is left out, not fatal (a
/// provider may publish kinds this does not use).
pub fn parse_key_set(document: &Value) -> Vec<Jwk> {
    document
        .get("keys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

fn decode(part: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()
}

impl Jwk {
    fn fits(&self, alg: Alg, kid: Option<&str>) -> bool {
        self.kty == alg.key_type()
            && kid.is_none_or(|kid| self.kid.as_deref() == Some(kid))
            && self.use_.as_deref().is_none_or(|u| u == "sig")
            && self
                .alg
                .as_deref()
                .is_none_or(|a| Alg::parse(a) == Some(alg))
    }

    fn verifies(&self, alg: Alg, message: &[u8], sig: &[u8]) -> bool {
        let field = |v: &Option<String>| v.as_deref().and_then(decode);
        match alg {
            Alg::Es256 | Alg::Es384 => {
                let (curve, size, params) = if alg == Alg::Es256 {
                    ("P-256", 32, &signature::ECDSA_P256_SHA256_FIXED)
                } else {
                    ("P-384", 48, &signature::ECDSA_P384_SHA384_FIXED)
                };
                let (Some(x), Some(y)) = (field(&self.x), field(&self.y)) else {
                    return false;
                };
                if self.crv.as_deref() != Some(curve) || x.len() != size || y.len() != size {
                    return false;
                }
                let point = [&[4u8][..], &x, &y].concat();
                UnparsedPublicKey::new(params, point)
                    .verify(message, sig)
                    .is_ok()
            }
            Alg::EdDsa => {
                let Some(x) = field(&self.x) else {
                    return false;
                };
                self.crv.as_deref() == Some("Ed25519")
                    && UnparsedPublicKey::new(&signature::ED25519, x)
                        .verify(message, sig)
                        .is_ok()
            }
            _ => {
                let (Some(n), Some(e)) = (field(&self.n), field(&self.e)) else {
                    return false;
                };
                let params = match alg {
                    Alg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Alg::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Alg::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Alg::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, message, sig)
                    .is_ok()
            }
        }
    }
}

/// What this sign-in expects of its ID token.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Epoch seconds.
    pub now: i64,
}

/// The key id a token names, to tell whether the provider's keys need reading again.
pub fn key_id(token: &str) -> Option<String> {
    let header = token.split('.').next().and_then(decode)?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    header.get("kid")?.as_str().map(str::to_owned)
}

/// Checks `token`'s signature with `keys` and its claims with `expect`; returns the
/// claims. [`Refusal::UnknownKey`] means no key fits: read the keys again once (they
/// may have rotated) before giving up.
pub fn verify(
    token: &str,
    keys: &[Jwk],
    expect: Expect<'_>,
) -> Result<Map<String, Value>, Refusal> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header_b64, payload_b64, sig_b64] = parts[..] else {
        return Err(Refusal::Malformed);
    };
    let header: Value = decode(header_b64)
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or(Refusal::Malformed)?;
    let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let alg = Alg::parse(alg_name).ok_or_else(|| Refusal::Algorithm(alg_name.to_owned()))?;
    // An extension this does not understand must not be ignored (RFC 7515 4.1.11).
    if header.get("crit").is_some() {
        return Err(Refusal::Malformed);
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let candidates: Vec<&Jwk> = keys.iter().filter(|k| k.fits(alg, kid)).collect();
    if candidates.is_empty() {
        return Err(Refusal::UnknownKey);
    }
    let sig = decode(sig_b64).ok_or(Refusal::Malformed)?;
    let message = format!("{header_b64}.{payload_b64}");
    if !candidates
        .iter()
        .any(|k| k.verifies(alg, message.as_bytes(), &sig))
    {
        return Err(Refusal::Signature);
    }
    let claims: Map<String, Value> = decode(payload_b64)
        .and_then(|p| serde_json::from_slice(&p).ok())
        .ok_or(Refusal::Malformed)?;
    check_claims(&claims, expect)?;
    Ok(claims)
}

fn check_claims(claims: &Map<String, Value>, expect: Expect<'_>) -> Result<(), Refusal> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let number = |name: &str| claims.get(name).and_then(Value::as_f64).map(|n| n as i64);
    let issuer = text("iss").unwrap_or("");
    if issuer != expect.issuer {
        return Err(Refusal::Issuer(issuer.to_owned()));
    }
    let audience_holds = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expect.client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expect.client_id)),
        _ => false,
    };
    if !audience_holds || text("azp").is_some_and(|azp| azp != expect.client_id) {
        return Err(Refusal::Audience);
    }
    match number("exp") {
        Some(exp) if expect.now <= exp + LEEWAY => {}
        _ => return Err(Refusal::Expired),
    }
    let Some(iat) = number("iat") else {
        return Err(Refusal::Malformed);
    };
    if iat > expect.now + LEEWAY || number("nbf").is_some_and(|nbf| nbf > expect.now + LEEWAY) {
        return Err(Refusal::NotYetValid);
    }
    if text("nonce") != Some(expect.nonce) {
        return Err(Refusal::Nonce);
    }
    // OpenID Connect Core 2: at most 255 ASCII characters (what Vigil stores).
    if text("sub").is_none_or(|sub| sub.is_empty() || sub.len() > 255) {
        return Err(Refusal::Subject);
    }
    Ok(())
}

/// A claim by name, or by a dotted path into nested objects (Keycloak's
/// `realm_access.roles`): a name that exists as it is wins.
pub fn claim<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    let mut parts = path.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// The strings a groups claim holds: a list, or one name.
pub fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// `email_verified` as providers send it: a boolean, or (some) the string "true".
pub fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true))) || value.and_then(Value::as_str) == Some("true")
}

#[cfg(test)]
mod tests;
