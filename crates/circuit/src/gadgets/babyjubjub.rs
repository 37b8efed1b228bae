//! BabyJubjub arithmetic in R1CS (native twin: [`zkr_crypto::babyjubjub`]), affine twisted
//! Edwards with the complete addition law, whose denominators never vanish on the curve.

use super::bits::select;
use super::{BoolVar, FrVar, GResult, lin};
use ark_ff::Field;
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
use std::sync::OnceLock;
use zkr_crypto::Fr;
use zkr_crypto::babyjubjub::{A, D, Point};

/// A point as two field variables.
#[derive(Clone, Debug)]
pub struct PointVar {
    /// x.
    pub x: FrVar,
    /// y.
    pub y: FrVar,
}

fn a() -> Fr {
    Fr::from(A)
}
fn d() -> Fr {
    Fr::from(D)
}

impl PointVar {
    /// A constant point.
    pub fn constant(p: &Point) -> Self {
        PointVar {
            x: FrVar::constant(p.x),
            y: FrVar::constant(p.y),
        }
    }

    /// Enforces the curve equation (3 constraints).
    pub fn enforce_on_curve(&self) -> GResult<()> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let lhs = &x2 * a() + &y2;
        let rhs = (x2 * y2) * d() + Fr::ONE;
        lhs.enforce_equal(&rhs)
    }

    fn from_fractions(x_num: FrVar, x_den: FrVar, y_num: FrVar, y_den: FrVar) -> GResult<Self> {
        // x3 * x_den = x_num; y3 * y_den = y_num
        let cs = x_num.cs().or(y_num.cs()).or(x_den.cs()).or(y_den.cs());
        let val = |n: &FrVar, dn: &FrVar| -> Result<Fr, SynthesisError> {
            let inv = dn
                .value()?
                .inverse()
                .ok_or(SynthesisError::DivisionByZero)?;
            Ok(n.value()? * inv)
        };
        let x3 = FrVar::new_witness(cs.clone(), || val(&x_num, &x_den))?;
        let y3 = FrVar::new_witness(cs, || val(&y_num, &y_den))?;
        x3.mul_equals(&x_den, &x_num)?;
        y3.mul_equals(&y_den, &y_num)?;
        Ok(PointVar { x: x3, y: y3 })
    }

    fn from_parts(x_num: FrVar, y_num: FrVar, tau: FrVar) -> GResult<Self> {
        // x3 * (1 + tau) = x_num; y3 * (1 - tau) = y_num
        let den_x = &tau + Fr::ONE;
        let den_y = FrVar::one() - &tau;
        Self::from_fractions(x_num, den_x, y_num, den_y)
    }

    /// Complete addition (6 constraints).
    pub fn add(&self, o: &PointVar) -> GResult<PointVar> {
        let aa = &self.x * &o.x;
        let bb = &self.y * &o.y;
        let cc = (&self.x + &self.y) * (&o.x + &o.y);
        let tau = (&aa * &bb) * d();
        Self::from_parts(cc - &aa - &bb, &bb - aa * a(), tau)
    }

    /// Doubling of a point on the curve (5 constraints): `x3 = 2xy / (a x^2 + y^2)`,
    /// `y3 = (y^2 - a x^2) / (2 - a x^2 - y^2)`, which is the addition law for `self + self` with
    /// its denominators `1 +- d x^2 y^2` rewritten through the curve equation. So `self` must be on
    /// the curve (enforced by the caller, or the result of operations on such points); there the
    /// denominators never vanish.
    pub fn double(&self) -> GResult<PointVar> {
        let xx = self.x.square()?;
        let yy = self.y.square()?;
        let xy = &self.x * &self.y;
        let axx = xx * a();
        let den_x = &axx + &yy;
        let den_y = FrVar::constant(Fr::from(2u64)) - &den_x;
        Self::from_fractions(xy.double()?, den_x, yy - axx, den_y)
    }

    /// `k * self` for little-endian scalar bits (11 constraints per bit, plus 11 for the table):
    /// two bits at a time from the most significant, each step doubling twice and adding the
    /// window's entry of {identity, self, 2 self, 3 self}, which its two bits select. `self` must
    /// be on the curve; every other point is then a multiple of it, and every sum a complete
    /// addition of points on the curve.
    pub fn mul_bits(&self, bits_le: &[BoolVar]) -> GResult<PointVar> {
        let q2 = self.double()?;
        let q3 = q2.add(self)?;
        let entry = |w: &[BoolVar]| -> GResult<PointVar> {
            let lo = &w[0];
            let x_lo = select(lo, &self.x, &FrVar::zero())?;
            let y_lo = select(lo, &self.y, &FrVar::one())?;
            let Some(hi) = w.get(1) else {
                return Ok(PointVar { x: x_lo, y: y_lo });
            };
            let x_hi = select(lo, &q3.x, &q2.x)?;
            let y_hi = select(lo, &q3.y, &q2.y)?;
            Ok(PointVar {
                x: select(hi, &x_hi, &x_lo)?,
                y: select(hi, &y_hi, &y_lo)?,
            })
        };
        let mut windows = bits_le.chunks(2).rev();
        let Some(top) = windows.next() else {
            return Ok(PointVar::constant(&Point::IDENTITY));
        };
        let mut acc = entry(top)?;
        for w in windows {
            acc = acc.double()?.double()?.add(&entry(w)?)?;
        }
        Ok(acc)
    }

    /// `k * base` for a constant base given by its [`FixedBase`] table and little-endian scalar
    /// bits (at most the table's): three bits at a time, each window's multiple of the base read
    /// from the table as a polynomial in its bits (4 constraints for the products of the bits) and
    /// added (6), so about 3.3 constraints per bit.
    pub fn mul_fixed_bits(table: &FixedBase, bits_le: &[BoolVar]) -> GResult<PointVar> {
        assert!(
            bits_le.len() <= 3 * table.windows.len(),
            "{} scalar bits for a table of {} windows",
            bits_le.len(),
            table.windows.len()
        );
        let mut acc: Option<PointVar> = None;
        for (w, coeffs) in bits_le.chunks(3).zip(&table.windows) {
            // monomial s (a bit mask over the window's bits) = product of the bits in s
            let mut monomials: Vec<(usize, FrVar)> = Vec::with_capacity(7);
            for (i, b) in w.iter().enumerate() {
                let b = FrVar::from(b.clone());
                let mut products = Vec::with_capacity(monomials.len());
                for (s, m) in &monomials {
                    products.push((s | 1 << i, m * &b));
                }
                monomials.push((1 << i, b));
                monomials.extend(products);
            }
            let vars: Vec<FrVar> = monomials.iter().map(|(_, m)| m.clone()).collect();
            let coord = |c: &[Fr; 8]| {
                let cs: Vec<Fr> = monomials.iter().map(|(s, _)| c[*s]).collect();
                lin(&cs, &vars, c[0])
            };
            let p = PointVar {
                x: coord(&coeffs[0]),
                y: coord(&coeffs[1]),
            };
            acc = Some(match acc {
                None => p,
                Some(acc) => acc.add(&p)?,
            });
        }
        Ok(acc.unwrap_or_else(|| PointVar::constant(&Point::IDENTITY)))
    }
}

