//! Packed decimal floats in R1CS (native twin: [`zkr_types::float`]): `value = m * 10^e` from
//! the packed bits `m || e` (exponent in the 5 low bits).

use super::bits::{from_bits_le, to_bits_le};
use super::{BoolVar, FrVar, GResult};
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

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::GR1CSVar;
    use ark_r1cs_std::alloc::AllocVar;
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
}
