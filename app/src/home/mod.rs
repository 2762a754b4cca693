//! The overview page every signed-in user lands on.

mod page;

pub use page::HomePage;
