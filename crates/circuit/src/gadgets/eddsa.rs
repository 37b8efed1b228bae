//! EdDSA-Poseidon verification in R1CS (native twin: [`zkr_crypto::eddsa::verify`]):
//! `8 * (S * Base8 - R8 - hm * (8 * A))` is the identity (the cofactored equation, which
//! [`zkr_crypto::eddsa::verify_batch`] checks too) with `hm = Poseidon(R8.x, R8.y, A.x, A.y, M)`, both
//! points on the curve, `8 * A` not the identity, and `S < l`. When `enabled` is false the equation and
//! the small-order check are not enforced (the slot holds no signed transaction), but every
//! value is still computed, so the constraint count does not depend on the operation.

use super::babyjubjub::{FixedBase, PointVar};
use super::bits::{to_bits_le, to_bits_le_full};
use super::poseidon::poseidon;
use super::{BoolVar, FrVar, GResult};
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
use zkr_crypto::Fr;
use zkr_crypto::babyjubjub::SUBGROUP_ORDER;
use zkr_crypto::field::fr_from_decimal;

/// Bits of `S` (`l < 2^251`).
const S_BITS: usize = 251;

/// Verifies a signature of `message` by `public` when `enabled`.
pub fn verify(
    enabled: &BoolVar,
    public: &PointVar,
    r8: &PointVar,
    s: &FrVar,
    message: &FrVar,
) -> GResult<()> {
    public.enforce_on_curve()?;
    r8.enforce_on_curve()?;
    let a8 = public.double()?.double()?.double()?;
    // 8A is not the identity: its x is invertible (the identity and all small-order points
    // become (0, 1) after multiplying by the cofactor).
    let cs = a8.x.cs();
    let inv = FrVar::new_witness(cs, || {
        let en = enabled.value()?;
        let x = a8.x.value()?;
        Ok(if en {
            x.inverse()
                .ok_or(SynthesisError::Unsatisfiable)
                .unwrap_or(Fr::ZERO)
        } else {
            Fr::ZERO
        })
    })?;
    a8.x.mul_equals(&inv, &FrVar::from(enabled.clone()))?;
    // S < l: S fits 251 bits and so does l - 1 - S.
    let s_bits = to_bits_le(s, S_BITS)?;
    let l_minus_1 = fr_from_decimal(SUBGROUP_ORDER).expect("constant") - Fr::ONE;
    to_bits_le(&(FrVar::constant(l_minus_1) - s), S_BITS)?;
    let hm = poseidon(&[
        r8.x.clone(),
        r8.y.clone(),
        public.x.clone(),
        public.y.clone(),
        message.clone(),
    ])?;
    let hm_bits = to_bits_le_full(&hm)?;
    let left = PointVar::mul_fixed_bits(FixedBase::base8(), &s_bits)?;
    let right = r8.add(&a8.mul_bits(&hm_bits)?)?;
    // 8 * (left - right) is the identity (0, 1): all points are on the curve, where the
    // addition law is complete, so this is exactly the native cofactored equation.
    let minus_right = PointVar {
        x: right.x.negate()?,
        y: right.y,
    };
    let d = left.add(&minus_right)?.double()?.double()?.double()?;
    d.x.conditional_enforce_equal(&FrVar::zero(), enabled)?;
    d.y.conditional_enforce_equal(&FrVar::one(), enabled)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;
    use zkr_crypto::babyjubjub::Point;
    use zkr_crypto::eddsa::PrivateKey;

    fn run(enabled: bool, public: Point, r8: Point, s: Fr, msg: Fr) -> (bool, usize) {
        let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
        let w = |v: Fr| FrVar::new_witness(cs.clone(), || Ok(v)).unwrap();
        let pv = |p: Point| PointVar {
            x: w(p.x),
            y: w(p.y),
        };
        let en = BoolVar::new_witness(cs.clone(), || Ok(enabled)).unwrap();
        let (pa, pr, sv, mv) = (pv(public), pv(r8), w(s), w(msg));
        let before = cs.num_constraints();
        verify(&en, &pa, &pr, &sv, &mv).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints() - before)
    }

    #[test]
    fn accepts_valid_and_rejects_tampered_signatures() {
        let key = PrivateKey::from_bytes([5u8; 32]);
        let a = key.public();
        let msg = Fr::from(77u64);
        let sig = key.sign(&msg);
        let (ok, n) = run(true, a, sig.r8, sig.s, msg);
        assert!(ok);
        println!("eddsa verify: {n} constraints");
        assert!(
            !run(true, a, sig.r8, sig.s, msg + Fr::ONE).0,
            "wrong message"
        );
        assert!(!run(true, a, sig.r8, sig.s + Fr::ONE, msg).0, "wrong S");
        let l = fr_from_decimal(SUBGROUP_ORDER).unwrap();
        assert!(!run(true, a, sig.r8, sig.s + l, msg).0, "non-canonical S");
        let other = PrivateKey::from_bytes([6u8; 32]).public();
        assert!(!run(true, other, sig.r8, sig.s, msg).0, "wrong key");
        let bad_r = Point {
            x: sig.r8.x + Fr::ONE,
            y: sig.r8.y,
        };
        assert!(!run(true, a, bad_r, sig.s, msg).0, "R8 off the curve");
        // small-order key with a "signature" that satisfies the equation trivially
        let order2 = Point {
            x: Fr::ZERO,
            y: -Fr::ONE,
        };
        assert!(
            !run(true, order2, Point::IDENTITY, Fr::ZERO, msg).0,
            "small-order key"
        );
        assert!(
            !run(true, Point::IDENTITY, Point::IDENTITY, Fr::ZERO, msg).0,
            "identity key"
        );
        // R8 with a small-order component, re-signed by the key's owner: the cofactored equation
        // holds, as natively (`zkr_crypto::eddsa` documents why); without re-signing it fails.
        let (at, sigt) =
            zkr_crypto::eddsa::tests_support::torsioned(987_654_321, 123_456_789, &msg);
        assert_eq!(zkr_crypto::eddsa::verify(&at, &msg, &sigt), Ok(()));
        assert!(
            run(true, at, sigt.r8, sigt.s, msg).0,
            "cofactored: torsioned R8"
        );
        let honest = Point::base8().mul(&num_bigint::BigUint::from(123_456_789u64));
        assert!(
            !run(true, at, honest, sigt.s, msg).0,
            "the same S for R8 without the torsion"
        );
        // disabled: a garbage (but on-curve) signature is fine
        assert!(run(false, Point::IDENTITY, Point::IDENTITY, Fr::ZERO, msg).0);
        assert!(run(false, a, sig.r8, sig.s + Fr::ONE, msg).0);
        let _ = ConstraintSystem::<Fr>::new_ref();
    }
}
