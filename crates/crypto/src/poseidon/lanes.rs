//! Eight Poseidon permutations at once on AVX-512 IFMA (x86-64 CPUs with `avx512ifma`): the
//! same function as the scalar permutation in `mod.rs`, over eight independent states.
//!
//! Representation: one `__m512i` per 52-bit limb, lane `k` holding element `k`; five limbs
//! (260 bits) per element, in Montgomery form with `R = 2^260`. `vpmadd52luq`/`vpmadd52huq`
//! multiply the low 52 bits of two lanes and add the low or high half of the 104-bit product.
//!
//! Bounds (the tests compare with the scalar permutation on random and extreme inputs for every
//! width): every element a multiplication takes has normalized limbs (each below `2^52`). A
//! reduction `REDC(T)` of a sum of products `T` is below `T / R + p`. With `p < 2^254` and
//! `R = 2^260`, `p / R < 1/64`, so a sum of up to 17 products whose factors are a state element
//! below `3p` (after a round constant) or `2p` and a constant below `p` stays below
//! `p * (1 + 51/64) < 2p`; the S-box squares elements below `3p` (`9/64`). Round constants lift
//! an element from below `2p` to below `3p`; the partial rounds' running sums are brought back
//! below `2p` after each addition. Results are reduced below `p` only when leaving the lanes.
//! Accumulators stay below `2^61` (at most 17 * 10 partial products of `2^52` per position, plus
//! the reduction's), so no 64-bit lane overflows.

// The only unsafe code of the workspace: calling `#[target_feature]` functions, which is sound
// once the CPU is known to have the features (checked at run time in `available`).
#![allow(unsafe_code)]

use super::{FULL_ROUNDS, Params, params};
use crate::Fr;
use ark_ff::{BigInt, Field, PrimeField};
use std::arch::x86_64::*;
use std::sync::OnceLock;

/// Elements per vector.
pub const LANES: usize = 8;
const MASK52: u64 = (1 << 52) - 1;

/// The modulus in 52-bit limbs.
const P: [u64; 5] = to_limbs(Fr::MODULUS);
/// `2p` in 52-bit limbs.
const P2: [u64; 5] = {
    let m = Fr::MODULUS.0;
    to_limbs(BigInt([
        m[0] << 1,
        (m[1] << 1) | (m[0] >> 63),
        (m[2] << 1) | (m[1] >> 63),
        (m[3] << 1) | (m[2] >> 63),
    ]))
};
/// `-p^-1 mod 2^52`.
const N0P: u64 = {
    // Newton's iteration for the inverse of an odd number modulo 2^64.
    let p0 = Fr::MODULUS.0[0];
    let mut inv: u64 = 1;
    let mut i = 0;
    while i < 7 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(p0.wrapping_mul(inv)));
        i += 1;
    }
    inv.wrapping_neg() & MASK52
};

const fn to_limbs(x: BigInt<4>) -> [u64; 5] {
    let w = x.0;
    [
        w[0] & MASK52,
        ((w[0] >> 52) | (w[1] << 12)) & MASK52,
        ((w[1] >> 40) | (w[2] << 24)) & MASK52,
        ((w[2] >> 28) | (w[3] << 36)) & MASK52,
        w[3] >> 16,
    ]
}

/// `R = 2^260 mod p` and its inverse, as field elements.
fn r_and_inverse() -> &'static (Fr, Fr) {
    static R: OnceLock<(Fr, Fr)> = OnceLock::new();
    R.get_or_init(|| {
        let r = Fr::from(2u64).pow([260u64]);
        (r, r.inverse().expect("2^260 is not zero mod p"))
    })
}

/// A field element in the lanes' form (Montgomery, `R = 2^260`), as five limbs.
fn limbs_of(x: &Fr) -> [u64; 5] {
    to_limbs((*x * r_and_inverse().0).into_bigint())
}

/// The field element of five normalized limbs holding `x * R` with `x * R < 2p`.
fn from_limbs(l: [u64; 5]) -> Fr {
    debug_assert!(l[..4].iter().all(|x| *x >> 52 == 0) && l[4] >> 48 == 0);
    let mut w = [
        l[0] | (l[1] << 52),
        (l[1] >> 12) | (l[2] << 40),
        (l[2] >> 24) | (l[3] << 28),
        (l[3] >> 36) | (l[4] << 16),
    ];
    // Below 2p: one conditional subtraction makes it canonical.
    if !lt(&w, &Fr::MODULUS.0) {
        let mut borrow = 0u64;
        for (wi, mi) in w.iter_mut().zip(Fr::MODULUS.0) {
            let (d, b1) = wi.overflowing_sub(mi);
            let (d, b2) = d.overflowing_sub(borrow);
            *wi = d;
            borrow = u64::from(b1 || b2);
        }
    }
    let xr = Fr::from_bigint(BigInt(w)).expect("reduced below p");
    xr * r_and_inverse().1
}

