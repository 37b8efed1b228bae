//! The zkr batch circuit over BN254.
//!
//! This crate owns the R1CS side of the protocol: [`gadgets`] (each the in-circuit twin of a
//! native function in `zkr-crypto`, `zkr-types` or `zkr-state`, and tested against it), one
//! operation [`slot`], the [`batch`] circuit whose only public input is the batch commitment,
//! and the [`witness`] the prover feeds it, built by re-running the native state transition in
//! witness mode. It never decides what is valid on its own: the rules are `docs/protocol.md`'s,
//! and `docs/soundness.md` maps each to the negative test that shows the circuit enforces it.

pub mod batch;
pub mod gadgets;
pub mod pubdata;
pub mod slot;
pub mod update;
pub mod witness;

pub use batch::BatchCircuit;
pub use witness::{BatchBuilder, BatchWitness, SlotWitness, empty_batch};
