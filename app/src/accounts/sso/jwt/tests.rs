use super::*;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::json;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

struct Signer {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Signer {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Self { pair, rng }
    }

    fn jwk(&self, kid: &str) -> Jwk {
        let point = self.pair.public_key().as_ref();
        Jwk {
            kty: "EC".into(),
            kid: Some(kid.into()),
            crv: Some("P-256".into()),
            x: Some(b64(&point[1..33])),
            y: Some(b64(&point[33..])),
            ..Default::default()
        }
    }

    fn sign(&self, header: Value, claims: Value) -> String {
        let message = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self.pair.sign(&self.rng, message.as_bytes()).unwrap();
        format!("{message}.{}", b64(sig.as_ref()))
    }
}

const NOW: i64 = 1_800_000_000;

fn expect() -> Expect<'static> {
    Expect {
        issuer: "https://idp.example.com",
        client_id: "vigil",
        nonce: "n-1",
        now: NOW,
    }
}

fn claims() -> Value {
    json!({
        "iss": "https://idp.example.com", "aud": "vigil", "sub": "u1",
        "exp": NOW + 300, "iat": NOW, "nonce": "n-1", "email": "ada@example.com",
    })
}

fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut claims = claims();
    change(claims.as_object_mut().unwrap());
    claims
}

#[test]
fn a_good_es256_token_verifies_and_returns_its_claims() {
    let signer = Signer::new();
    let token = signer.sign(json!({"alg": "ES256", "kid": "k1"}), claims());
    let got = verify(&token, &[signer.jwk("k1")], expect()).unwrap();
    assert_eq!(got["email"], "ada@example.com");
    assert_eq!(key_id(&token).as_deref(), Some("k1"));
}

#[test]
fn an_rs256_token_from_another_implementation_verifies() {
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/rs256.json")).unwrap();
    let key: Jwk = serde_json::from_value(fixture["jwk"].clone()).unwrap();
    let token = fixture["token"].as_str().unwrap();
    let expect = Expect {
        nonce: "n-0S6",
        ..expect()
    };
    let got = verify(token, std::slice::from_ref(&key), expect).unwrap();
    assert_eq!(got["sub"], "user-1");
    // One changed byte of the payload breaks it.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload = URL_SAFE_NO_PAD.decode(&parts[1]).unwrap();
    let at = payload.iter().position(|&b| b == b'1').unwrap();
    payload[at] = b'2';
    parts[1] = b64(&payload);
    assert_eq!(
        verify(&parts.join("."), &[key], expect),
        Err(Refusal::Signature)
    );
}

#[test]
fn unsigned_and_hmac_tokens_are_refused() {
    let payload = b64(claims().to_string().as_bytes());
    for alg in ["none", "HS256", ""] {
        let header = b64(json!({ "alg": alg }).to_string().as_bytes());
        let token = format!("{header}.{payload}.");
        assert_eq!(
            verify(&token, &[Signer::new().jwk("k1")], expect()),
            Err(Refusal::Algorithm(alg.into()))
        );
    }
    assert_eq!(verify("a.b", &[], expect()), Err(Refusal::Malformed));
    assert_eq!(
        verify("not a token", &[], expect()),
        Err(Refusal::Malformed)
    );
}

#[test]
fn a_token_signed_by_another_key_or_naming_an_unknown_one_is_refused() {
    let (ours, theirs) = (Signer::new(), Signer::new());
    let token = theirs.sign(json!({"alg": "ES256", "kid": "k1"}), claims());
    assert_eq!(
        verify(&token, &[ours.jwk("k1")], expect()),
        Err(Refusal::Signature)
    );
    let token = ours.sign(json!({"alg": "ES256", "kid": "k2"}), claims());
    assert_eq!(
        verify(&token, &[ours.jwk("k1")], expect()),
        Err(Refusal::UnknownKey)
    );
    // A key published for another algorithm or for encryption does not count.
    let mut rsa_only = ours.jwk("k1");
    rsa_only.alg = Some("RS256".into());
    let mut encryption = ours.jwk("k1");
    encryption.use_ = Some("enc".into());
    let token = ours.sign(json!({"alg": "ES256", "kid": "k1"}), claims());
    assert_eq!(
        verify(&token, &[rsa_only, encryption], expect()),
        Err(Refusal::UnknownKey)
    );
    let token = ours.sign(
        json!({"alg": "ES256", "kid": "k1", "crit": ["x"]}),
        claims(),
    );
    assert_eq!(
        verify(&token, &[ours.jwk("k1")], expect()),
        Err(Refusal::Malformed)
    );
}

