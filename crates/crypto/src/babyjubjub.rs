//! BabyJubjub in circomlib's form: the twisted Edwards curve `a*x^2 + y^2 = 1 + d*x^2*y^2` over
//! the BN254 scalar field with `a = 168700`, `d = 168696`, cofactor 8, and the generator `Base8`
//! of the prime-order subgroup. (arkworks' `ark-ed-on-bn254` uses a rescaled, isomorphic form with
//! other coordinates, so it is not used here.)

use crate::Fr;
use crate::field::fr_from_decimal;
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, Zero};
use num_bigint::BigUint;
use std::sync::OnceLock;

/// Curve coefficient `a`.
pub const A: u64 = 168700;
/// Curve coefficient `d`.
pub const D: u64 = 168696;

/// `A` and `D` as field elements (in Montgomery form at compile time, not per use).
const A_FR: Fr = ark_ff::MontFp!("168700");
const D_FR: Fr = ark_ff::MontFp!("168696");

/// Order of the prime subgroup (`subOrder` in circomlibjs).
pub const SUBGROUP_ORDER: &str =
    "2736030358979909402780800718157159386076813972158567259200215660948447373041";
const BASE8_X: &str =
    "5299619240641551281634865583518297030282874472190772894086521144482721001553";
const BASE8_Y: &str =
    "16950150798460657717958625567821834550301663161624707787222815936182638968203";

/// The subgroup order as an integer.
pub fn subgroup_order() -> &'static BigUint {
    static L: OnceLock<BigUint> = OnceLock::new();
    L.get_or_init(|| BigUint::parse_bytes(SUBGROUP_ORDER.as_bytes(), 10).expect("constant"))
}

/// An affine point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point {
    /// x coordinate.
    pub x: Fr,
    /// y coordinate.
    pub y: Fr,
}

impl Point {
    /// The neutral element (0, 1).
    pub const IDENTITY: Point = Point {
        x: Fr::ZERO,
        y: Fr::ONE,
    };

    /// circomlib's `Base8`, generator of the prime-order subgroup.
    pub fn base8() -> Point {
        static B: OnceLock<Point> = OnceLock::new();
        *B.get_or_init(|| Point {
            x: fr_from_decimal(BASE8_X).expect("constant"),
            y: fr_from_decimal(BASE8_Y).expect("constant"),
        })
    }

    /// Whether the point satisfies the curve equation.
    pub fn is_on_curve(&self) -> bool {
        let x2 = self.x.square();
        let y2 = self.y.square();
        Fr::from(A) * x2 + y2 == Fr::ONE + Fr::from(D) * x2 * y2
    }

    /// Whether `8 * self` is the identity (the point lies in the small torsion subgroup).
    pub fn has_small_order(&self) -> bool {
        Extended::from(*self).has_small_order()
    }

    /// Point addition.
    pub fn add(&self, other: &Point) -> Point {
        Extended::from(*self)
            .add(&Extended::from(*other))
            .to_affine()
    }

    /// Scalar multiplication by a little-endian integer given as bytes.
    pub fn mul_le_bytes(&self, scalar_le: &[u8]) -> Point {
        Extended::from(*self).mul_le_bytes(scalar_le).to_affine()
    }

    /// Scalar multiplication by an integer.
    pub fn mul(&self, scalar: &BigUint) -> Point {
        self.mul_le_bytes(&scalar.to_bytes_le())
    }

    /// Scalar multiplication by the canonical integer of a field element.
    pub fn mul_fr(&self, scalar: &Fr) -> Point {
        self.mul_le_bytes(&scalar.into_bigint().to_bytes_le())
    }
}

/// Extended twisted Edwards coordinates (X:Y:T:Z) with x = X/Z, y = Y/Z, T = XY/Z.
#[derive(Debug, Clone, Copy)]
pub struct Extended {
    x: Fr,
    y: Fr,
    t: Fr,
    z: Fr,
}

impl From<Point> for Extended {
    fn from(p: Point) -> Self {
        Extended {
            x: p.x,
            y: p.y,
            t: p.x * p.y,
            z: Fr::ONE,
        }
    }
}

impl Extended {
    /// The identity.
    pub const IDENTITY: Extended = Extended {
        x: Fr::ZERO,
        y: Fr::ONE,
        t: Fr::ZERO,
        z: Fr::ONE,
    };

    /// Unified addition (add-2008-hwcd), complete on BabyJubjub.
    pub fn add(&self, o: &Extended) -> Extended {
        let a = self.x * o.x;
        let b = self.y * o.y;
        let c = self.t * o.t * D_FR;
        let d = self.z * o.z;
        let e = (self.x + self.y) * (o.x + o.y) - a - b;
        let f = d - c;
        let g = d + c;
        let h = b - a * A_FR;
        Extended {
            x: e * f,
            y: g * h,
            t: e * h,
            z: f * g,
        }
    }

