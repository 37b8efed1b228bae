//! Packed decimal floats for amounts and fees (`docs/protocol.md` §4.8).

use crate::TypesError;

/// Mantissa bits of a packed amount.
pub const AMOUNT_MANTISSA_BITS: u32 = 35;
/// Mantissa bits of a packed fee.
pub const FEE_MANTISSA_BITS: u32 = 11;
/// Exponent bits of both.
pub const EXPONENT_BITS: u32 = 5;
/// Bytes of a packed amount.
pub const AMOUNT_BYTES: usize = 5;
/// Bytes of a packed fee.
pub const FEE_BYTES: usize = 2;

fn pack(value: u128, mantissa_bits: u32) -> Option<u64> {
    let max_mantissa = (1u128 << mantissa_bits) - 1;
    let max_exp = (1u32 << EXPONENT_BITS) - 1;
    let (mut m, mut e) = (value, 0u32);
    while m > 0 && m.is_multiple_of(10) && e < max_exp {
        m /= 10;
        e += 1;
    }
    (m <= max_mantissa).then(|| ((m as u64) << EXPONENT_BITS) | u64::from(e))
}

fn unpack(packed: u64, mantissa_bits: u32) -> Result<u128, TypesError> {
    debug_assert!(packed >> (mantissa_bits + EXPONENT_BITS) == 0);
    let e = (packed & ((1 << EXPONENT_BITS) - 1)) as u32;
    let m = u128::from(packed >> EXPONENT_BITS);
    10u128
        .checked_pow(e)
        .and_then(|p| m.checked_mul(p))
        .ok_or(TypesError::PackedOverflow)
}

/// Packs an amount (40 bits), canonically.
pub fn pack_amount(value: u128) -> Result<u64, TypesError> {
    pack(value, AMOUNT_MANTISSA_BITS).ok_or(TypesError::AmountNotPackable(value))
}

/// Unpacks a 40-bit amount.
pub fn unpack_amount(packed: u64) -> Result<u128, TypesError> {
    if packed >> (AMOUNT_MANTISSA_BITS + EXPONENT_BITS) != 0 {
        return Err(TypesError::Invalid(format!(
            "packed amount {packed:#x} wider than 40 bits"
        )));
    }
    unpack(packed, AMOUNT_MANTISSA_BITS)
}

/// Packs a fee (16 bits), canonically.
pub fn pack_fee(value: u128) -> Result<u16, TypesError> {
    pack(value, FEE_MANTISSA_BITS)
        .map(|p| p as u16)
        .ok_or(TypesError::FeeNotPackable(value))
}

/// Unpacks a 16-bit fee.
pub fn unpack_fee(packed: u16) -> u128 {
    unpack(u64::from(packed), FEE_MANTISSA_BITS).expect("2^11 * 10^31 fits in u128")
}

/// Whether an amount is exactly representable.
pub fn is_amount_packable(value: u128) -> bool {
    pack(value, AMOUNT_MANTISSA_BITS).is_some()
}

/// Whether a fee is exactly representable.
pub fn is_fee_packable(value: u128) -> bool {
    pack(value, FEE_MANTISSA_BITS).is_some()
}

/// The closest packable amount not above `value` (for wallets that round down).
pub fn round_down_amount(value: u128) -> u128 {
    round_down(value, AMOUNT_MANTISSA_BITS)
}

/// The closest packable fee not below `value` (fees round up so the operator is paid).
/// Values above `2047 * 10^31` have no packable fee at or above them and saturate there.
pub fn round_up_fee(value: u128) -> u128 {
    let max = (1u128 << FEE_MANTISSA_BITS) - 1;
    let largest = max * 10u128.pow(31);
    if value >= largest {
        return largest;
    }
    let mut scale = 1u128;
    while value / scale > max {
        scale *= 10;
    }
    if value.is_multiple_of(scale) {
        return value;
    }
    let mut m = value / scale + 1;
    if m > max {
        scale *= 10;
        m = value / scale + 1;
    }
    m * scale
}

fn round_down(value: u128, mantissa_bits: u32) -> u128 {
    let max_mantissa = (1u128 << mantissa_bits) - 1;
    let (mut m, mut scale) = (value, 1u128);
    while m > max_mantissa {
        m /= 10;
        scale *= 10;
    }
    m * scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn documented_examples() {
        assert_eq!(pack_amount(0).unwrap(), 0);
        assert_eq!(pack_amount(10u128.pow(18)).unwrap(), (1 << 5) | 18);
        assert!(pack_amount(123_456_789_012_345_678).is_err());
        assert_eq!(pack_amount((1 << 35) - 1).unwrap(), ((1u64 << 35) - 1) << 5);
        assert!(pack_amount(1 << 35).is_err());
        assert_eq!(pack_fee(2047).unwrap(), 2047 << 5);
        assert!(pack_fee(2049).is_err());
        assert_eq!(pack_fee(20_000_000_000_000).unwrap(), (2 << 5) | 13);
    }

    #[test]
    fn overflowing_packed_values_are_rejected() {
        // mantissa 2^35-1 with exponent 31 is far above 2^128.
        let packed = (((1u64 << 35) - 1) << 5) | 31;
        assert_eq!(unpack_amount(packed), Err(TypesError::PackedOverflow));
        assert!(unpack_amount(1 << 40).is_err());
    }

    #[test]
    fn rounding() {
        assert_eq!(
            round_down_amount(123_456_789_012_345_678),
            123_456_789_010_000_000
        );
        assert!(is_amount_packable(round_down_amount(u128::MAX)));
        assert_eq!(round_up_fee(2049), 2050);
        assert_eq!(round_up_fee(123_456), 123_500);
        assert_eq!(round_up_fee(100), 100);
    }

    proptest! {
        #[test]
        fn pack_unpack_round_trip(m in 0u128..(1 << 35), e in 0u32..=20) {
            let v = m * 10u128.pow(e);
            let p = pack_amount(v).unwrap();
            prop_assert_eq!(unpack_amount(p).unwrap(), v);
        }

        #[test]
        fn packing_is_exact_or_refused(v in any::<u128>()) {
            match pack_amount(v) {
                Ok(p) => prop_assert_eq!(unpack_amount(p).unwrap(), v),
                Err(_) => prop_assert!(round_down_amount(v) < v),
            }
            let d = round_down_amount(v);
            prop_assert!(d <= v && is_amount_packable(d));
        }

        #[test]
        fn fee_round_up_is_packable_and_not_lower(v in 0u128..(1u128 << 100)) {
            let u = round_up_fee(v);
            prop_assert!(u >= v && is_fee_packable(u));
            prop_assert_eq!(unpack_fee(pack_fee(u).unwrap()), u);
        }
    }
}
