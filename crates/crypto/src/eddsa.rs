//! EdDSA-Poseidon on BabyJubjub, as circomlibjs `prv2pub`, `signPoseidon` and `verifyPoseidon`.
//!
//! - private key: 32 bytes; `h = BLAKE-512(key)`, the first half pruned
//!   (`h[0] &= 0xF8; h[31] &= 0x7F; h[31] |= 0x40`) is the scalar `s` (little-endian);
//! - public key: `A = (s >> 3) * Base8`;
//! - signature of a field element `M`: `r = LE(BLAKE-512(h[32..64] || LE32(M))) mod l`,
//!   `R8 = r * Base8`, `hm = Poseidon(R8.x, R8.y, A.x, A.y, M)`, `S = (r + hm * s) mod l`;
//! - verification: `8 * (S * Base8) == 8 * (R8 + (8 * hm) * A)`.
//!
//! Both points must be on the curve, `A` must not have small order and `S` must be below the
//! subgroup order `l`. The equation is cofactored (as ZIP-215 does for Ed25519): it holds up to
//! a point of order dividing 8. circomlibjs checks `S * Base8 == R8 + (8 * hm) * A` exactly,
//! which only differs for an `R8` with a small-order component; an honest signer's `R8 = r *
//! Base8` never has one, so every circomlibjs signature verifies here and the reverse differs
//! only for signatures their key's owner crafted on purpose. The cofactored equation is what a
//! batch can check ([`verify_batch`]): a random linear combination cannot see small-order
//! components (they vanish for even coefficients), so a strict single check and a batch check
//! would disagree on such signatures; with the cofactor both accept exactly the same ones.

use crate::babyjubjub::{Extended, Point, mul_base8_le_bytes, subgroup_order};
use crate::field::{fr_from_biguint, fr_to_biguint};
use crate::poseidon;
use crate::{CryptoError, Fr};
use ark_ec::VariableBaseMSM;
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective, Fr as ScalarL};
use ark_ff::{AdditiveGroup, Field, Zero};
use ark_ff::{BigInteger, PrimeField};
use blake_hash::{Blake512, Digest};
use num_bigint::BigUint;
use std::sync::OnceLock;

/// A 32-byte EdDSA private key. Its `Debug` output never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey([u8; 32]);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// A public key: a point of the prime-order subgroup.
pub type PublicKey = Point;

/// An EdDSA-Poseidon signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The point `R8`.
    pub r8: Point,
    /// The scalar `S` (canonical when below the subgroup order).
    pub s: Fr,
}

impl PrivateKey {
    /// Wraps 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PrivateKey(bytes)
    }

    /// Parses 64 hex characters (an optional `0x` prefix is accepted).
    pub fn from_hex(s: &str) -> Result<Self, CryptoError> {
        let h = s.strip_prefix("0x").unwrap_or(s);
        if h.len() != 64 {
            return Err(CryptoError::InvalidPrivateKey(format!(
                "expected 64 hex characters, got {}",
                h.len()
            )));
        }
        let bytes = hex::decode(h)
            .map_err(|_| CryptoError::InvalidPrivateKey("not a hex string".into()))?;
        let mut out = [0u8; 32];
        out.copy_from_slice(&bytes);
        Ok(PrivateKey(out))
    }

    /// The raw bytes. Handle with care: never log them.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    fn expand(&self) -> ([u8; 32], [u8; 32]) {
        let h = Blake512::digest(&self.0[..]);
        let mut s = [0u8; 32];
        s.copy_from_slice(&h[..32]);
        s[0] &= 0xF8;
        s[31] &= 0x7F;
        s[31] |= 0x40;
        let mut prefix = [0u8; 32];
        prefix.copy_from_slice(&h[32..]);
        (s, prefix)
    }

    /// The public key, as circomlibjs `prv2pub`.
    pub fn public(&self) -> PublicKey {
        let (s, _) = self.expand();
        let shifted: BigUint = BigUint::from_bytes_le(&s) >> 3u32;
        mul_base8_le_bytes(&shifted.to_bytes_le()).to_affine()
    }

    /// Signs a field element, as circomlibjs `signPoseidon`.
    pub fn sign(&self, message: &Fr) -> Signature {
        let (s_bytes, prefix) = self.expand();
        let s = BigUint::from_bytes_le(&s_bytes);
        let a = mul_base8_le_bytes(&(&s >> 3u32).to_bytes_le()).to_affine();
        let mut hasher = Blake512::new();
        hasher.update(prefix);
        hasher.update(message.into_bigint().to_bytes_le());
        let r = BigUint::from_bytes_le(&hasher.finalize()) % subgroup_order();
        let r8 = mul_base8_le_bytes(&r.to_bytes_le()).to_affine();
        let hm = poseidon::hash([r8.x, r8.y, a.x, a.y, *message]);
        let s_sig = (r + fr_to_biguint(&hm) * s) % subgroup_order();
        Signature {
            r8,
            s: fr_from_biguint(&s_sig)
                .expect("below the subgroup order, so below the field modulus"),
        }
    }
}

