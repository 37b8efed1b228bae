//! The zkr batch circuit over BN254.
//!
//! This crate owns the R1CS side of the protocol: [`gadgets`] (each the in-circuit twin of a
//! native function in `zkr-crypto`, `zkr-types` or `zkr-state`, and tested against it), one
//! operation [`slot`], the [`batch`] circuit whose only public input is the batch commitment,
//! and the [`witness`] the prover feeds it, built by re-running the native state transition in
//! witness mode. It never decides what is valid on its own: the rules are `docs/protocol.md`'s,
//! and `docs/soundness.md` maps each to the negative test that shows the circuit enforces it.

pub mod assignment;
pub mod batch;
pub mod dex;
pub mod gadgets;
pub mod pubdata;
pub mod slot;
pub mod sweep;
pub mod update;
pub mod witness;

pub use assignment::{BatchAssignment, CircuitKind};
pub use batch::{BatchCircuit, Statement, Synthesis};

/// Version of what the batch circuits constrain. Bump it with every change to a circuit's
/// constraints: key stores find cached circuit shapes (and so cached keys) by it instead of
/// synthesizing the circuit at every start. The prover's test
/// `the_shape_digest_is_pinned_to_the_circuit_version` fails until it is bumped.
pub const CIRCUIT_VERSION: u32 = 3;

/// R1CS constraints of one operation slot of the transfer circuit, whatever operation it holds
/// (measured by the test `every_slot_costs_the_same_and_the_batch_adds_fee_credits`).
pub const SLOT_CONSTRAINTS: usize = 27_498;
/// R1CS constraints of one union slot of the DEX circuit (same test).
pub const UNION_SLOT_CONSTRAINTS: usize = 42_780;
/// Constraints of a batch besides its slots: the four fee credits, meta ranges, commitment.
pub const BATCH_OVERHEAD_CONSTRAINTS: usize = 42_226;
pub use witness::{BatchBuilder, BatchWitness, SlotWitness, empty_batch};