fn lt(a: &[u64; 4], b: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// The constants of one width in the lanes' form.
struct LaneParams {
    c: Vec<[u64; 5]>,
    s: Vec<[u64; 5]>,
    m: Vec<[u64; 5]>,
    p: Vec<[u64; 5]>,
}

fn lane_params(t: usize) -> &'static LaneParams {
    static ALL: OnceLock<Vec<OnceLock<LaneParams>>> = OnceLock::new();
    let all = ALL.get_or_init(|| (0..super::MAX_INPUTS).map(|_| OnceLock::new()).collect());
    all[t - 2].get_or_init(|| {
        let Params { c, s, m, p, .. } = params(t);
        let conv = |v: &Vec<Fr>| v.iter().map(limbs_of).collect();
        LaneParams {
            c: conv(c),
            s: conv(s),
            m: conv(m),
            p: conv(p),
        }
    })
}

/// Whether this CPU runs the lanes (AVX-512F and IFMA), checked once.
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512ifma")
            && std::arch::is_x86_feature_detected!("avx2")
    })
}

/// States of up to 17 elements (the widest Poseidon), eight of them (lane `k` is `states[k]`).
pub type States = [[Fr; super::MAX_INPUTS + 1]; LANES];

/// Applies the width-`t` permutation to the first `t` elements of eight states.
///
/// # Panics
/// If [`available`] is false or `t` is not in `2..=17`.
pub fn permute(t: usize, states: &mut States) {
    assert!(available(), "AVX-512 IFMA is not available on this CPU");
    assert!(
        (2..=super::MAX_INPUTS + 1).contains(&t),
        "poseidon width {t}"
    );
    let lp = lane_params(t);
    let rp = params(t).partial_rounds;
    let mut limbs = [[[0u64; 5]; LANES]; super::MAX_INPUTS + 1];
    for (k, st) in states.iter().enumerate() {
        for (i, x) in st[..t].iter().enumerate() {
            limbs[i][k] = limbs_of(x);
        }
    }
    // SAFETY: `available()` checked above that the CPU has every feature `permute_lanes`
    // enables (AVX-512F, AVX-512 IFMA, AVX2); nothing else is required of the caller.
    unsafe { permute_lanes(t, &mut limbs, lp, rp) };
    for (k, st) in states.iter_mut().enumerate() {
        for (i, x) in st[..t].iter_mut().enumerate() {
            *x = from_limbs(limbs[i][k]);
        }
    }
}

/// Eight field elements, one limb per vector.
#[derive(Clone, Copy)]
struct F8([__m512i; 5]);

#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn permute_lanes(
    t: usize,
    io: &mut [[[u64; 5]; LANES]; super::MAX_INPUTS + 1],
    lp: &LaneParams,
    partial_rounds: usize,
) {
    let zero = F8([_mm512_setzero_si512(); 5]);
    let mut state = [zero; super::MAX_INPUTS + 1];
    for i in 0..t {
        state[i] = load(&io[i]);
    }
    let state = &mut state[..t];
    let (c, rf2) = (&lp.c, FULL_ROUNDS / 2);
    for i in 0..t {
        state[i] = add_const(&state[i], &c[i]);
    }
    for r in 0..rf2 {
        for x in state.iter_mut() {
            *x = pow5(x);
        }
        let (consts, matrix) = if r < rf2 - 1 {
            (&c[(r + 1) * t..(r + 2) * t], &lp.m)
        } else {
            (&c[rf2 * t..(rf2 + 1) * t], &lp.p)
        };
        for i in 0..t {
            state[i] = add_const(&state[i], &consts[i]);
        }
        mix(state, matrix);
    }
    let base = (rf2 + 1) * t;
    for r in 0..partial_rounds {
        let first = add_const(&pow5(&state[0]), &c[base + r]);
        state[0] = first;
        let srow = &lp.s[(2 * t - 1) * r..(2 * t - 1) * (r + 1)];
        let s0 = dot(state, &srow[..t]);
        for k in 1..t {
            let prod = mul(&first, &splat(&srow[t + k - 1]));
            state[k] = below_2p(&add(&state[k], &prod));
        }
        state[0] = s0;
    }
    let base = base + partial_rounds;
    for r in 0..rf2 {
        for x in state.iter_mut() {
            *x = pow5(x);
        }
        if r < rf2 - 1 {
            for i in 0..t {
                state[i] = add_const(&state[i], &c[base + r * t + i]);
            }
        }
        mix(state, &lp.m);
    }
    for i in 0..t {
        io[i] = store(&state[i]);
    }
}

