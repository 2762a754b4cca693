//! Service pages: the catalogue with headline numbers, one service's reliability and
//! SLO, and the admins' add/edit form.

mod detail;
mod edit;
mod list;

pub use detail::ServicePage;
pub use edit::{EditServicePage, NewServicePage};
pub use list::ServicesPage;
