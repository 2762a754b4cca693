//! Who is asking: the request's user (put into the request by the server's auth
//! middleware) and the role checks every server function starts with.

use leptos::prelude::*;

use crate::accounts::{CurrentUser, Role};
use crate::audit::service::Actor;
use crate::error::AppError;
use crate::state::AppState;

/// The client's address as the server determined it (peer or trusted proxy header).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The signed-in user of the current request, if any.
pub fn current_user() -> Option<CurrentUser> {
    parts().and_then(|p| p.extensions.get::<CurrentUser>().cloned())
}

pub fn client_ip() -> Option<String> {
    parts().and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0.clone()))
}

/// The state and user for a server function that needs at least `role`:
/// 401 when nobody is signed in, 403 when the role is too low.
pub fn require(role: Role) -> Result<(AppState, CurrentUser), AppError> {
    let user = current_user().ok_or(AppError::Unauthorized)?;
    if !user.role.includes(role) {
        return Err(AppError::Forbidden);
    }
    Ok((AppState::from_context()?, user))
}

/// The audit actor for `user` on this request.
pub fn actor(user: &CurrentUser) -> Actor {
    user.actor(client_ip())
}

impl CurrentUser {
    /// This user as the audit log names them, acting from `ip`.
    pub fn actor(&self, ip: Option<String>) -> Actor {
        Actor {
            id: Some(self.id.0),
            email: Some(self.email.clone()),
            ip,
        }
    }

    /// 403 unless this user is an admin. Admin-only services check it themselves, so a
    /// caller that forgot the check in front of them still cannot write.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}
