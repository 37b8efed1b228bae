//! Poseidon in R1CS: the same permutation and constants as [`zkr_crypto::poseidon`] (native
//! twin), so circuit and native code hash identically. Each S-box costs 3 constraints, the
//! linear layers none, and the first S-box of the constant capacity element is free:
//! `3 * (8 * t + partial_rounds) - 3` constraints per hash
//! (t = 3: 240, t = 4: 261, t = 5: 297, t = 6: 321, t = 7: 354), as circomlib's templates.

use super::{FrVar, GResult, lin};
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::fields::FieldVar;
use zkr_crypto::Fr;
use zkr_crypto::poseidon::{FULL_ROUNDS, params};

fn pow5(x: &FrVar) -> GResult<FrVar> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

/// `(state + add) * M` with `mt` transposed (`mt[i * t + j] = M[j][i]`), one linear
/// combination per output.
fn mix(state: &[FrVar], add: &[Fr], mt: &[Fr]) -> Vec<FrVar> {
    let t = state.len();
    (0..t)
        .map(|i| {
            let row = &mt[i * t..(i + 1) * t];
            let constant = row
                .iter()
                .zip(add)
                .fold(Fr::ZERO, |acc, (m, c)| acc + *m * c);
            lin(row, state, constant)
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
        *s = lin(&[Fr::ONE], std::slice::from_ref(s), c[i]);
    }
    for r in 0..rf2 {
        state = state.iter().map(pow5).collect::<GResult<_>>()?;
        let offset = if r < rf2 - 1 { (r + 1) * t } else { rf2 * t };
        state = mix(
            &state,
            &c[offset..offset + t],
            if r < rf2 - 1 { &p.m } else { &p.p },
        );
    }
    let base = (rf2 + 1) * t;
    for r in 0..p.partial_rounds {
        let x = pow5(&state[0])?;
        let rc = c[base + r];
        let srow = &p.s[(2 * t - 1) * r..(2 * t - 1) * (r + 1)];
        // With state[0] = x + rc: s0 = sum S_j * state_j, and state_k += state[0] * S_{t+k-1}.
        let mut vars = Vec::with_capacity(t);
        vars.push(x.clone());
        vars.extend(state[1..].iter().cloned());
        let s0 = lin(&srow[..t], &vars, srow[0] * rc);
        for k in 1..t {
            let coeff = srow[t + k - 1];
            state[k] = lin(
                &[Fr::ONE, coeff],
                &[state[k].clone(), x.clone()],
                coeff * rc,
            );
        }
        state[0] = s0;
    }
    let base = base + p.partial_rounds;
    let zeros = vec![Fr::ZERO; t];
    for r in 0..rf2 {
        state = state.iter().map(pow5).collect::<GResult<_>>()?;
        let add = if r < rf2 - 1 {
            &c[base + r * t..base + (r + 1) * t]
        } else {
            &zeros[..]
        };
        state = mix(&state, add, &p.m);
    }
    Ok(state.swap_remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::GR1CSVar;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_relations::gr1cs::ConstraintSystem;

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