#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn load(limbs: &[[u64; 5]; LANES]) -> F8 {
    let mut out = [_mm512_setzero_si512(); 5];
    for (j, o) in out.iter_mut().enumerate() {
        let l = |k: usize| limbs[k][j] as i64;
        *o = _mm512_set_epi64(l(7), l(6), l(5), l(4), l(3), l(2), l(1), l(0));
    }
    F8(out)
}

#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn store(x: &F8) -> [[u64; 5]; LANES] {
    let mut out = [[0u64; 5]; LANES];
    for (j, v) in x.0.iter().enumerate() {
        let lo = _mm512_extracti64x4_epi64::<0>(*v);
        let hi = _mm512_extracti64x4_epi64::<1>(*v);
        out[0][j] = _mm256_extract_epi64::<0>(lo) as u64;
        out[1][j] = _mm256_extract_epi64::<1>(lo) as u64;
        out[2][j] = _mm256_extract_epi64::<2>(lo) as u64;
        out[3][j] = _mm256_extract_epi64::<3>(lo) as u64;
        out[4][j] = _mm256_extract_epi64::<0>(hi) as u64;
        out[5][j] = _mm256_extract_epi64::<1>(hi) as u64;
        out[6][j] = _mm256_extract_epi64::<2>(hi) as u64;
        out[7][j] = _mm256_extract_epi64::<3>(hi) as u64;
    }
    out
}

#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn splat(k: &[u64; 5]) -> F8 {
    let mut out = [_mm512_setzero_si512(); 5];
    for (o, kj) in out.iter_mut().zip(k) {
        *o = _mm512_set1_epi64(*kj as i64);
    }
    F8(out)
}

/// Limb-wise carry propagation: every limb below `2^52`, the excess in the top limb.
#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn normalize(mut l: [__m512i; 5]) -> F8 {
    let mask = _mm512_set1_epi64(MASK52 as i64);
    for j in 0..4 {
        l[j + 1] = _mm512_add_epi64(l[j + 1], _mm512_srli_epi64::<52>(l[j]));
        l[j] = _mm512_and_si512(l[j], mask);
    }
    F8(l)
}

#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn add(a: &F8, b: &F8) -> F8 {
    let mut out = a.0;
    for (o, bj) in out.iter_mut().zip(&b.0) {
        *o = _mm512_add_epi64(*o, *bj);
    }
    normalize(out)
}

#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn add_const(a: &F8, k: &[u64; 5]) -> F8 {
    add(a, &splat(k))
}

/// `x - 2p` if `x >= 2p`, else `x` (for normalized `x < 4p`).
#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn below_2p(x: &F8) -> F8 {
    let mask = _mm512_set1_epi64(MASK52 as i64);
    let mut d = [_mm512_setzero_si512(); 5];
    let mut borrow = _mm512_setzero_si512();
    for j in 0..5 {
        let v = _mm512_add_epi64(
            _mm512_sub_epi64(x.0[j], _mm512_set1_epi64(P2[j] as i64)),
            borrow,
        );
        // -1 when the limb went negative, else 0 (limbs are far below 2^63)
        borrow = _mm512_srai_epi64::<52>(v);
        d[j] = if j < 4 { _mm512_and_si512(v, mask) } else { v };
    }
    // lanes whose difference is negative keep x
    let keep = _mm512_cmplt_epi64_mask(d[4], _mm512_setzero_si512());
    for (dj, xj) in d.iter_mut().zip(&x.0) {
        *dj = _mm512_mask_blend_epi64(keep, *dj, *xj);
    }
    F8(d)
}

/// `sum(a[i] * k[i]) / R mod p` (below `2p` within the bounds above), one reduction.
#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn dot(a: &[F8], k: &[[u64; 5]]) -> F8 {
    let mut t = [_mm512_setzero_si512(); 10];
    for (x, kc) in a.iter().zip(k) {
        mul_acc(&mut t, x, &splat(kc));
    }
    reduce(t)
}

