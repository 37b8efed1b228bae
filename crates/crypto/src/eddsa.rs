//! EdDSA-Poseidon on BabyJubjub, as circomlibjs `prv2pub`, `signPoseidon` and `verifyPoseidon`.
//!
//! - private key: 32 bytes; `h = BLAKE-512(key)`, the first half pruned
//!   (`h[0] &= 0xF8; h[31] &= 0x7F; h[31] |= 0x40`) is the scalar `s` (little-endian);
//! - public key: `A = (s >> 3) * Base8`;
//! - signature of a field element `M`: `r = LE(BLAKE-512(h[32..64] || LE32(M))) mod l`,
//!   `R8 = r * Base8`, `hm = Poseidon(R8.x, R8.y, A.x, A.y, M)`, `S = (r + hm * s) mod l`;
//! - verification: `S * Base8 == R8 + (8 * hm) * A`.
//!
//! Verification is strict: both points must be on the curve, `A` must not have small order and
//! `S` must be below the subgroup order `l`, so a signature has exactly one valid encoding.

use crate::babyjubjub::{Extended, Point, mul_base8_le_bytes, subgroup_order};
use crate::field::{fr_from_biguint, fr_to_biguint};
use crate::poseidon;
use crate::{CryptoError, Fr};
use ark_ff::{BigInteger, PrimeField};
use blake_hash::{Blake512, Digest};
use num_bigint::BigUint;

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

/// Verifies an EdDSA-Poseidon signature of `message` by `public`, as circomlibjs
/// `verifyPoseidon` does, and additionally rejects small-order public keys.
pub fn verify(public: &PublicKey, message: &Fr, sig: &Signature) -> Result<(), CryptoError> {
    if !public.is_on_curve() || !sig.r8.is_on_curve() {
        return Err(CryptoError::NotOnCurve);
    }
    if public.has_small_order() {
        return Err(CryptoError::SmallOrder);
    }
    if fr_to_biguint(&sig.s) >= *subgroup_order() {
        return Err(CryptoError::NonCanonicalS);
    }
    let hm = poseidon::hash([sig.r8.x, sig.r8.y, public.x, public.y, *message]);
    let left = mul_base8_le_bytes(&sig.s.into_bigint().to_bytes_le());
    let eight_hm: BigUint = fr_to_biguint(&hm) << 3u32;
    let right =
        Extended::from(sig.r8).add(&Extended::from(*public).mul_le_bytes(&eight_hm.to_bytes_le()));
    if left.eq_point(&right) {
        Ok(())
    } else {
        Err(CryptoError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
