//! The BN254 scalar field (the base field of BabyJubjub), and strict conversions to and from it.

use crate::CryptoError;
use ark_ff::{BigInteger, PrimeField};
use num_bigint::BigUint;

/// An element of the BN254 scalar field `r = 21888242871839275222246405745257275088548364400416034343698204186575808495617`.
pub type Fr = ark_bn254::Fr;

/// Parses a decimal string into a field element, rejecting anything that is not a canonical
/// decimal integer below the modulus (no sign, no whitespace, no hex, no reduction).
pub fn fr_from_decimal(s: &str) -> Result<Fr, CryptoError> {
    let bad = || CryptoError::InvalidFieldElement(s.to_string());
    if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let v = BigUint::parse_bytes(s.as_bytes(), 10).ok_or_else(bad)?;
    fr_from_biguint(&v).ok_or_else(bad)
}

/// Converts an integer to a field element if it is below the modulus.
pub fn fr_from_biguint(v: &BigUint) -> Option<Fr> {
    let modulus: BigUint = Fr::MODULUS.into();
    if *v >= modulus {
        return None;
    }
    Some(Fr::from_le_bytes_mod_order(&v.to_bytes_le()))
}

/// The canonical integer of a field element.
pub fn fr_to_biguint(x: &Fr) -> BigUint {
    x.into_bigint().into()
}

/// The canonical decimal string of a field element.
pub fn fr_to_decimal(x: &Fr) -> String {
    fr_to_biguint(x).to_str_radix(10)
}

/// 32 bytes big-endian of the canonical integer.
pub fn fr_to_be_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// Interprets big-endian bytes (at most 31, so the value is always below the modulus).
pub fn fr_from_be_bytes_short(bytes: &[u8]) -> Fr {
    debug_assert!(bytes.len() <= 31);
    Fr::from_be_bytes_mod_order(bytes)
}

/// Parses a field element from 32 bytes little-endian, rejecting non-canonical encodings.
pub fn fr_from_le_bytes_canonical(bytes: &[u8; 32]) -> Option<Fr> {
    fr_from_biguint(&BigUint::from_bytes_le(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trip_and_rejections() {
        let p_minus_1 =
            "21888242871839275222246405745257275088548364400416034343698204186575808495616";
        let x = fr_from_decimal(p_minus_1).unwrap();
        assert_eq!(fr_to_decimal(&x), p_minus_1);
        assert_eq!(fr_from_decimal("0").unwrap(), Fr::from(0u64));
        for bad in [
            "",
            "-1",
            " 1",
            "0x10",
            "1.5",
            "21888242871839275222246405745257275088548364400416034343698204186575808495617",
            "99999999999999999999999999999999999999999999999999999999999999999999999999999",
        ] {
            assert!(fr_from_decimal(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn be_bytes() {
        let x = Fr::from(0x0102u64);
        let b = fr_to_be_bytes(&x);
        assert_eq!(&b[30..], &[1, 2]);
        assert_eq!(fr_from_be_bytes_short(&[1, 2]), x);
    }
}
