//! Poseidon in R1CS: the same permutation and constants as [`zkr_crypto::poseidon`] (native
//! twin), so circuit and native code hash identically. Each S-box costs 3 constraints, the
//! linear layers none, and the first S-box of the constant capacity element is free:
//! `3 * (8 * t + partial_rounds) - 3` constraints per hash
//! (t = 3: 240, t = 4: 261, t = 5: 297, t = 6: 321, t = 7: 354), as circomlib's templates.

use super::{FrVar, GResult};
use ark_r1cs_std::fields::FieldVar;
use zkr_crypto::poseidon::{FULL_ROUNDS, params};

fn pow5(x: &FrVar) -> GResult<FrVar> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

fn mix(state: &[FrVar], mt: &[zkr_crypto::Fr]) -> Vec<FrVar> {
    let t = state.len();
    (0..t)
        .map(|i| {
            state
                .iter()
                .enumerate()
                .map(|(j, s)| s * mt[i * t + j])
                .fold(FrVar::zero(), |acc, x| acc + x)
        })
        .collect()
}

/// Poseidon of 1 to 16 field variables.
pub fn poseidon(inputs: &[FrVar]) -> GResult<FrVar> {
    assert!(
        !inputs.is_empty() && inputs.len() <= 16,
        "poseidon takes 1 to 16 inputs"
    );
    let t = inputs.len() + 1;
    let p = params(t);
    let c = &p.c;
    let rf2 = FULL_ROUNDS / 2;
    let mut state: Vec<FrVar> = std::iter::once(FrVar::zero())
        .chain(inputs.iter().cloned())
        .collect();
    for (i, s) in state.iter_mut().enumerate() {
        *s += c[i];
    }
    for r in 0..rf2 {
        state = state.iter().map(pow5).collect::<GResult<_>>()?;
        let offset = if r < rf2 - 1 { (r + 1) * t } else { rf2 * t };
        for (i, s) in state.iter_mut().enumerate() {
            *s += c[offset + i];
        }
        state = mix(&state, if r < rf2 - 1 { &p.m } else { &p.p });
    }
    let base = (rf2 + 1) * t;
    for r in 0..p.partial_rounds {
        state[0] = pow5(&state[0])? + c[base + r];
        let srow = &p.s[(2 * t - 1) * r..(2 * t - 1) * (r + 1)];
        let s0 = state
            .iter()
            .enumerate()
            .fold(FrVar::zero(), |acc, (j, s)| acc + s * srow[j]);
        let first = state[0].clone();
        for k in 1..t {
            state[k] += &first * srow[t + k - 1];
        }
        state[0] = s0;
    }
    let base = base + p.partial_rounds;
    for r in 0..rf2 {
        state = state.iter().map(pow5).collect::<GResult<_>>()?;
        if r < rf2 - 1 {
            for (i, s) in state.iter_mut().enumerate() {
                *s += c[base + r * t + i];
            }
        }
        state = mix(&state, &p.m);
    }
    Ok(state.swap_remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::GR1CSVar;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use zkr_crypto::Fr;

    #[test]
    fn matches_native_with_documented_cost() {
        for (n, cost) in [
            (2usize, 240usize),
            (3, 261),
            (4, 297),
            (5, 321),
            (6, 354),
            (16, 609),
        ] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vals: Vec<Fr> = (0..n as u64).map(|i| Fr::from(i * 7 + 3)).collect();
            let vars: Vec<FrVar> = vals
                .iter()
                .map(|v| FrVar::new_witness(cs.clone(), || Ok(*v)).unwrap())
                .collect();
            let before = cs.num_constraints();
            let h = poseidon(&vars).unwrap();
            assert_eq!(cs.num_constraints() - before, cost, "t = {}", n + 1);
            assert_eq!(
                h.value().unwrap(),
                zkr_crypto::poseidon::poseidon(&vals).unwrap()
            );
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
