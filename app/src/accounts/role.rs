use crate::named::named_enum;

named_enum! {
    /// What a person may do. The server checks this on every read and write; the UI only
    /// hides what a role cannot use. Declared lowest first: the order is the rank.
    #[derive(PartialOrd, Ord)]
    pub enum Role {
        /// Reads everything.
        Viewer => "viewer", "Viewer";
        /// Reads, and writes incidents, timelines, postmortems and action items.
        Responder => "responder", "Responder";
        /// Also manages users, services and settings.
        Admin => "admin", "Admin";
    }
}

impl Role {
    /// The roles as a choice lists them, most powerful first.
    pub const HIGHEST_FIRST: [Role; 3] = [Role::Admin, Role::Responder, Role::Viewer];

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
