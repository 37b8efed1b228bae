//! A real anvil from the pinned npm package, for the tests of this crate.

pub use zkr_l1::anvil::{Anvil, DEV_KEY, repo};
