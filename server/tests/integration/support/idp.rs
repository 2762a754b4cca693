//! A stand-in OpenID provider on a free port: discovery, an authorization endpoint that
//! signs in whoever the test says, a token endpoint that checks the client and the PKCE
//! verifier, userinfo, JWKS and end-session. ID tokens are ES256-signed with keys made
//! per run; a test can tamper with the next token or rotate the keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "vigil-test";
pub const CLIENT_SECRET: &str = "client secret: with & odd characters";
pub const PROVIDER: &str = "test";

/// The person the authorization endpoint signs in next.
#[derive(Debug, Clone)]
pub struct Person {
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub groups: Vec<String>,
}

impl Person {
    pub fn new(email: &str, groups: &[&str]) -> Self {
        Self {
            subject: format!("sub-{}", uuid::Uuid::new_v4().simple()),
            email: email.into(),
            email_verified: true,
            name: "Grace Hopper".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }
}

type Tamper = Box<dyn FnOnce(&mut Token) + Send>;

/// The next ID token, before it is signed: a tamper hook may change any of it.
pub struct Token {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// Sign with a key that is not published.
    pub foreign_key: bool,
    /// Leave the signature off (with `alg: none`).
    pub unsigned: bool,
}

struct Key {
    kid: String,
    pair: EcdsaKeyPair,
}

impl Key {
    fn new(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Self {
            kid: kid.into(),
            pair,
        }
    }

    fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        })
    }
}

struct Grant {
    redirect_uri: String,
    challenge: String,
    nonce: String,
    person: Person,
}

#[derive(Default)]
struct Inner {
    person: Option<Person>,
    keys: Vec<Key>,
    rotations: u32,
    codes: HashMap<String, Grant>,
    userinfo: HashMap<String, Value>,
    tamper: Option<Tamper>,
    /// Claims left out of the ID token (then only userinfo has them).
    userinfo_only: Vec<String>,
    /// Discovery answers 503.
    down: bool,
    /// How often the keys were read.
    jwks_reads: u32,
}

#[derive(Clone)]
pub struct TestIdp {
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TestIdp {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner {
            keys: vec![Key::new("key-0")],
            ..Default::default()
        }));
        let idp = Self { issuer, inner };
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .route("/jwks", get(jwks))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        idp
    }

    /// Who the next authorization signs in.
    pub fn sign_in_as(&self, person: &Person) {
        self.inner.lock().unwrap().person = Some(person.clone());
    }

    /// Changes the next ID token before it is signed.
    pub fn tamper(&self, change: impl FnOnce(&mut Token) + Send + 'static) {
        self.inner.lock().unwrap().tamper = Some(Box::new(change));
    }

    /// Replaces the signing key with a new one (and publishes only that).
    pub fn rotate(&self) {
        let mut inner = self.inner.lock().unwrap();
        inner.rotations += 1;
        let kid = format!("key-{}", inner.rotations);
        inner.keys = vec![Key::new(&kid)];
    }

    pub fn keep_out_of_id_token(&self, claims: &[&str]) {
        self.inner.lock().unwrap().userinfo_only = claims.iter().map(|c| c.to_string()).collect();
    }

    pub fn set_down(&self, down: bool) {
        self.inner.lock().unwrap().down = down;
    }

    pub fn jwks_reads(&self) -> u32 {
        self.inner.lock().unwrap().jwks_reads
    }

    pub fn end_session_endpoint(&self) -> String {
        format!("{}/logout", self.issuer)
    }
}