    /// Doubling (dbl-2008-hwcd).
    pub fn double(&self) -> Extended {
        let a = self.x.square();
        let b = self.y.square();
        let c = self.z.square().double();
        let d = a * A_FR;
        let e = (self.x + self.y).square() - a - b;
        let g = d + b;
        let f = g - c;
        let h = d - b;
        Extended {
            x: e * f,
            y: g * h,
            t: e * h,
            z: f * g,
        }
    }

    /// The inverse point.
    pub fn neg(&self) -> Extended {
        Extended {
            x: -self.x,
            y: self.y,
            t: -self.t,
            z: self.z,
        }
    }

    /// Whether `8 * self` is the identity (the point lies in the small torsion subgroup).
    pub fn has_small_order(&self) -> bool {
        self.double().double().double().is_identity()
    }

    /// Whether this is the identity.
    pub fn is_identity(&self) -> bool {
        self.x.is_zero() && self.y == self.z
    }

    /// Scalar multiplication, 4-bit fixed windows, most significant first.
    pub fn mul_le_bytes(&self, scalar_le: &[u8]) -> Extended {
        let mut table = [Extended::IDENTITY; 16];
        for i in 1..16 {
            table[i] = table[i - 1].add(self);
        }
        let mut acc = Extended::IDENTITY;
        let mut started = false;
        for byte in scalar_le.iter().rev() {
            for nibble in [byte >> 4, byte & 0x0f] {
                if started {
                    acc = acc.double().double().double().double();
                }
                if nibble != 0 {
                    acc = acc.add(&table[nibble as usize]);
                    started = true;
                }
            }
        }
        acc
    }

    /// Back to affine coordinates.
    pub fn to_affine(&self) -> Point {
        let zinv = self
            .z
            .inverse()
            .expect("complete formulas never produce Z = 0");
        Point {
            x: self.x * zinv,
            y: self.y * zinv,
        }
    }

    /// Equality of the represented points.
    pub fn eq_point(&self, o: &Extended) -> bool {
        self.x * o.z == o.x * self.z && self.y * o.z == o.y * self.z
    }
}

/// Precomputed multiples of `Base8` (`table[w][k] = k * 16^w * Base8`) for fast fixed-base
/// multiplication by scalars of up to 256 bits.
struct Base8Table(Vec<[Extended; 16]>);

fn base8_table() -> &'static Base8Table {
    static T: OnceLock<Base8Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut windows = Vec::with_capacity(64);
        let mut base = Extended::from(Point::base8());
        for _ in 0..64 {
            let mut row = [Extended::IDENTITY; 16];
            for k in 1..16 {
                row[k] = row[k - 1].add(&base);
            }
            windows.push(row);
            for _ in 0..4 {
                base = base.double();
            }
        }
        Base8Table(windows)
    })
}

/// `scalar * Base8` for a little-endian scalar of at most 32 bytes, using a precomputed table.
pub fn mul_base8_le_bytes(scalar_le: &[u8]) -> Extended {
    assert!(
        scalar_le.len() <= 32,
        "fixed-base scalars are at most 256 bits"
    );
    let table = &base8_table().0;
    let mut acc = Extended::IDENTITY;
    for (i, byte) in scalar_le.iter().enumerate() {
        let lo = (byte & 0x0f) as usize;
        let hi = (byte >> 4) as usize;
        if lo != 0 {
            acc = acc.add(&table[2 * i][lo]);
        }
        if hi != 0 {
            acc = acc.add(&table[2 * i + 1][hi]);
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base8_is_on_curve_and_has_subgroup_order() {
        let b = Point::base8();
        assert!(b.is_on_curve());
        assert!(!b.has_small_order());
        assert_eq!(b.mul(subgroup_order()), Point::IDENTITY);
    }

    #[test]
    fn add_and_double_agree() {
        let b = Point::base8();
        let two = b.add(&b);
        assert_eq!(Extended::from(b).double().to_affine(), two);
        assert_eq!(b.mul(&BigUint::from(2u32)), two);
        assert_eq!(b.mul(&BigUint::from(5u32)), two.add(&two).add(&b));
        assert!(two.is_on_curve());
    }

    #[test]
    fn fixed_base_table_matches_generic_multiplication() {
        let k =
            BigUint::parse_bytes(b"1234567890123456789012345678901234567890123456789", 10).unwrap();
        let bytes = k.to_bytes_le();
        assert_eq!(
            mul_base8_le_bytes(&bytes).to_affine(),
            Point::base8().mul(&k)
        );
    }

    #[test]
    fn small_order_points_are_detected() {
        // (0, -1) has order 2.
        let p = Point {
            x: Fr::ZERO,
            y: -Fr::ONE,
        };
        assert!(p.is_on_curve());
        assert!(p.has_small_order());
        assert!(Point::IDENTITY.has_small_order());
    }
}
