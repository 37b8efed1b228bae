//! Bit decompositions and range checks.

use super::{BoolVar, FrVar, GResult};
use ark_ff::{AdditiveGroup, BigInteger, PrimeField};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
use zkr_crypto::Fr;

/// Allocates the `n` low bits of `x` and enforces that they sum to `x` (`n + 1` constraints).
fn decompose(x: &FrVar, n: usize) -> GResult<Vec<BoolVar>> {
    let cs = x.cs();
    let bits_of = x.value().ok().map(|v| v.into_bigint().to_bits_le());
    let bits: Vec<BoolVar> = (0..n)
        .map(|i| {
            BoolVar::new_witness(cs.clone(), || {
                bits_of
                    .as_ref()
                    .map(|b| b[i])
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect::<GResult<_>>()?;
    from_bits_le(&bits).enforce_equal(x)?;
    Ok(bits)
}

/// The `n` low bits of `x`, little-endian, enforcing `x = sum b_i 2^i` (so `x < 2^n`).
/// Costs `n + 1` constraints (`n` booleanity, one sum). `n` must be at most 253.
pub fn to_bits_le(x: &FrVar, n: usize) -> GResult<Vec<BoolVar>> {
    assert!(
        n <= 253,
        "decompositions above 253 bits could wrap around the modulus"
    );
    decompose(x, n)
}

/// `sum b_i 2^i` (no constraints).
pub fn from_bits_le(bits: &[BoolVar]) -> FrVar {
    let mut acc = FrVar::zero();
    let mut coeff = Fr::from(1u64);
    for b in bits {
        acc += FrVar::from(b.clone()) * coeff;
        coeff.double_in_place();
    }
    acc
}

/// Enforces `x < 2^n`.
pub fn range_check(x: &FrVar, n: usize) -> GResult<()> {
    to_bits_le(x, n).map(|_| ())
}

/// The bits of a full field element (254 of them). Not canonical: the integer they spell may be
/// `x` or `x + r`; use only where that cannot matter.
pub fn to_bits_le_full(x: &FrVar) -> GResult<Vec<BoolVar>> {
    decompose(x, 254)
}

/// The condition-dependent value `cond ? a : b` (1 constraint).
pub fn select(cond: &BoolVar, a: &FrVar, b: &FrVar) -> GResult<FrVar> {
    Ok(b + FrVar::from(cond.clone()) * (a - b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    #[test]
    fn range_checks_accept_in_range_and_reject_out_of_range() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let x = FrVar::new_witness(cs.clone(), || Ok(Fr::from(255u64))).unwrap();
        let before = cs.num_constraints();
        range_check(&x, 8).unwrap();
        assert_eq!(cs.num_constraints() - before, 9);
        assert!(cs.is_satisfied().unwrap());

        let cs = ConstraintSystem::<Fr>::new_ref();
        let x = FrVar::new_witness(cs.clone(), || Ok(Fr::from(256u64))).unwrap();
        range_check(&x, 8).unwrap();
        assert!(!cs.is_satisfied().unwrap());

        let cs = ConstraintSystem::<Fr>::new_ref();
        let x = FrVar::new_witness(cs.clone(), || Ok(-Fr::from(1u64))).unwrap();
        range_check(&x, 128).unwrap();
        assert!(
            !cs.is_satisfied().unwrap(),
            "a negative number is not below 2^128"
        );
    }
}
