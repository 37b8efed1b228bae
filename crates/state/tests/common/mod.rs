//! Shared fixtures for the state tests (they live in `zkr_state::fixtures`).
#![allow(unused_imports)]

pub use zkr_state::fixtures::*;
