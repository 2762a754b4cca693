//! Single sign-on with OpenID Connect: the authorization code flow with PKCE, state and
//! nonce, the ID token verified against the provider's published keys, and the person
//! matched to a Vigil user (or created) with a role from their groups.
//!
//! The flow itself runs in `server/src/sso.rs` (two routes); this module holds what it
//! needs: the configuration, the provider's endpoints and keys ([`provider`]), the token
//! checks ([`jwt`]) and the accounts side ([`service`]).

use serde::{Deserialize, Serialize};

/// A way to sign in that the sign-in page offers as a button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderButton {
    /// In the provider's URLs: `/auth/oidc/{id}/start`.
    pub id: String,
    pub name: String,
}

/// What the sign-in page offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    pub providers: Vec<ProviderButton>,
    /// Everyone may sign in with a password; when false, only the break-glass admin.
    pub passwords: bool,
}

/// A provider as the admins' users page describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSettings {
    pub id: String,
    pub name: String,
    pub issuer: String,
    /// To register at the provider.
    pub redirect_uri: String,
    pub groups_claim: String,
    /// Group to role, applied at every sign-in (empty: roles are managed in Vigil).
    pub roles: Vec<(String, crate::accounts::Role)>,
    pub default_role: crate::accounts::Role,
    pub create_users: bool,
    pub trust_email: bool,
}

/// How people sign in, for admins: the providers, the password rule, and who is linked
/// to which provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettings {
    pub providers: Vec<ProviderSettings>,
    /// Set when passwords are off for everyone else.
    pub break_glass: Option<String>,
    pub accounts: Vec<LinkedAccount>,
}

/// How one user signs in, when not (only) with a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedAccount {
    pub user_id: crate::accounts::UserId,
    /// The names of the providers they have signed in with.
    pub providers: Vec<String>,
    /// Whether they also have a password.
    pub password: bool,
}

impl SsoSettings {
    /// "Acme ID", "Acme ID, password" or "Password" for a user.
    pub fn sign_in_of(&self, user: crate::accounts::UserId) -> String {
        match self.accounts.iter().find(|a| a.user_id == user) {
            Some(linked) => {
                let mut ways = linked.providers.clone();
                if linked.password {
                    ways.push("password".into());
                }
                ways.join(", ")
            }
            None => "Password".into(),
        }
    }
}

/// Where a provider's button goes: the route that begins its sign-in, with where to
/// return afterwards (the route checks that it is a path of this site).
pub fn start_path(id: &str, next: &str) -> String {
    let mut path = format!("/auth/oidc/{id}/start");
    if !next.is_empty() {
        path.push_str("?next=");
        for byte in next.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
                path.push(byte as char);
            } else {
                path.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    path
}

/// The message the sign-in page shows for a failed single sign-on, by the code the
/// callback redirects with (`/login?sso_error=state`): a fixed text, never one taken
/// from the request.
pub fn failure_message(code: &str) -> &'static str {
    match code {
        "state" => "That sign-in attempt expired or was already used. Please start again.",
        "denied" => "Sign-in was cancelled at the identity provider.",
        "provider" => {
            "The identity provider could not be reached or refused the sign-in. Try again, or ask an admin to check its settings."
        }
        "token" => {
            "The identity provider's answer did not pass Vigil's checks, so you were not signed in. An admin can find the reason in the audit log."
        }
        "email_unverified" => {
            "Your identity provider has not verified your email address, so Vigil cannot tell which account is yours."
        }
        "no_email" => "Your identity provider did not share an email address with Vigil.",
        "no_account" => {
            "There is no Vigil account for you yet. Ask an admin to invite you with the email your identity provider uses."
        }
        "deactivated" => "Your Vigil account is deactivated. Ask an admin to reactivate it.",
        _ => "Single sign-on did not complete. Please try again.",
    }
}