/// The multiples of a constant point that [`PointVar::mul_fixed_bits`] reads: for window `j` of
/// three scalar bits `(b0, b1, b2)`, the coordinates of `(b0 + 2 b1 + 4 b2) * 8^j * base` as
/// multilinear polynomials in the bits, coefficient `s` belonging to the product of the bits in
/// the mask `s` (exact on every 0/1 input, so the table needs no constraints).
#[derive(Clone, Debug)]
pub struct FixedBase {
    windows: Vec<[[Fr; 8]; 2]>,
}

impl FixedBase {
    /// The table of `base` for scalars of up to `bits` bits.
    pub fn new(base: &Point, bits: usize) -> Self {
        let mut windows = Vec::with_capacity(bits.div_ceil(3));
        let mut step = *base;
        for _ in 0..bits.div_ceil(3) {
            let mut t = [Point::IDENTITY; 8];
            for v in 1..8 {
                t[v] = t[v - 1].add(&step);
            }
            // Moebius inversion over the subsets: c_s = sum over t in s of (-1)^|s \ t| f(t).
            let coefficient = |s: usize, coordinate: fn(&Point) -> Fr| -> Fr {
                t.iter()
                    .enumerate()
                    .filter(|(sub, _)| sub & !s == 0)
                    .map(|(sub, p)| {
                        let v = coordinate(p);
                        if (s & !sub).count_ones() % 2 == 1 {
                            -v
                        } else {
                            v
                        }
                    })
                    .sum()
            };
            let c = [
                std::array::from_fn(|s| coefficient(s, |p| p.x)),
                std::array::from_fn(|s| coefficient(s, |p| p.y)),
            ];
            windows.push(c);
            step = t[7].add(&step);
        }
        FixedBase { windows }
    }

