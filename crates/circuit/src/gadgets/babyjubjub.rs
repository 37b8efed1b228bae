//! BabyJubjub arithmetic in R1CS (native twin: [`zkr_crypto::babyjubjub`]), affine twisted
//! Edwards with the complete addition law, whose denominators never vanish on the curve.

use super::{BoolVar, FrVar, GResult};
use ark_ff::Field;
use ark_r1cs_std::GR1CSVar;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
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

    fn from_parts(x_num: FrVar, y_num: FrVar, tau: FrVar) -> GResult<Self> {
        // x3 * (1 + tau) = x_num; y3 * (1 - tau) = y_num
        let cs = x_num.cs().or(y_num.cs()).or(tau.cs());
        let den_x = &tau + Fr::ONE;
        let den_y = FrVar::one() - &tau;
        let val = |n: &FrVar, dn: &FrVar| -> Result<Fr, SynthesisError> {
            let inv = dn
                .value()?
                .inverse()
                .ok_or(SynthesisError::DivisionByZero)?;
            Ok(n.value()? * inv)
        };
        let x3 = FrVar::new_witness(cs.clone(), || val(&x_num, &den_x))?;
        let y3 = FrVar::new_witness(cs, || val(&y_num, &den_y))?;
        x3.mul_equals(&den_x, &x_num)?;
        y3.mul_equals(&den_y, &y_num)?;
        Ok(PointVar { x: x3, y: y3 })
    }

    /// Complete addition (6 constraints).
    pub fn add(&self, o: &PointVar) -> GResult<PointVar> {
        let aa = &self.x * &o.x;
        let bb = &self.y * &o.y;
        let cc = (&self.x + &self.y) * (&o.x + &o.y);
        let tau = (&aa * &bb) * d();
        Self::from_parts(cc - &aa - &bb, &bb - aa * a(), tau)
    }

    /// Doubling (6 constraints).
    pub fn double(&self) -> GResult<PointVar> {
        self.add(self)
    }

    /// `cond ? self + o : self`, with `o` selected against the identity (8 constraints).
    pub fn add_if(&self, cond: &BoolVar, o: &PointVar) -> GResult<PointVar> {
        let c = FrVar::from(cond.clone());
        let ox = &c * &o.x;
        let oy = FrVar::one() + &c * (&o.y - Fr::ONE);
        self.add(&PointVar { x: ox, y: oy })
    }

    /// `self + (cond ? p : identity)` for a constant `p` (6 constraints).
    pub fn add_constant_if(&self, cond: &BoolVar, p: &Point) -> GResult<PointVar> {
        let c = FrVar::from(cond.clone());
        // o = (c * px, 1 + c * (py - 1)), all linear in c.
        let aa = (&self.x * &c) * p.x;
        let bb = &self.y + (&self.y * &c) * (p.y - Fr::ONE);
        let sum = &self.x + &self.y;
        let cc = &sum + (&sum * &c) * (p.x + p.y - Fr::ONE);
        let tau = (&aa * &bb) * d();
        Self::from_parts(cc - &aa - &bb, &bb - aa * a(), tau)
    }

    /// `k * self` for little-endian scalar bits (14 constraints per bit).
    pub fn mul_bits(&self, bits_le: &[BoolVar]) -> GResult<PointVar> {
        let mut acc = PointVar::constant(&Point::IDENTITY);
        let mut q = self.clone();
        for (i, b) in bits_le.iter().enumerate() {
            acc = acc.add_if(b, &q)?;
            if i + 1 < bits_le.len() {
                q = q.double()?;
            }
        }
        Ok(acc)
    }

    /// `k * base` for a constant base and little-endian scalar bits (6 constraints per bit).
    pub fn mul_constant_bits(base: &Point, bits_le: &[BoolVar]) -> GResult<PointVar> {
        let mut acc = PointVar::constant(&Point::IDENTITY);
        let mut q = *base;
        for b in bits_le {
            acc = acc.add_constant_if(b, &q)?;
            q = q.add(&q);
        }
        Ok(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::bits::to_bits_le_full;
    use ark_relations::gr1cs::ConstraintSystem;
    use num_bigint::BigUint;

    fn point_var(cs: &ark_relations::gr1cs::ConstraintSystemRef<Fr>, p: &Point) -> PointVar {
        PointVar {
            x: FrVar::new_witness(cs.clone(), || Ok(p.x)).unwrap(),
            y: FrVar::new_witness(cs.clone(), || Ok(p.y)).unwrap(),
        }
    }

    #[test]
    fn scalar_multiplications_match_native() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let base = Point::base8();
        let p = base.mul(&BigUint::from(123456789u64));
        let k = Fr::from(987654321987654321u64);
        let kv = FrVar::new_witness(cs.clone(), || Ok(k)).unwrap();
        let bits = to_bits_le_full(&kv).unwrap();
        let pv = point_var(&cs, &p);
        pv.enforce_on_curve().unwrap();
        let r = pv.mul_bits(&bits).unwrap();
        let expected = p.mul_fr(&k);
        assert_eq!(
            (r.x.value().unwrap(), r.y.value().unwrap()),
            (expected.x, expected.y)
        );
        let f = PointVar::mul_constant_bits(&base, &bits).unwrap();
        let expected = base.mul_fr(&k);
        assert_eq!(
            (f.x.value().unwrap(), f.y.value().unwrap()),
            (expected.x, expected.y)
        );
        assert!(cs.is_satisfied().unwrap());
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
