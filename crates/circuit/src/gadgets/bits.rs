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
    let bits = alloc_bits(x, n)?;
    from_bits_le(&bits).enforce_equal(x)?;
    Ok(bits)
}

/// Allocates the `n` low bits of `x`'s value (`n` booleanity constraints, nothing else).
fn alloc_bits(x: &FrVar, n: usize) -> GResult<Vec<BoolVar>> {
    let cs = x.cs();
    let bits_of = x.value().ok().map(|v| v.into_bigint().to_bits_le());
    (0..n)
        .map(|i| {
            BoolVar::new_witness(cs.clone(), || {
                bits_of
                    .as_ref()
                    .map(|b| b[i])
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect()
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

/// The bits of a full field element (254 of them), canonical: the integer they spell is below
/// the modulus `r`, so it is `x` itself and never `x + r` (which a bare decomposition allows for
/// every `x < 2^254 - r`, and which differs from `x` as a scalar of a curve point).
pub fn to_bits_le_full(x: &FrVar) -> GResult<Vec<BoolVar>> {
    let bits = alloc_bits(x, 254)?;
    enforce_full_bits(x, &bits)?;
    Ok(bits)
}

/// Enforces that 254 little-endian `bits` spell `x`'s canonical integer: they sum to `x` and
/// the integer is below the modulus.
fn enforce_full_bits(x: &FrVar, bits: &[BoolVar]) -> GResult<()> {
    from_bits_le(bits).enforce_equal(x)?;
    BoolVar::enforce_in_field_le(bits)
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

    /// A field element's full decomposition is canonical: the bits of `x + r` (which also sum
    /// to `x` in the field) are refused, the bits of `x` accepted, for `x` near both ends.
    #[test]
    fn full_decompositions_are_canonical() {
        use num_bigint::BigUint;
        let r = BigUint::from_bytes_le(&Fr::MODULUS.to_bytes_le());
        // the largest x whose x + r still fits 254 bits, too
        let top = (BigUint::from(1u8) << 254u32) - &r - 1u8;
        for x in [
            BigUint::ZERO,
            BigUint::from(1u8),
            BigUint::from(12345u32),
            top,
        ] {
            for (shift, ok) in [(false, true), (true, false)] {
                let cs = ConstraintSystem::<Fr>::new_ref();
                let xv = FrVar::new_witness(cs.clone(), || Ok(Fr::from(x.clone()))).unwrap();
                let int = &x + if shift { r.clone() } else { BigUint::ZERO };
                assert!(int.bits() <= 254);
                let bits: Vec<BoolVar> = (0..254)
                    .map(|i| BoolVar::new_witness(cs.clone(), || Ok(int.bit(i))).unwrap())
                    .collect();
                enforce_full_bits(&xv, &bits).unwrap();
                assert_eq!(cs.is_satisfied().unwrap(), ok, "x = {x}, + r: {shift}");
            }
        }
        // and the gadget itself decomposes r - 1 (the largest element)
        let cs = ConstraintSystem::<Fr>::new_ref();
        let xv = FrVar::new_witness(cs.clone(), || Ok(-Fr::from(1u64))).unwrap();
        to_bits_le_full(&xv).unwrap();
        assert!(cs.is_satisfied().unwrap());
    }
}