    /// The table of circomlib's `Base8` for scalars below `2^253` (the `S` of a signature).
    pub fn base8() -> &'static FixedBase {
        static T: OnceLock<FixedBase> = OnceLock::new();
        T.get_or_init(|| FixedBase::new(&Point::base8(), 253))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::bits::to_bits_le_full;
    use ark_ff::{AdditiveGroup, BigInteger, PrimeField};
    use ark_relations::gr1cs::ConstraintSystem;
    use num_bigint::BigUint;

    fn point_var(cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>, p: &Point) -> PointVar {
        PointVar {
            x: FrVar::new_witness(cs.clone(), || Ok(p.x)).unwrap(),
            y: FrVar::new_witness(cs.clone(), || Ok(p.y)).unwrap(),
        }
    }

    /// Points of every order: the identity, the subgroup's, small torsion of orders 8, 4 and 2,
    /// and a point with both parts.
    fn points() -> Vec<Point> {
        let base = Point::base8();
        let l = zkr_crypto::babyjubjub::subgroup_order();
        let (ca, cd) = (
            Fr::from(zkr_crypto::babyjubjub::A),
            Fr::from(zkr_crypto::babyjubjub::D),
        );
        // l * (a point of the full group) is a torsion point; take one of order 8
        let t8 = (1u64..)
            .find_map(|x| {
                let x = Fr::from(x);
                let y = ((Fr::ONE - ca * x * x) / (Fr::ONE - cd * x * x)).sqrt()?;
                let t = Point { x, y }.mul(l);
                let t4 = t.add(&t).add(&t.add(&t));
                (t4 != Point::IDENTITY).then_some(t)
            })
            .unwrap();
        let t4 = t8.add(&t8);
        let t2 = t4.add(&t4);
        let sub = base.mul(&BigUint::from(123_456_789u64));
        let t = vec![Point::IDENTITY, sub, t8, t4, t2, sub.add(&t8)];
        assert!(t.iter().all(Point::is_on_curve));
        assert_ne!(t2, Point::IDENTITY);
        t
    }

    #[test]
    fn doubling_is_addition_to_itself() {
        for p in points() {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let pv = point_var(&cs, &p);
            let before = cs.num_constraints();
            let d = pv.double().unwrap();
            assert_eq!(cs.num_constraints() - before, 5);
            let e = p.add(&p);
            assert_eq!((d.x.value().unwrap(), d.y.value().unwrap()), (e.x, e.y));
            assert!(cs.is_satisfied().unwrap());
        }
        // the result is pinned: any other claimed x3 or y3 is refused
        for p in points() {
            assert_result_is_pinned(|cs| point_var(cs, &p).double().unwrap());
        }
    }

    /// Adds `by` to the witness behind `v`, after synthesis: the constraints are inlined and their
    /// cached values dropped, so satisfaction is evaluated from the changed witness.
    fn nudge(cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>, v: &FrVar, by: Fr) {
        let FrVar::Var(a) = v else {
            panic!("a constant")
        };
        let i = a.variable.index().expect("a witness");
        cs.finalize();
        let mut inner = cs.borrow_mut().unwrap();
        inner.assignments.lc_assignment.clear();
        inner.assignments.witness_assignment[i] += by;
    }

    /// Builds a point-valued gadget and asserts that changing either coordinate of its result
    /// breaks the constraints.
    fn assert_result_is_pinned(
        gadget: impl Fn(&ark_relations::gr1cs::ConstraintSystemRef<Fr>) -> PointVar,
    ) {
        for coordinate in 0..2 {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let r = gadget(&cs);
            assert!(cs.is_satisfied().unwrap());
            nudge(&cs, if coordinate == 0 { &r.x } else { &r.y }, Fr::ONE);
            assert!(
                !cs.is_satisfied().unwrap(),
                "coordinate {coordinate} is free"
            );
        }
    }

