//! What a signed-in user is to the rest of Vigil: their audit name and the admin check
//! of admin-only services. The request-side helpers live in the `web` module, above this one.

use crate::accounts::{CurrentUser, Role};
use crate::audit::service::Actor;
use crate::error::AppError;

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
