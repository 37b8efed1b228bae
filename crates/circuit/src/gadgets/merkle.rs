//! 4-ary Merkle paths in R1CS (native twin: `zkr_state::tree::root_from_path` and
//! `zkr_state::account::balance_root_from_path`).
//!
//! A node's position among its parent's four children is a one-hot vector `e` built from two
//! index bits (1 constraint); placing the node among its three siblings costs 6 constraints,
//! and the parent hash 297: 304 per level and chain.

use super::poseidon::poseidon;
use super::{BoolVar, FrVar, GResult};
use ark_r1cs_std::fields::FieldVar;

/// One-hot position `[e0, e1, e2, e3]` of `2 * hi + lo`.
pub fn one_hot(lo: &BoolVar, hi: &BoolVar) -> GResult<[FrVar; 4]> {
    let e3 = FrVar::from(lo & hi);
    let lo = FrVar::from(lo.clone());
    let hi = FrVar::from(hi.clone());
    let e2 = &hi - &e3;
    let e1 = &lo - &e3;
    let e0 = FrVar::one() - &hi - &lo + &e3;
    Ok([e0, e1, e2, e3])
}

/// The positions along an index's path, root level first, from its little-endian bits
/// (`2 * depth` of them).
pub fn positions(index_bits_le: &[BoolVar]) -> GResult<Vec<[FrVar; 4]>> {
    let depth = index_bits_le.len() / 2;
    (0..depth)
        .map(|level| {
            let shift = 2 * (depth - 1 - level);
            one_hot(&index_bits_le[shift], &index_bits_le[shift + 1])
        })
        .collect()
}

/// The parent of `cur` at position `e` among `siblings` (in position order, own left out).
pub fn parent(cur: &FrVar, e: &[FrVar; 4], s: &[FrVar; 3]) -> GResult<FrVar> {
    let [e0, e1, e2, e3] = e;
    let c0 = &s[0] + e0 * (cur - &s[0]);
    let c1 = &s[1] + e0 * (&s[0] - &s[1]) + e1 * (cur - &s[1]);
    let c2 = &s[2] + (e0 + e1) * (&s[1] - &s[2]) + e2 * (cur - &s[2]);
    let c3 = &s[2] + e3 * (cur - &s[2]);
    poseidon(&[c0, c1, c2, c3])
}

/// The root over `leaf` with `siblings` and `positions`, both root level first.
pub fn root(leaf: &FrVar, positions: &[[FrVar; 4]], siblings: &[[FrVar; 3]]) -> GResult<FrVar> {
    let mut cur = leaf.clone();
    for (e, s) in positions.iter().zip(siblings).rev() {
        cur = parent(&cur, e, s)?;
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::bits::to_bits_le;
    use ark_r1cs_std::GR1CSVar;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use zkr_crypto::Fr;
    use zkr_state::tree::root_from_path;
    use zkr_types::AccountId;
    use zkr_types::params::ACCOUNT_TREE_DEPTH;

    #[test]
    fn matches_the_native_path_for_every_position() {
        for id in [0u32, 1, 2, 3, 4, 0x123456, 0xFFFFFF] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let leaf = Fr::from(99u64);
            let path: Vec<[Fr; 3]> = (0..ACCOUNT_TREE_DEPTH as u64)
                .map(|l| {
                    [
                        Fr::from(3 * l + 1),
                        Fr::from(3 * l + 2),
                        Fr::from(3 * l + 3),
                    ]
                })
                .collect();
            let expected = root_from_path(AccountId(id), leaf, &path);
            let id_var = FrVar::new_witness(cs.clone(), || Ok(Fr::from(id))).unwrap();
            let bits = to_bits_le(&id_var, 24).unwrap();
            let leaf_var = FrVar::new_witness(cs.clone(), || Ok(leaf)).unwrap();
            let sib: Vec<[FrVar; 3]> = path
                .iter()
                .map(|s| s.map(|v| FrVar::new_witness(cs.clone(), || Ok(v)).unwrap()))
                .collect();
            let before = cs.num_constraints();
            let pos = positions(&bits).unwrap();
            let r = root(&leaf_var, &pos, &sib).unwrap();
            assert_eq!(
                cs.num_constraints() - before,
                ACCOUNT_TREE_DEPTH * (1 + 6 + 297)
            );
            assert_eq!(r.value().unwrap(), expected, "id {id}");
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
