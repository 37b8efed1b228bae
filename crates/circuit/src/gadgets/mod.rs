//! R1CS gadgets, each the in-circuit twin of a native function and tested against it.

pub mod babyjubjub;
pub mod bits;
pub mod eddsa;
pub mod float;
pub mod merkle;
pub mod poseidon;

use ark_relations::gr1cs::SynthesisError;
use zkr_crypto::Fr;

/// Field variables of our field.
pub type FrVar = ark_r1cs_std::fields::fp::FpVar<Fr>;
/// Booleans of our field.
pub type BoolVar = ark_r1cs_std::boolean::Boolean<Fr>;
/// Result of gadget code.
pub type GResult<T> = Result<T, SynthesisError>;