/// Verifies an EdDSA-Poseidon signature of `message` by `public`: the checks and the cofactored
/// equation of the module documentation.
pub fn verify(public: &PublicKey, message: &Fr, sig: &Signature) -> Result<(), CryptoError> {
    precheck(public, sig)?;
    let hm = poseidon::hash(hash_inputs(public, message, sig));
    if equation_holds(public, sig, &hm) {
        Ok(())
    } else {
        Err(CryptoError::BadSignature)
    }
}

/// Verifies many signatures: `verify_batch(items)[i] == verify(items[i])` for every `i`. The
/// equations of all signatures that pass the point and scalar checks are checked together, as one
/// random linear combination (one multi-scalar multiplication); if that fails, each half is
/// checked the same way, down to single signatures, to find the bad ones (a few bad signatures
/// in a batch cost a few halvings, not a check of every signature alone). The combination's
/// 128-bit coefficients come from the operating system's randomness, so no signer can aim at
/// them: a set with a bad signature passes with probability at most 2^-128.
pub fn verify_batch(items: &[(PublicKey, Fr, Signature)]) -> Vec<Result<(), CryptoError>> {
    let mut results: Vec<Result<(), CryptoError>> =
        items.iter().map(|(a, _, s)| precheck(a, s)).collect();
    let inputs: Vec<[Fr; 5]> = items.iter().map(|(a, m, s)| hash_inputs(a, m, s)).collect();
    let hms = poseidon::hash_many(&inputs);
    let candidates: Vec<usize> = (0..items.len()).filter(|&i| results[i].is_ok()).collect();
    let mut todo = vec![candidates.as_slice()];
    while let Some(set) = todo.pop() {
        if let [i] = set {
            if !equation_holds(&items[*i].0, &items[*i].2, &hms[*i]) {
                results[*i] = Err(CryptoError::BadSignature);
            }
            continue;
        }
        let chosen: Vec<(&PublicKey, &Signature, &Fr)> = set
            .iter()
            .map(|&i| (&items[i].0, &items[i].2, &hms[i]))
            .collect();
        if !set.is_empty() && !batch_equation_holds(&chosen, &mut rand::rngs::OsRng) {
            let (left, right) = set.split_at(set.len() / 2);
            todo.extend([left, right]);
        }
    }
    results
}

fn hash_inputs(public: &PublicKey, message: &Fr, sig: &Signature) -> [Fr; 5] {
    [sig.r8.x, sig.r8.y, public.x, public.y, *message]
}

