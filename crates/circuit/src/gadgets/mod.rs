//! R1CS gadgets, each the in-circuit twin of a native function and tested against it.

pub mod amm;
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

/// `constant + sum coeff_i * var_i` as a single linear combination (no constraints, one
/// symbolic variable, instead of one per addition and multiplication by a constant).
pub fn lin(coeffs: &[Fr], vars: &[FrVar], constant: Fr) -> FrVar {
    use ark_r1cs_std::fields::fp::AllocatedFp;
    debug_assert_eq!(coeffs.len(), vars.len());
    let mut k = constant;
    let mut cs_coeffs = Vec::with_capacity(vars.len());
    let mut cs_vars = Vec::with_capacity(vars.len());
    for (c, v) in coeffs.iter().zip(vars) {
        match v {
            FrVar::Constant(x) => k += *c * x,
            FrVar::Var(a) => {
                cs_coeffs.push(*c);
                cs_vars.push(a.clone());
            }
        }
    }
    match AllocatedFp::linear_combination(cs_coeffs.iter(), &cs_vars) {
        None => FrVar::Constant(k),
        Some(a) if k == Fr::from(0u64) => FrVar::Var(a),
        Some(a) => FrVar::Var(a.add_constant(k)),
    }
}

/// Enforces `x != 0` when `cond` is 1 (and nothing when it is 0): `(x * inv - 1) * cond == 0`
/// with the prover's inverse of `x` as a hint. One constraint.
pub fn enforce_nonzero_if(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>,
    cond: &FrVar,
    x: &FrVar,
) -> GResult<()> {
    use ark_ff::{AdditiveGroup, Field};
    use ark_r1cs_std::GR1CSVar;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::fields::FieldVar;
    let inv = FrVar::new_witness(cs.clone(), || Ok(x.value()?.inverse().unwrap_or(Fr::ZERO)))?;
    (x * inv - Fr::ONE).mul_equals(cond, &FrVar::zero())
}