#[test]
fn each_claim_is_checked() {
    let signer = Signer::new();
    let keys = [signer.jwk("k1")];
    let check = |claims: Value| {
        verify(
            &signer.sign(json!({"alg": "ES256", "kid": "k1"}), claims),
            &keys,
            expect(),
        )
        .map(|_| ())
    };
    let cases: Vec<(Value, Result<(), Refusal>)> = vec![
        (
            with(|c| {
                c.insert("iss".into(), json!("https://evil.example.com"));
            }),
            Err(Refusal::Issuer("https://evil.example.com".into())),
        ),
        (
            with(|c| {
                c.remove("iss");
            }),
            Err(Refusal::Issuer(String::new())),
        ),
        (
            with(|c| {
                c.insert("aud".into(), json!("someone-else"));
            }),
            Err(Refusal::Audience),
        ),
        (
            with(|c| {
                c.insert("aud".into(), json!(["someone-else", "vigil"]));
            }),
            Ok(()),
        ),
        (
            with(|c| {
                c.insert("aud".into(), json!(["other", "vigil"]));
                c.insert("azp".into(), json!("other"));
            }),
            Err(Refusal::Audience),
        ),
        (
            with(|c| {
                c.remove("aud");
            }),
            Err(Refusal::Audience),
        ),
        (
            with(|c| {
                c.insert("exp".into(), json!(NOW - LEEWAY - 1));
            }),
            Err(Refusal::Expired),
        ),
        (
            with(|c| {
                c.insert("exp".into(), json!(NOW - LEEWAY + 1));
            }),
            Ok(()),
        ),
        (
            with(|c| {
                c.remove("exp");
            }),
            Err(Refusal::Expired),
        ),
        (
            with(|c| {
                c.insert("iat".into(), json!(NOW + LEEWAY + 5));
            }),
            Err(Refusal::NotYetValid),
        ),
        (
            with(|c| {
                c.insert("nbf".into(), json!(NOW + 3600));
            }),
            Err(Refusal::NotYetValid),
        ),
        (
            with(|c| {
                c.remove("iat");
            }),
            Err(Refusal::Malformed),
        ),
        (
            with(|c| {
                c.insert("nonce".into(), json!("n-2"));
            }),
            Err(Refusal::Nonce),
        ),
        (
            with(|c| {
                c.remove("nonce");
            }),
            Err(Refusal::Nonce),
        ),
        (
            with(|c| {
                c.insert("sub".into(), json!(""));
            }),
            Err(Refusal::Subject),
        ),
        (
            with(|c| {
                c.insert("sub".into(), json!(7));
            }),
            Err(Refusal::Subject),
        ),
        (
            with(|c| {
                c.insert("sub".into(), json!("s".repeat(256)));
            }),
            Err(Refusal::Subject),
        ),
        (
            with(|c| {
                c.insert("sub".into(), json!("s".repeat(255)));
            }),
            Ok(()),
        ),
    ];
    for (claims, want) in cases {
        assert_eq!(check(claims.clone()), want, "{claims}");
    }
}

#[test]
fn claims_are_found_by_name_or_path_and_read_leniently() {
    let claims = json!({
        "groups": ["a", 3, "b"], "realm_access": {"roles": ["admin"]},
        "one": "x", "email_verified": "true", "no": false,
    });
    let claims = claims.as_object().unwrap();
    assert_eq!(strings(claim(claims, "groups")), ["a", "b"]);
    assert_eq!(strings(claim(claims, "realm_access.roles")), ["admin"]);
    assert_eq!(strings(claim(claims, "one")), ["x"]);
    assert!(strings(claim(claims, "missing.path")).is_empty());
    assert!(is_true(claim(claims, "email_verified")));
    assert!(!is_true(claim(claims, "no")) && !is_true(None));
    let set = parse_key_set(&json!({"keys": [{"kty": "EC"}, {"bad": 1}, 5]}));
    assert_eq!(set.len(), 1);
}
