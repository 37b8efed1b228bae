//! The zkr batch circuit over BN254.
//!
//! This crate owns the R1CS side of the protocol: [`gadgets`] (each the in-circuit twin of a
//! native function in `zkr-crypto`, `zkr-types` or `zkr-state`, and tested against it) and the
//! batch validity circuit that enforces every rule of `docs/protocol.md` over a fixed number of
//! operation slots, with the batch commitment as its only public input. It never decides what is
//! valid on its own: the rules are the protocol's, and negative tests check each one.

pub mod gadgets;