/// The checks of one signature's points and scalar.
fn precheck(public: &PublicKey, sig: &Signature) -> Result<(), CryptoError> {
    if !public.is_on_curve() || !sig.r8.is_on_curve() {
        return Err(CryptoError::NotOnCurve);
    }
    if public.has_small_order() {
        return Err(CryptoError::SmallOrder);
    }
    if fr_to_biguint(&sig.s) >= *subgroup_order() {
        return Err(CryptoError::NonCanonicalS);
    }
    Ok(())
}

/// `8 * (S * Base8 - R8 - (8 * hm) * A)` is the identity.
fn equation_holds(public: &PublicKey, sig: &Signature, hm: &Fr) -> bool {
    let left = mul_base8_le_bytes(&sig.s.into_bigint().to_bytes_le());
    let eight_hm: BigUint = fr_to_biguint(hm) << 3u32;
    let right =
        Extended::from(sig.r8).add(&Extended::from(*public).mul_le_bytes(&eight_hm.to_bytes_le()));
    left.add(&right.neg()).has_small_order()
}

/// `8 * sum(z_i * (S_i * Base8 - R8_i - (8 * hm_i) * A_i))` is the identity, for random 128-bit
/// `z_i`. Multiplied by the cofactor every term lies in the subgroup of prime order `l`, so
/// scalars are taken mod `l`, and a term that is not the identity makes the sum the identity
/// for at most one value of its `z_i` mod `l` given the others.
fn batch_equation_holds(
    items: &[(&PublicKey, &Signature, &Fr)],
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> bool {
    let mut bases = Vec::with_capacity(2 * items.len() + 1);
    let mut scalars = Vec::with_capacity(2 * items.len() + 1);
    let mut s_sum = ScalarL::ZERO;
    let eight = ScalarL::from(8u64);
    for (public, sig, hm) in items {
        let z = ScalarL::from((u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()));
        s_sum += z * to_scalar_l(&sig.s);
        bases.push(to_ark(&sig.r8));
        scalars.push(-z);
        bases.push(to_ark(public));
        scalars.push(-(z * eight * to_scalar_l(hm)));
    }
    if items.len() < STRAUS_BELOW {
        straus_is_small_order(&s_sum, &bases, &scalars)
    } else {
        pippenger_is_small_order(&s_sum, &bases, &scalars)
    }
}

/// Whether `8 * (s_sum * Base8 + sum(scalars_i * bases_i))` is the identity, by arkworks'
/// Pippenger multi-scalar multiplication.
fn pippenger_is_small_order(s_sum: &ScalarL, bases: &[EdwardsAffine], scalars: &[ScalarL]) -> bool {
    let mut bases = bases.to_vec();
    let mut scalars = scalars.to_vec();
    bases.push(to_ark(&Point::base8()));
    scalars.push(*s_sum);
    let mut sum = EdwardsProjective::msm_unchecked(&bases, &scalars);
    for _ in 0..3 {
        sum.double_in_place();
    }
    sum.is_zero()
}

/// Batches smaller than this are combined by [`straus_is_small_order`]; larger ones by
/// arkworks' Pippenger, which wins from about this size (`examples/primitives.rs`).
const STRAUS_BELOW: usize = 256;

/// Whether `8 * (s_sum * Base8 + sum(scalars_i * bases_i))` is the identity, the sum computed by
/// interleaved 4-bit windows (Straus): one chain of doublings shared by every term, each term
/// adding one table entry per non-zero window; `Base8`'s term by its precomputed table. Each
/// negative scalar `-k` is taken as `k` times the negated point, so a 128-bit `z_i` costs only
/// its 32 windows.
fn straus_is_small_order(s_sum: &ScalarL, bases: &[EdwardsAffine], scalars: &[ScalarL]) -> bool {
    let terms: Vec<([Extended; 16], [u8; 32])> = bases
        .iter()
        .zip(scalars)
        .map(|(base, scalar)| {
            let point = Extended::from(from_ark(base));
            let (point, k) = if scalar.into_bigint() > (-*scalar).into_bigint() {
                (point.neg(), -*scalar)
            } else {
                (point, *scalar)
            };
            let mut table = [Extended::IDENTITY; 16];
            for i in 1..16 {
                table[i] = table[i - 1].add(&point);
            }
            let mut bytes = [0u8; 32];
            bytes.copy_from_slice(&k.into_bigint().to_bytes_le());
            (table, bytes)
        })
        .collect();
    let mut acc = Extended::IDENTITY;
    let mut started = false;
    for window in (0..64).rev() {
        if started {
            acc = acc.double().double().double().double();
        }
        for (table, k) in &terms {
            let nibble = (k[window / 2] >> (4 * (window % 2))) & 0x0f;
            if nibble != 0 {
                acc = acc.add(&table[nibble as usize]);
                started = true;
            }
        }
    }
    let sum = acc.add(&mul_base8_le_bytes(&s_sum.into_bigint().to_bytes_le()));
    sum.has_small_order()
}

/// [`to_ark`]'s inverse: a point of arkworks' form back on circomlib's.
fn from_ark(p: &EdwardsAffine) -> Point {
    static INV_SQRT_A: OnceLock<Fr> = OnceLock::new();
    let inv = INV_SQRT_A.get_or_init(|| {
        Fr::from(crate::babyjubjub::A)
            .sqrt()
            .and_then(|r| r.inverse())
            .expect("168700 is a non-zero square mod p")
    });
    Point {
        x: p.x * inv,
        y: p.y,
    }
}

fn to_scalar_l(x: &Fr) -> ScalarL {
    ScalarL::from_le_bytes_mod_order(&x.into_bigint().to_bytes_le())
}

/// A point of circomlib's BabyJubjub (`a = 168700`) on arkworks' isomorphic form (`a = 1`,
/// `d = 168696 / 168700`): `(x * sqrt(168700), y)`.
fn to_ark(p: &Point) -> EdwardsAffine {
    static SQRT_A: OnceLock<Fr> = OnceLock::new();
    let sqrt_a = SQRT_A.get_or_init(|| {
        Fr::from(crate::babyjubjub::A)
            .sqrt()
            .expect("168700 is a square mod p (the curves are isomorphic)")
    });
    EdwardsAffine::new_unchecked(p.x * sqrt_a, p.y)
}

/// For tests of the cofactored equation (here and in the circuit's), feature `test-support`.
#[cfg(any(test, feature = "test-support"))]
pub mod tests_support {
    use super::*;

    /// The key `a * Base8` and a signature `(R8, S)` of `message` under it whose
    /// `R8 = r * Base8 + (0, -1)` carries the order-2 point, signed for that `R8`: valid under
    /// the cofactored equation, not under circomlibjs' strict one. Made from the secret scalar
    /// `a`, as only a key's owner can.
    pub fn torsioned(a: u64, r: u64, message: &Fr) -> (PublicKey, Signature) {
        let public = Point::base8().mul(&BigUint::from(a));
        let order2 = Point {
            x: Fr::ZERO,
            y: -Fr::ONE,
        };
        let r8 = Point::base8().mul(&BigUint::from(r)).add(&order2);
        let hm = poseidon::hash([r8.x, r8.y, public.x, public.y, *message]);
        let s =
            (BigUint::from(r) + fr_to_biguint(&hm) * 8u32 * BigUint::from(a)) % subgroup_order();
        let s = fr_from_biguint(&s).expect("below the subgroup order");
        (public, Signature { r8, s })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Item = (PublicKey, Fr, Signature);

    fn signed(seed: u8, msg: u64) -> Item {
        let key = PrivateKey::from_bytes([seed; 32]);
        let m = Fr::from(msg);
        (key.public(), m, key.sign(&m))
    }

    #[test]
    fn cofactored_equation_accepts_a_torsioned_r8_only_when_signed_for_it() {
        let msg = Fr::from(5u64);
        let (a, sig) = tests_support::torsioned(987_654_321, 123_456_789, &msg);
        let (r8, s) = (sig.r8, sig.s);
        assert!(r8.is_on_curve() && !r8.has_small_order());
        // the strict (circomlibjs) equation does not hold ...
        let hm = poseidon::hash(hash_inputs(&a, &msg, &sig));
        let right = Extended::from(r8)
            .add(&Extended::from(a).mul_le_bytes(&(fr_to_biguint(&hm) << 3u32).to_bytes_le()));
        assert!(!mul_base8_le_bytes(&s.into_bigint().to_bytes_le()).eq_point(&right));
        // ... the cofactored one does, alone and in a batch, every time
        assert_eq!(verify(&a, &msg, &sig), Ok(()));
        for _ in 0..20 {
            let items = vec![(a, msg, sig), signed(1, 2), (a, msg, sig)];
            assert!(verify_batch(&items).iter().all(|r| r.is_ok()));
        }
        // an honest signature's R8 with the torsion added but not signed for it fails
        let key = PrivateKey::from_bytes([9u8; 32]);
        let honest = key.sign(&msg);
        let moved = Signature {
            r8: honest.r8.add(&Point {
                x: Fr::ZERO,
                y: -Fr::ONE,
            }),
            s: honest.s,
        };
        assert_eq!(verify(&key.public(), &msg, &honest), Ok(()));
        assert_eq!(
            verify(&key.public(), &msg, &moved),
            Err(CryptoError::BadSignature)
        );
    }

    /// `verify_batch` gives exactly `verify`'s result for each signature, for batches of good
    /// signatures and ones with every kind of bad signature anywhere: small batches (combined by
    /// Straus) and large ones (Pippenger).
    #[test]
    fn batch_results_are_the_single_results() {
        batch_results_are_the_single_results_at(12);
        batch_results_are_the_single_results_at(STRAUS_BELOW + 2);
    }

    /// The two ways of computing the combined equation agree on the same coefficients, for good
    /// signatures, torsioned ones (valid only cofactored) and bad ones.
    #[test]
    fn straus_and_pippenger_agree() {
        use rand::SeedableRng;
        let msg = Fr::from(5u64);
        let (ta, tsig) = tests_support::torsioned(987_654_321, 123_456_789, &msg);
        let mut items: Vec<Item> = (1..=9u8).map(|i| signed(i, u64::from(i))).collect();
        items.push((ta, msg, tsig));
        let order2 = Point {
            x: Fr::ZERO,
            y: -Fr::ONE,
        };
        for bad in 0..4 {
            let mut set = items.clone();
            match bad {
                0 => {}
                1 => set[3].2.s += Fr::from(1u64),
                2 => set[9].2.r8 = set[9].2.r8.add(&order2),
                _ => set[0].1 += Fr::from(1u64),
            }
            let hms: Vec<Fr> = set
                .iter()
                .map(|(a, m, s)| poseidon::hash(hash_inputs(a, m, s)))
                .collect();
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(bad);
            let mut s_sum = ScalarL::ZERO;
            let (mut bases, mut scalars) = (Vec::new(), Vec::new());
            for ((a, _, sig), hm) in set.iter().zip(&hms) {
                let z = ScalarL::from(u128::from(rand::RngCore::next_u64(&mut rng)));
                s_sum += z * to_scalar_l(&sig.s);
                bases.extend([to_ark(&sig.r8), to_ark(a)]);
                scalars.extend([-z, -(z * ScalarL::from(8u64) * to_scalar_l(hm))]);
            }
            let straus = straus_is_small_order(&s_sum, &bases, &scalars);
            assert_eq!(straus, pippenger_is_small_order(&s_sum, &bases, &scalars));
            let all_valid = set.iter().all(|(a, m, s)| verify(a, m, s).is_ok());
            assert_eq!(all_valid, bad == 0, "case {bad} is a bad signature");
            assert_eq!(straus, all_valid, "case {bad}");
        }
    }

    fn batch_results_are_the_single_results_at(size: usize) {
        let good: Vec<_> = (1..=size)
            .map(|i| signed((i % 250) as u8 + 1, i as u64))
            .collect();
        // The combined equation itself (not only the fallback) holds exactly for good ones.
        let equation = |items: &[Item]| {
            let hms: Vec<Fr> = items
                .iter()
                .map(|(a, m, s)| poseidon::hash(hash_inputs(a, m, s)))
                .collect();
            let chosen: Vec<_> = items
                .iter()
                .zip(&hms)
                .map(|((a, _, s), hm)| (a, s, hm))
                .collect();
            batch_equation_holds(&chosen, &mut rand::rngs::OsRng)
        };
        assert!(equation(&good), "{size} good signatures");
        let mut one_bad = good.clone();
        one_bad[size / 2].2.s += Fr::from(1u64);
        assert!(!equation(&one_bad), "{size} with a bad one");
        assert!(verify_batch(&good).iter().all(|r| r.is_ok()));
        assert!(verify_batch(&[]).is_empty());
        assert_eq!(verify_batch(&good[..1]), vec![Ok(())]);
        let tamper: [fn(&mut Item); 6] = [
            |x| x.1 += Fr::from(1u64),
            |x| x.2.s += Fr::from(1u64),
            |x| x.2.s += fr_from_biguint(subgroup_order()).unwrap(),
            |x| x.2.r8.x += Fr::from(1u64),
            |x| {
                x.0 = Point {
                    x: Fr::ZERO,
                    y: -Fr::ONE,
                }
            },
            |x| x.0 = PrivateKey::from_bytes([99; 32]).public(),
        ];
        for (k, t) in tamper.iter().enumerate() {
            for at in [0, 5, size - 1] {
                let mut items = good.clone();
                t(&mut items[at]);
                let expected: Vec<_> = items.iter().map(|(a, m, s)| verify(a, m, s)).collect();
                assert!(expected[at].is_err(), "tamper {k} makes a bad signature");
                assert_eq!(verify_batch(&items), expected, "tamper {k} at {at}");
            }
        }
        // two bad ones whose errors could cancel in a sum with fixed coefficients
        let mut items = good.clone();
        items[2].2.s += Fr::from(1u64);
        items[3].2.s -= Fr::from(1u64);
        let results = verify_batch(&items);
        assert_eq!(results[2], Err(CryptoError::BadSignature));
        assert_eq!(results[3], Err(CryptoError::BadSignature));
    }

    #[test]
    fn sign_then_verify_and_tamper() {
        let key = PrivateKey::from_bytes([7u8; 32]);
        let public = key.public();
        let msg = Fr::from(42u64);
        let sig = key.sign(&msg);
        assert_eq!(verify(&public, &msg, &sig), Ok(()));
        assert_eq!(
            verify(&public, &Fr::from(43u64), &sig),
            Err(CryptoError::BadSignature)
        );
        let mut bad = sig;
        bad.s += Fr::from(1u64);
        assert_eq!(verify(&public, &msg, &bad), Err(CryptoError::BadSignature));
        let other = PrivateKey::from_bytes([8u8; 32]).public();
        assert_eq!(verify(&other, &msg, &sig), Err(CryptoError::BadSignature));
    }

    #[test]
    fn private_key_debug_is_redacted() {
        let key = PrivateKey::from_bytes([0xAB; 32]);
        assert!(!format!("{key:?}").to_lowercase().contains("ab"));
    }

    #[test]
    fn hex_parsing() {
        assert!(PrivateKey::from_hex(&"00".repeat(32)).is_ok());
        assert!(PrivateKey::from_hex(&format!("0x{}", "ff".repeat(32))).is_ok());
        assert!(PrivateKey::from_hex("00").is_err());
        assert!(PrivateKey::from_hex(&"zz".repeat(32)).is_err());
    }
}