    fn bit_vars(
        cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>,
        k: u64,
        n: usize,
    ) -> Vec<BoolVar> {
        (0..n)
            .map(|i| BoolVar::new_witness(cs.clone(), || Ok(k >> i & 1 == 1)).unwrap())
            .collect()
    }

    /// Either multiplication's result is pinned, for odd and even bit counts.
    #[test]
    fn multiplication_results_are_pinned() {
        let ps = points();
        for n in [7, 8] {
            for p in [ps[1], ps[5]] {
                assert_result_is_pinned(|cs| {
                    point_var(cs, &p)
                        .mul_bits(&bit_vars(cs, 0b1011_0110, n))
                        .unwrap()
                });
                let table = FixedBase::new(&p, n);
                assert_result_is_pinned(|cs| {
                    PointVar::mul_fixed_bits(&table, &bit_vars(cs, 0b0101_1001, n)).unwrap()
                });
            }
        }
    }

    fn scalars() -> Vec<Fr> {
        let l = zkr_crypto::field::fr_from_decimal(zkr_crypto::babyjubjub::SUBGROUP_ORDER).unwrap();
        let mut k = vec![
            Fr::ZERO,
            Fr::ONE,
            Fr::from(2u64),
            Fr::from(3u64),
            l - Fr::ONE,
            l,
            -Fr::ONE,
        ];
        // full-size scalars, pseudo-random
        k.extend((0..4u64).map(|i| zkr_crypto::poseidon::hash([Fr::from(i)])));
        k
    }

    /// Multiplies `p` by the `n` low bits of `k` with `multiply` (given the constraint system and
    /// the bits), asserts the result is the native product and the constraints hold, and returns
    /// the constraints the multiplication added.
    fn check_product(
        k: Fr,
        n: usize,
        p: &Point,
        multiply: impl Fn(&ark_relations::gr1cs::ConstraintSystemRef<Fr>, &[BoolVar]) -> PointVar,
    ) -> usize {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let kv = FrVar::new_witness(cs.clone(), || Ok(k)).unwrap();
        let bits = to_bits_le_full(&kv).unwrap();
        let before = cs.num_constraints();
        let r = multiply(&cs, &bits[..n]);
        let cost = cs.num_constraints() - before;
        let low =
            BigUint::from_bytes_le(&k.into_bigint().to_bytes_le()) % (BigUint::from(1u8) << n);
        let expected = p.mul(&low);
        assert_eq!(
            (r.x.value().unwrap(), r.y.value().unwrap()),
            (expected.x, expected.y),
            "{k} * {p:?}, {n} bits"
        );
        assert!(cs.is_satisfied().unwrap());
        cost
    }

    #[test]
    fn variable_base_multiplication_matches_native() {
        for p in points() {
            for k in scalars() {
                for n in [254, 253, 1, 2, 3] {
                    // the point's two coordinates are witnesses too: 0 constraints
                    let cost = check_product(k, n, &p, |cs, bits| {
                        point_var(cs, &p).mul_bits(bits).unwrap()
                    });
                    if n == 254 {
                        assert_eq!(cost, 11 + 6 * 127 + 16 * 126);
                    }
                }
            }
        }
    }

    #[test]
    fn fixed_base_multiplication_matches_native() {
        let other = points()[5];
        let other_table = FixedBase::new(&other, 254);
        for k in scalars() {
            for n in [253, 251, 250, 1, 2, 3, 4] {
                for (p, t) in [(Point::base8(), FixedBase::base8()), (other, &other_table)] {
                    let cost = check_product(k, n, &p, |_, bits| {
                        PointVar::mul_fixed_bits(t, bits).unwrap()
                    });
                    if n == 251 {
                        assert_eq!(cost, 83 * 4 + 1 + 83 * 6);
                    }
                }
            }
        }
    }

    #[test]
    fn off_curve_points_are_rejected() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let p = Point {
            x: Fr::from(1u64),
            y: Fr::from(2u64),
        };
        point_var(&cs, &p).enforce_on_curve().unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