#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn mul(a: &F8, b: &F8) -> F8 {
    let mut t = [_mm512_setzero_si512(); 10];
    mul_acc(&mut t, a, b);
    reduce(t)
}

/// `t += a * b` (schoolbook, 10 limb positions, unnormalized).
#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn mul_acc(t: &mut [__m512i; 10], a: &F8, b: &F8) {
    for i in 0..5 {
        for j in 0..5 {
            t[i + j] = _mm512_madd52lo_epu64(t[i + j], a.0[i], b.0[j]);
            t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], a.0[i], b.0[j]);
        }
    }
}

/// Montgomery reduction of a 10-limb accumulator: `t / 2^260 mod p`, below `t / R + p`.
#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn reduce(mut t: [__m512i; 10]) -> F8 {
    let zero = _mm512_setzero_si512();
    let n0p = _mm512_set1_epi64(N0P as i64);
    for i in 0..5 {
        // m = t[i] * (-p^-1) mod 2^52 makes t[i] + m * p[0] divisible by 2^52
        let m = _mm512_madd52lo_epu64(zero, t[i], n0p);
        for (j, pj) in P.iter().enumerate() {
            let pj = _mm512_set1_epi64(*pj as i64);
            t[i + j] = _mm512_madd52lo_epu64(t[i + j], m, pj);
            t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], m, pj);
        }
        t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srli_epi64::<52>(t[i]));
    }
    normalize([t[5], t[6], t[7], t[8], t[9]])
}

#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn pow5(x: &F8) -> F8 {
    let x2 = mul(x, x);
    let x4 = mul(&x2, &x2);
    mul(x, &x4)
}

/// `state = state * M` with `mt` the transposed matrix, each output one reduction.
#[target_feature(enable = "avx512f,avx512ifma,avx2")]
fn mix(state: &mut [F8], mt: &[[u64; 5]]) {
    let t = state.len();
    let zero = F8([_mm512_setzero_si512(); 5]);
    let mut out = [zero; super::MAX_INPUTS + 1];
    for (i, o) in out[..t].iter_mut().enumerate() {
        *o = dot(state, &mt[i * t..(i + 1) * t]);
    }
    state.copy_from_slice(&out[..t]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{AdditiveGroup, UniformRand};
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    /// The lanes compute the scalar permutation, for every width, on random states and on
    /// states of the extreme values 0, 1 and p - 1.
    #[test]
    fn lanes_match_the_scalar_permutation() {
        if !available() {
            // Nothing to compare on this CPU; `hash_many` then takes the scalar path, which
            // `hash_many_matches_hash` covers. Say so rather than pass silently.
            eprintln!("SKIPPED lanes_match_the_scalar_permutation: no AVX-512 IFMA on this CPU");
            return;
        }
        let mut rng = StdRng::seed_from_u64(1);
        let extremes = [Fr::ZERO, Fr::ONE, -Fr::ONE];
        for t in 2..=super::super::MAX_INPUTS + 1 {
            for round in 0..4 {
                let mut states: States = [[Fr::ZERO; 17]; LANES];
                for (k, st) in states.iter_mut().enumerate() {
                    for (i, x) in st[..t].iter_mut().enumerate() {
                        *x = if round == 0 {
                            extremes[(k + i) % 3]
                        } else {
                            Fr::rand(&mut rng)
                        };
                    }
                }
                let mut expected = states;
                for st in expected.iter_mut() {
                    super::super::permute(&mut st[..t]);
                }
                permute(t, &mut states);
                assert_eq!(states, expected, "width {t}, round {round}");
            }
        }
    }

    #[test]
    fn limbs_round_trip() {
        let mut rng = StdRng::seed_from_u64(2);
        for x in [Fr::ZERO, Fr::ONE, -Fr::ONE]
            .into_iter()
            .chain((0..100).map(|_| Fr::rand(&mut rng)))
        {
            assert_eq!(from_limbs(limbs_of(&x)), x);
        }
        // a value in [p, 2p) (the lanes' results before the last reduction) is reduced
        let one_plus_p = {
            let l = limbs_of(&Fr::ONE);
            let mut s = [0u64; 5];
            let mut carry = 0;
            for j in 0..5 {
                let v = l[j] + P[j] + carry;
                s[j] = v & MASK52;
                carry = v >> 52;
            }
            s
        };
        assert_eq!(from_limbs(one_plus_p), Fr::ONE);
    }
}
