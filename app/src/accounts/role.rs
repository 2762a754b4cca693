use serde::{Deserialize, Serialize};

/// What a person may do. The server checks this on every read and write; the UI only
/// hides what a role cannot use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Reads, and writes incidents, timelines, postmortems and action items.
    Responder,
    /// Also manages users, services and settings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Responder, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Responder => "responder",
            Self::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "viewer" => Some(Self::Viewer),
            "responder" => Some(Self::Responder),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Viewer => "Viewer",
            Self::Responder => "Responder",
            Self::Admin => "Admin",
        }
    }

    /// Roles are ordered: each includes everything the ones below it may do.
    pub fn includes(self, required: Role) -> bool {
        self >= required
    }

    pub fn can_write(self) -> bool {
        self.includes(Role::Responder)
    }

    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_includes_exactly_the_roles_below_it() {
        use Role::*;
        let table = [
            (Viewer, Viewer, true),
            (Viewer, Responder, false),
            (Viewer, Admin, false),
            (Responder, Viewer, true),
            (Responder, Responder, true),
            (Responder, Admin, false),
            (Admin, Viewer, true),
            (Admin, Responder, true),
            (Admin, Admin, true),
        ];
        for (role, required, allowed) in table {
            assert_eq!(role.includes(required), allowed, "{role:?} vs {required:?}");
        }
        assert!(!Viewer.can_write());
        assert!(Responder.can_write() && !Responder.is_admin());
        assert!(Admin.can_write() && Admin.is_admin());
    }

    #[test]
    fn roles_round_trip_through_their_stored_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