#[cfg(feature = "ssr")]
pub mod jwt;
#[cfg(feature = "ssr")]
pub mod provider;
#[cfg(feature = "ssr")]
pub mod service;

#[cfg(feature = "ssr")]
pub use config::{PasswordSignIn, ProviderConfig, SsoConfig};

#[cfg(feature = "ssr")]
mod config {
    use serde::Deserialize;

    use crate::accounts::Role;

    /// One OpenID provider, from the command line or a providers file.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ProviderConfig {
        /// In URLs: lower-case letters, digits and dashes.
        pub id: String,
        /// On the button: "Sign in with {name}".
        pub name: String,
        /// The issuer URL; its `/.well-known/openid-configuration` says the rest.
        pub issuer: String,
        pub client_id: String,
        /// Without one, Vigil is a public client (PKCE alone).
        #[serde(default)]
        pub client_secret: Option<String>,
        #[serde(default = "default_scopes")]
        pub scopes: Vec<String>,
        /// The claim (or dotted path) that lists the person's groups.
        #[serde(default = "default_groups_claim")]
        pub groups_claim: String,
        /// Group name to role; applied at every sign-in when not empty. In a providers
        /// file, written as on the command line: `"vigil-admins=admin,sre=responder"`.
        #[serde(default, deserialize_with = "roles_text")]
        pub roles: Vec<(String, Role)>,
        /// The role of someone in none of the mapped groups, and of people created on
        /// first sign-in when there is no mapping.
        #[serde(default = "default_role")]
        pub default_role: Role,
        /// Create a Vigil user on first sign-in ("just in time").
        #[serde(default = "yes")]
        pub create_users: bool,
        /// Accept an email the provider does not mark verified: for providers that never
        /// send `email_verified` (Entra ID) and whose emails only their admins set.
        #[serde(default)]
        pub trust_email: bool,
    }

    fn roles_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(String, Role)>, D::Error> {
        let text = String::deserialize(d)?;
        parse_roles(&text).map_err(serde::de::Error::custom)
    }

    fn default_scopes() -> Vec<String> {
        ["openid", "email", "profile"].map(String::from).to_vec()
    }

    fn default_groups_claim() -> String {
        "groups".into()
    }

    fn default_role() -> Role {
        Role::Viewer
    }

    fn yes() -> bool {
        true
    }

    impl ProviderConfig {
        /// A provider with the defaults for everything optional.
        pub fn new(id: &str, name: &str, issuer: &str, client_id: &str) -> Self {
            Self {
                id: id.into(),
                name: name.into(),
                issuer: issuer.into(),
                client_id: client_id.into(),
                client_secret: None,
                scopes: default_scopes(),
                groups_claim: default_groups_claim(),
                roles: Vec::new(),
                default_role: default_role(),
                create_users: true,
                trust_email: false,
            }
        }

        /// What is wrong with this configuration, if anything.
        pub fn problem(&self) -> Option<String> {
            let id_ok = !self.id.is_empty()
                && self.id.len() <= 40
                && self
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !id_ok {
                return Some(format!(
                    "provider id {:?}: use 1 to 40 lower-case letters, digits and dashes",
                    self.id
                ));
            }
            match url::Url::parse(&self.issuer) {
                Ok(url) if url.scheme() == "https" || url.scheme() == "http" => {}
                _ => return Some(format!("{}: the issuer must be an http(s) URL", self.id)),
            }
            if self.client_id.trim().is_empty() {
                return Some(format!("{}: a client id is required", self.id));
            }
            if !self.scopes.iter().any(|s| s == "openid") {
                return Some(format!("{}: the scopes must include openid", self.id));
            }
            None
        }

        /// The role someone in `groups` gets: the highest any of them maps to, else the
        /// default. `None` when no mapping is set (roles are then managed in Vigil).
        pub fn role_for(&self, groups: &[String]) -> Option<Role> {
            if self.roles.is_empty() {
                return None;
            }
            let mapped = self
                .roles
                .iter()
                .filter(|(group, _)| groups.iter().any(|g| g == group))
                .map(|(_, role)| *role)
                .max();
            Some(mapped.unwrap_or(self.default_role))
        }
    }

    /// Parses a mapping like `vigil-admins=admin, sre=responder`.
    pub fn parse_roles(text: &str) -> Result<Vec<(String, Role)>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (group, role) = pair
                    .rsplit_once('=')
                    .ok_or_else(|| format!("{pair:?}: write group=role"))?;
                let role = Role::parse(role)
                    .ok_or_else(|| format!("{pair:?}: the role is admin, responder or viewer"))?;
                Ok((group.trim().to_owned(), role))
            })
            .collect()
    }

    /// Who may sign in with a password.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub enum PasswordSignIn {
        #[default]
        Everyone,
        /// Only this (lower-cased) email: the admin who can still get in when the
        /// identity provider is down or misconfigured.
        BreakGlass(String),
    }

    impl PasswordSignIn {
        pub fn allows(&self, email: &str) -> bool {
            match self {
                Self::Everyone => true,
                Self::BreakGlass(only) => only == email,
            }
        }

        pub fn break_glass(&self) -> Option<&str> {
            match self {
                Self::Everyone => None,
                Self::BreakGlass(email) => Some(email),
            }
        }
    }

    /// Every provider, and the password rule.
    #[derive(Debug, Clone, Default)]
    pub struct SsoConfig {
        pub providers: Vec<ProviderConfig>,
        pub passwords: PasswordSignIn,
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_role_mapping_gives_the_highest_role_of_the_groups_else_the_default() {
            let mut provider = ProviderConfig::new("corp", "Corp", "https://idp", "vigil");
            assert_eq!(provider.role_for(&["x".into()]), None);
            provider.roles = parse_roles("vigil-admins=admin, sre = responder,,").unwrap();
            let groups = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
            assert_eq!(
                provider.role_for(&groups(&["sre", "vigil-admins"])),
                Some(Role::Admin)
            );
            assert_eq!(provider.role_for(&groups(&["sre"])), Some(Role::Responder));
            assert_eq!(provider.role_for(&groups(&["other"])), Some(Role::Viewer));
            assert_eq!(provider.role_for(&[]), Some(Role::Viewer));
            assert!(parse_roles("admins").is_err());
            assert!(parse_roles("admins=root").is_err());
        }

        #[test]
        fn a_provider_needs_a_usable_id_issuer_client_and_the_openid_scope() {
            let good = ProviderConfig::new("corp-1", "Corp", "https://idp.example.com", "vigil");
            assert_eq!(good.problem(), None);
            for bad in [
                ProviderConfig::new("Corp", "Corp", "https://idp", "vigil"),
                ProviderConfig::new("", "Corp", "https://idp", "vigil"),
                ProviderConfig::new("corp", "Corp", "ftp://idp", "vigil"),
                ProviderConfig::new("corp", "Corp", "https://idp", " "),
                ProviderConfig {
                    scopes: vec!["email".into()],
                    ..good.clone()
                },
            ] {
                assert!(bad.problem().is_some(), "{bad:?}");
            }
        }

        #[test]
        fn break_glass_allows_its_one_email() {
            assert!(PasswordSignIn::Everyone.allows("a@x.io"));
            let only = PasswordSignIn::BreakGlass("root@x.io".into());
            assert!(only.allows("root@x.io") && !only.allows("a@x.io"));
        }
    }
}

#[cfg(feature = "ssr")]
pub use config::parse_roles;

#[cfg(test)]
mod tests {
    #[test]
    fn a_start_path_carries_the_return_path_encoded() {
        assert_eq!(super::start_path("corp", ""), "/auth/oidc/corp/start");
        assert_eq!(
            super::start_path("corp", "/incidents?q=a b&x=1"),
            "/auth/oidc/corp/start?next=/incidents%3Fq%3Da%20b%26x%3D1"
        );
    }
}
