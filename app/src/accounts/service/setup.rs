//! First run: while no user exists, a one-time setup token lets someone with access to
//! the server's log create the first admin in the browser.

use sea_orm::ConnectionTrait;

use crate::error::AppError;
use crate::secrets::{hash as sha256_hex, random as random_token};
use crate::system::settings;

const SETUP_TOKEN_KEY: &str = "setup_token_sha256";

/// When no user exists yet, issues a fresh setup token (replacing any earlier one) and
/// returns it; only its hash is stored.
pub async fn issue_token_if_needed(db: &impl ConnectionTrait) -> Result<Option<String>, AppError> {
    if super::users::count(db).await? > 0 {
        settings::delete(db, SETUP_TOKEN_KEY).await?;
        return Ok(None);
    }
    let token = random_token();
    settings::put(db, SETUP_TOKEN_KEY, &sha256_hex(&token)).await?;
    Ok(Some(token))
}

/// True while `token` is the live setup token and no user exists.
pub async fn token_is_valid(db: &impl ConnectionTrait, token: &str) -> Result<bool, AppError> {
    let stored = settings::get(db, SETUP_TOKEN_KEY).await?;
    Ok(match stored {
        Some(hash) => {
            crate::secrets::same(&hash, &sha256_hex(token)) && super::users::count(db).await? == 0
        }
        None => false,
    })
}

/// Uses the token up, in the caller's transaction: exactly one caller can claim it.
pub async fn claim_token(db: &impl ConnectionTrait, token: &str) -> Result<(), AppError> {
    if !token_is_valid(db, token).await? {
        return Err(AppError::invalid(
            "token",
            "This setup link is no longer valid. Restart Vigil for a new one, or use `vigil user create`.",
        ));
    }
    if settings::delete(db, SETUP_TOKEN_KEY).await? != 1 {
        return Err(AppError::Conflict {
            message: "Set-up was completed by someone else a moment ago.".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_are_stable() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(sha256_hex("abc"), sha256_hex("abc"));
        assert_ne!(sha256_hex(&a), a);
    }
}
