//! Groth16 over BN254 for zkr batches.
//!
//! This crate owns the proving system: the (insecure, deterministic) dev trusted setup, proving
//! and verifying keys cached on disk under a digest of the circuit's shape, proving and
//! verification of a [`zkr_circuit::BatchWitness`], and the Solidity verifier generated from a
//! verifying key. It never builds witnesses itself (that is `zkr-circuit` over `zkr-state`).
//!
//! **The dev setup is insecure**: its toxic waste follows from a public seed, so anyone can
//! forge proofs for keys made by [`setup::dev_setup`]. A real deployment runs a multi-party
//! ceremony and loads its keys with [`keys::KeyStore`] (see `docs/prover.md`).

mod error;
pub mod job;
pub mod keys;
pub mod proof;
pub mod setup;
pub mod shape;
pub mod solidity;

pub use error::ProverError;
pub use job::ProvingJob;
pub use keys::{KeyStore, Keys};
pub use proof::{BatchProof, proof_from_bytes, proof_to_bytes, prove, prove_circuit, verify};

/// Progress callback: receives a short description of each phase as it starts.
pub type Progress<'a> = &'a dyn Fn(&str);

/// A progress callback that ignores everything.
pub fn quiet(_: &str) {}