async fn discovery(State(idp): State<TestIdp>) -> Response {
    if idp.inner.lock().unwrap().down {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let base = &idp.issuer;
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks"),
        "end_session_endpoint": format!("{base}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}

async fn authorize(
    State(idp): State<TestIdp>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| q.get(k).cloned().unwrap_or_default();
    assert_eq!(field("client_id"), CLIENT_ID);
    assert_eq!(field("response_type"), "code");
    assert_eq!(field("code_challenge_method"), "S256");
    assert!(field("scope").split(' ').any(|s| s == "openid"));
    let person = idp
        .inner
        .lock()
        .unwrap()
        .person
        .clone()
        .expect("the test says who signs in");
    let code = uuid::Uuid::new_v4().simple().to_string();
    idp.inner.lock().unwrap().codes.insert(
        code.clone(),
        Grant {
            redirect_uri: field("redirect_uri"),
            challenge: field("code_challenge"),
            nonce: field("nonce"),
            person,
        },
    );
    let target = format!(
        "{}?code={code}&state={}",
        field("redirect_uri"),
        url::form_urlencoded::byte_serialize(field("state").as_bytes()).collect::<String>()
    );
    Redirect::to(&target).into_response()
}

fn client_authenticated(headers: &HeaderMap) -> bool {
    let Some(basic) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let decoded = String::from_utf8(STANDARD.decode(basic).unwrap_or_default()).unwrap_or_default();
    let Some((id, secret)) = decoded.split_once(':') else {
        return false;
    };
    let plain = |v: &str| {
        url::form_urlencoded::parse(format!("v={v}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    plain(id) == CLIENT_ID && plain(secret) == CLIENT_SECRET
}

async fn token(
    State(idp): State<TestIdp>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let refuse =
        |error: &str| (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response();
    if !client_authenticated(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut inner = idp.inner.lock().unwrap();
    let Some(grant) = inner.codes.remove(&field("code")) else {
        return refuse("invalid_grant");
    };
    if field("grant_type") != "authorization_code" || field("redirect_uri") != grant.redirect_uri {
        return refuse("invalid_grant");
    }
    if b64(&Sha256::digest(field("code_verifier").as_bytes())) != grant.challenge {
        return refuse("invalid_grant");
    }
    let now = chrono::Utc::now().timestamp();
    let person = &grant.person;
    let mut claims: Map<String, Value> = json!({
        "iss": idp.issuer, "aud": CLIENT_ID, "sub": person.subject, "exp": now + 300,
        "iat": now, "nonce": grant.nonce, "email": person.email,
        "email_verified": person.email_verified, "name": person.name, "groups": person.groups,
    })
    .as_object()
    .cloned()
    .unwrap();
    let access = uuid::Uuid::new_v4().simple().to_string();
    inner
        .userinfo
        .insert(access.clone(), Value::Object(claims.clone()));
    for name in &inner.userinfo_only {
        claims.remove(name);
    }
    let tamper = inner.tamper.take();
    let key = &inner.keys[0];
    let mut next = Token {
        header: json!({ "alg": "ES256", "kid": key.kid, "typ": "JWT" })
            .as_object()
            .cloned()
            .unwrap(),
        claims,
        foreign_key: false,
        unsigned: false,
    };
    if let Some(tamper) = tamper {
        tamper(&mut next);
    }
    let message = format!(
        "{}.{}",
        b64(Value::Object(next.header.clone()).to_string().as_bytes()),
        b64(Value::Object(next.claims).to_string().as_bytes())
    );
    let signature = if next.unsigned {
        String::new()
    } else {
        let foreign = Key::new(&key.kid);
        let signer = if next.foreign_key { &foreign } else { key };
        b64(signer
            .pair
            .sign(&SystemRandom::new(), message.as_bytes())
            .unwrap()
            .as_ref())
    };
    Json(json!({
        "access_token": access, "token_type": "Bearer", "expires_in": 300,
        "id_token": format!("{message}.{signature}"),
    }))
    .into_response()
}

async fn userinfo(State(idp): State<TestIdp>, headers: HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    match idp.inner.lock().unwrap().userinfo.get(token) {
        Some(claims) => Json(claims.clone()).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn jwks(State(idp): State<TestIdp>) -> Json<Value> {
    let mut inner = idp.inner.lock().unwrap();
    inner.jwks_reads += 1;
    let keys: Vec<Value> = inner.keys.iter().map(Key::jwk).collect();
    Json(json!({ "keys": keys }))
}
