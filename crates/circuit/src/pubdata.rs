//! Pubdata elements in R1CS (native twin: `zkr_types::op::op_elements`): each operation's bytes
//! laid out as two field elements of 31 bytes, built from its fields' variables. Fields that
//! straddle the 31-byte boundary are split using their (already range-checked) bits.

use crate::gadgets::bits::from_bits_le;
use crate::gadgets::{BoolVar, FrVar};
use ark_r1cs_std::fields::FieldVar;
use zkr_crypto::Fr;

const PIECE_BITS: usize = 248;

/// A field of an operation's pubdata.
pub struct Field<'a> {
    value: FieldValue<'a>,
    width: usize,
}

enum FieldValue<'a> {
    Var(&'a FrVar),
    Bits(&'a [BoolVar]),
    Constant(u64),
}

impl<'a> Field<'a> {
    /// A variable known to be below `2^width`, that must not straddle the boundary.
    pub fn var(v: &'a FrVar, width: usize) -> Self {
        Field {
            value: FieldValue::Var(v),
            width,
        }
    }
    /// A value given by its little-endian bits (may straddle).
    pub fn bits(b: &'a [BoolVar]) -> Self {
        Field {
            value: FieldValue::Bits(b),
            width: b.len(),
        }
    }
    /// A constant.
    pub fn constant(v: u64, width: usize) -> Self {
        Field {
            value: FieldValue::Constant(v),
            width,
        }
    }
}

fn pow2(n: usize) -> Fr {
    let mut x = Fr::from(1u64);
    for _ in 0..n {
        x.double_in_place();
    }
    x
}

use ark_ff::AdditiveGroup;

/// Lays `fields` out big-endian from bit 0 and returns the two 31-byte elements.
pub fn elements(fields: &[Field<'_>]) -> [FrVar; 2] {
    let mut e = [FrVar::zero(), FrVar::zero()];
    let mut offset = 0;
    for f in fields {
        let end = offset + f.width;
        assert!(end <= 2 * PIECE_BITS, "pubdata longer than two elements");
        if end <= PIECE_BITS || offset >= PIECE_BITS {
            let (idx, local_end) = if end <= PIECE_BITS {
                (0, end)
            } else {
                (1, end - PIECE_BITS)
            };
            let v = match &f.value {
                FieldValue::Var(v) => (*v).clone(),
                FieldValue::Bits(b) => from_bits_le(b),
                FieldValue::Constant(c) => FrVar::constant(Fr::from(*c)),
            };
            e[idx] += v * pow2(PIECE_BITS - local_end);
        } else {
            let FieldValue::Bits(bits) = &f.value else {
                panic!("a field that straddles the element boundary needs its bits")
            };
            let low_width = end - PIECE_BITS;
            e[0] += from_bits_le(&bits[low_width..]);
            e[1] += from_bits_le(&bits[..low_width]) * pow2(PIECE_BITS - low_width);
        }
        offset = end;
    }
    e
}
