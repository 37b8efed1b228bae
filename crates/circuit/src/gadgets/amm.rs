//! The pool arithmetic in R1CS (native twin: `zkr_types::amm`): integer division rounded down
//! and up, the integer square root and the minimum, each with the witness a prover would
//! compute and constraints that hold for no other value. Every input must be range-checked by
//! the caller to the bit widths given, so that no product wraps around the field modulus
//! (all products here stay below `2^250`).

use super::bits::range_check;
use super::{BoolVar, FrVar, GResult};
use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
use num_bigint::BigUint;
use zkr_crypto::Fr;

fn big(v: &FrVar) -> Option<BigUint> {
    v.value().ok().map(|x| big_of(&x))
}

/// A field element as an integer (the operator's hint for the `_as` gadgets).
pub fn big_of(x: &Fr) -> BigUint {
    BigUint::from_bytes_le(&x.into_bigint().to_bytes_le())
}

fn fr(v: &BigUint) -> Fr {
    Fr::from_le_bytes_mod_order(&v.to_bytes_le())
}

fn witness(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>,
    v: Option<BigUint>,
) -> GResult<FrVar> {
    FrVar::new_witness(cs.clone(), || {
        v.as_ref().map(fr).ok_or(SynthesisError::AssignmentMissing)
    })
}

/// `floor(n / d)` for `0 < d < 2^d_bits`, `n < 2^(q_bits + d_bits)`, `q_bits + d_bits <= 250`:
/// `n = q * d + r` with `q < 2^q_bits` and `0 <= r < d`. Costs `q_bits + 2 * d_bits + 4`.
pub fn floor_div(n: &FrVar, d: &FrVar, q_bits: usize, d_bits: usize) -> GResult<FrVar> {
    let q = big(n)
        .zip(big(d))
        .map(|(n, d)| if d == BigUint::ZERO { d } else { n / d });
    floor_div_as(n, d, q_bits, d_bits, q)
}

/// [`floor_div`] with the prover's quotient given (what an operator would choose).
pub fn floor_div_as(
    n: &FrVar,
    d: &FrVar,
    q_bits: usize,
    d_bits: usize,
    q: Option<BigUint>,
) -> GResult<FrVar> {
    assert!(q_bits + d_bits <= 250);
    let cs = n.cs().or(d.cs());
    let q = witness(&cs, q)?;
    range_check(&q, q_bits)?;
    let r = n - &q * d;
    // 0 <= r < d: both r and d - 1 - r fit in d_bits
    range_check(&r, d_bits)?;
    range_check(&(d - &r - Fr::from(1u64)), d_bits)?;
    Ok(q)
}

/// `ceil(n / d)`, with the bounds of [`floor_div`]: `n = q * d - r` with `0 <= r < d`.
pub fn ceil_div(n: &FrVar, d: &FrVar, q_bits: usize, d_bits: usize) -> GResult<FrVar> {
    let q = big(n).zip(big(d)).map(|(n, d)| {
        if d == BigUint::ZERO {
            d
        } else {
            (n + &d - 1u32) / d
        }
    });
    ceil_div_as(n, d, q_bits, d_bits, q)
}

/// [`ceil_div`] with the prover's quotient given.
pub fn ceil_div_as(
    n: &FrVar,
    d: &FrVar,
    q_bits: usize,
    d_bits: usize,
    q: Option<BigUint>,
) -> GResult<FrVar> {
    assert!(q_bits + d_bits <= 250);
    let cs = n.cs().or(d.cs());
    let q = witness(&cs, q)?;
    range_check(&q, q_bits)?;
    let r = &q * d - n;
    range_check(&r, d_bits)?;
    range_check(&(d - &r - Fr::from(1u64)), d_bits)?;
    Ok(q)
}

/// `floor(sqrt(v))` for `v < 2^(2 * bits)`, `bits <= 125`: `s^2 <= v < (s + 1)^2`.
pub fn isqrt(v: &FrVar, bits: usize) -> GResult<FrVar> {
    isqrt_as(v, bits, big(v).map(|v| v.sqrt()))
}

/// [`isqrt`] with the prover's root given.
pub fn isqrt_as(v: &FrVar, bits: usize, s: Option<BigUint>) -> GResult<FrVar> {
    assert!(bits <= 125);
    let cs = v.cs();
    let s = witness(&cs, s)?;
    range_check(&s, bits)?;
    let sq = &s * &s;
    range_check(&(v - &sq), 2 * bits + 1)?;
    // (s + 1)^2 - 1 - v = sq + 2 s - v >= 0
    range_check(&(&sq + &s + &s - v), 2 * bits + 1)?;
    Ok(s)
}

/// `min(a, b)` for `a, b < 2^bits`, `bits <= 250`: a selector bit `c` with
/// `c = 1 => a <= b` and `c = 0 => b < a`.
pub fn min(a: &FrVar, b: &FrVar, bits: usize) -> GResult<FrVar> {
    let c = big(a).zip(big(b)).map(|(a, b)| a <= b);
    min_as(a, b, bits, c)
}

