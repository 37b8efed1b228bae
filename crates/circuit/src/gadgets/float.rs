//! Packed decimal floats in R1CS (native twin: [`zkr_types::float`]): `value = m * 10^e` from
//! the packed bits `m || e` (exponent in the 5 low bits).

use super::bits::{from_bits_le, range_check, to_bits_le};
use super::{BoolVar, FrVar, GResult};
use ark_ff::PrimeField;
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use zkr_crypto::Fr;
use zkr_types::float::EXPONENT_BITS;

/// A packed float: its bits (little-endian) and its value.
#[derive(Clone, Debug)]
pub struct FloatVar {
    /// The packed integer.
    pub packed: FrVar,
    /// Its bits, little-endian (exponent first).
    pub bits: Vec<BoolVar>,
    /// `m * 10^e`.
    pub value: FrVar,
}

/// Unpacks a `mantissa_bits + 5`-bit packed float, range-checking it
/// (`mantissa_bits + 6 + 5` constraints).
pub fn unpack(packed: &FrVar, mantissa_bits: usize) -> GResult<FloatVar> {
    let bits = to_bits_le(packed, mantissa_bits + EXPONENT_BITS as usize)?;
    let (exp, mant) = bits.split_at(EXPONENT_BITS as usize);
    let mut pow = FrVar::one();
    let mut ten_pow = Fr::from(10u64);
    for b in exp {
        // pow *= b ? 10^(2^i) : 1
        let factor = FrVar::one() + FrVar::from(b.clone()) * (ten_pow - Fr::from(1u64));
        pow *= factor;
        ten_pow *= ten_pow;
    }
    let value = from_bits_le(mant) * pow;
    Ok(FloatVar {
        packed: packed.clone(),
        bits,
        value,
    })
}

/// Enforces the canonical packing of §4.8: a zero mantissa has exponent 0, and a non-zero
/// mantissa divisible by 10 only comes with the largest exponent (31). Costs about
/// `mantissa_bits + 17` constraints.
pub fn enforce_canonical(f: &FloatVar) -> GResult<()> {
    let (exp, mant) = f.bits.split_at(EXPONENT_BITS as usize);
    let m = from_bits_le(mant);
    let e = from_bits_le(exp);
    let m_zero = m.is_zero()?;
    FrVar::from(m_zero.clone()).mul_equals(&e, &FrVar::zero())?;
    // m = 10 q + r with 0 <= r <= 9: q has 3 bits fewer than m, so there is no wrap-around.
    let cs = m.cs();
    let divided = || -> GResult<(u64, u64)> {
        let v = m.value()?.into_bigint().0[0];
        Ok((v / 10, v % 10))
    };
    let q = FrVar::new_witness(cs.clone(), || Ok(Fr::from(divided()?.0)))?;
    let r = FrVar::new_witness(cs, || Ok(Fr::from(divided()?.1)))?;
    range_check(&q, mant.len() - 3)?;
    range_check(&r, 4)?;
    range_check(&(&r + Fr::from(6u64)), 4)?;
    (q * Fr::from(10u64) + &r).enforce_equal(&m)?;
    let max_exp = (1u64 << EXPONENT_BITS) - 1;
    let e_max = e.is_eq(&FrVar::constant(Fr::from(max_exp)))?;
    let divisible_nonzero = FrVar::from(r.is_zero()?) * (FrVar::one() - FrVar::from(m_zero));
    divisible_nonzero.mul_equals(&(FrVar::one() - FrVar::from(e_max)), &FrVar::zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;
    use zkr_types::float::{pack_amount, pack_fee, unpack_amount, unpack_fee};

    #[test]
    fn unpacks_like_native() {
        for v in [
            0u128,
            1,
            10u128.pow(18),
            123_456_789,
            34_359_738_367 * 10u128.pow(20),
        ] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let p = pack_amount(v).unwrap();
            let pv = FrVar::new_witness(cs.clone(), || Ok(Fr::from(p))).unwrap();
            let f = unpack(&pv, 35).unwrap();
            assert_eq!(
                f.value.value().unwrap(),
                Fr::from(unpack_amount(p).unwrap())
            );
            assert!(cs.is_satisfied().unwrap());
        }
        let cs = ConstraintSystem::<Fr>::new_ref();
        let p = pack_fee(1_230_000).unwrap();
        let pv = FrVar::new_witness(cs.clone(), || Ok(Fr::from(p))).unwrap();
        assert_eq!(
            unpack(&pv, 11).unwrap().value.value().unwrap(),
            Fr::from(unpack_fee(p))
        );
        // a 41-bit "packed amount" does not fit
        let cs = ConstraintSystem::<Fr>::new_ref();
        let pv = FrVar::new_witness(cs.clone(), || Ok(Fr::from(1u64 << 40))).unwrap();
        unpack(&pv, 35).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    fn canonical(packed: u64, mantissa_bits: usize) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let pv = FrVar::new_witness(cs.clone(), || Ok(Fr::from(packed))).unwrap();
        enforce_canonical(&unpack(&pv, mantissa_bits).unwrap()).unwrap();
        cs.is_satisfied().unwrap()
    }

    #[test]
    fn accepts_exactly_the_native_canonical_packing() {
        // Every value's native packing is canonical in-circuit.
        for v in [
            0u128,
            1,
            9,
            10,
            11,
            100,
            123_000,
            10u128.pow(18),
            5 * 10u128.pow(31),
        ] {
            assert!(canonical(pack_amount(v).unwrap(), 35), "{v}");
        }
        for v in [0u128, 7, 2_040, 10u128.pow(31) * 2_000] {
            assert!(canonical(u64::from(pack_fee(v).unwrap()), 11), "{v}");
        }
        // Packed values no native packing produces: m * 10^e with 10 | m and e < 31, or zero
        // with a non-zero exponent.
        let packed = |m: u64, e: u64| (m << 5) | e;
        for (m, e) in [(10, 0), (10, 17), (1_000, 3), (0, 1), (0, 31)] {
            let v = u128::from(m) * 10u128.pow(e as u32);
            assert_ne!(
                pack_amount(v).unwrap(),
                packed(m, e),
                "not the native packing"
            );
            assert!(!canonical(packed(m, e), 35), "m = {m}, e = {e}");
        }
        // The largest exponent may keep a mantissa divisible by 10 (it cannot grow).
        assert_eq!(pack_amount(10 * 10u128.pow(31)).unwrap(), packed(10, 31));
        assert!(canonical(packed(10, 31), 35));
        assert!(!canonical(u64::from(packed(20, 2) as u16), 11));
    }
}