/// [`min`] with the prover's selector given.
pub fn min_as(a: &FrVar, b: &FrVar, bits: usize, c: Option<bool>) -> GResult<FrVar> {
    assert!(bits <= 250);
    let cs = a.cs().or(b.cs());
    let c = BoolVar::new_witness(cs.clone(), || c.ok_or(SynthesisError::AssignmentMissing))?;
    let c = FrVar::from(c);
    // c = 1: b - a >= 0; c = 0: a - b - 1 >= 0
    let diff = &c * (b - a) + (FrVar::one() - &c) * (a - b - Fr::from(1u64));
    range_check(&diff, bits)?;
    let m = b + &c * (a - b);
    let out = FrVar::new_witness(cs, || m.value())?;
    out.enforce_equal(&m)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
    use proptest::prelude::*;

    fn w(cs: &ConstraintSystemRef<Fr>, v: u128) -> FrVar {
        FrVar::new_witness(cs.clone(), || Ok(Fr::from(v))).unwrap()
    }

    /// Whether the constraints hold with the prover's value `forged` in place of the honest
    /// one (every bit and remainder derived from it, as an operator would).
    fn holds(build: impl Fn(&ConstraintSystemRef<Fr>) -> GResult<FrVar>) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let _ = build(&cs).unwrap();
        cs.is_satisfied().unwrap()
    }

    #[test]
    fn the_swap_formula_matches_the_native_one() {
        let cases = [
            (1_000u128, 1_000_000u128, 1_000_000u128),
            (1, 10, 10),
            ((1 << 111) - 1, 1, (1 << 112) - 1),
        ];
        for (amount_in, x, y) in cases {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let (a, xv, yv) = (w(&cs, amount_in), w(&cs, x), w(&cs, y));
            let kept = &a * Fr::from(997u64);
            let n = &kept * &yv;
            let d = &xv * Fr::from(1000u64) + &kept;
            let out = floor_div(&n, &d, 112, 122).unwrap();
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(
                out.value().unwrap(),
                Fr::from(zkr_types::amm::swap_out(amount_in, x, y).unwrap())
            );
        }
    }

    proptest! {
        #[test]
        fn divisions_roots_and_minimums_match_native(n in 0u128..1 << 120, d in 1u128..1 << 120, a in 0u128..u128::MAX) {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let (nv, dv, av) = (w(&cs, n), w(&cs, d), w(&cs, a));
            let q = floor_div(&nv, &dv, 120, 120).unwrap();
            let c = ceil_div(&nv, &dv, 120, 120).unwrap();
            let s = isqrt(&nv, 64).unwrap();
            let m = min(&nv, &av, 128).unwrap();
            prop_assert!(cs.is_satisfied().unwrap());
            prop_assert_eq!(q.value().unwrap(), Fr::from(n / d));
            prop_assert_eq!(c.value().unwrap(), Fr::from(n.div_ceil(d)));
            prop_assert_eq!(s.value().unwrap(), Fr::from(n.isqrt()));
            prop_assert_eq!(m.value().unwrap(), Fr::from(n.min(a)));
        }

        /// The operator cannot round another way: one more or one less is refused, and so is
        /// the other side of a minimum.
        #[test]
        fn no_other_quotient_root_or_minimum(n in 1u128..1 << 120, d in 1u128..1 << 120, a in 0u128..u128::MAX) {
            let b = |v: u128| Some(BigUint::from(v));
            let (fq, cq, sq) = (n / d, n.div_ceil(d), n.isqrt());
            prop_assert!(holds(|cs| floor_div_as(&w(cs, n), &w(cs, d), 120, 120, b(fq))));
            prop_assert!(!holds(|cs| floor_div_as(&w(cs, n), &w(cs, d), 120, 120, b(fq + 1))));
            prop_assert!(!holds(|cs| ceil_div_as(&w(cs, n), &w(cs, d), 120, 120, b(cq + 1))));
            prop_assert!(!holds(|cs| isqrt_as(&w(cs, n), 64, b(sq + 1))));
            if fq > 0 {
                prop_assert!(!holds(|cs| floor_div_as(&w(cs, n), &w(cs, d), 120, 120, b(fq - 1))));
            }
            if cq > 0 {
                prop_assert!(!holds(|cs| ceil_div_as(&w(cs, n), &w(cs, d), 120, 120, b(cq - 1))));
            }
            if sq > 0 {
                prop_assert!(!holds(|cs| isqrt_as(&w(cs, n), 64, b(sq - 1))));
            }
            if n != a {
                prop_assert!(!holds(|cs| min_as(&w(cs, n), &w(cs, a), 128, Some(n > a))));
            }
        }
    }
}
