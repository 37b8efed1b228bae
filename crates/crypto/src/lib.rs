//! Cryptography of zkr, compatible with circomlib/circomlibjs.
//!
//! This crate owns the hash and signature primitives every other part of zkr relies on:
//! - [`poseidon`]: Poseidon over the BN254 scalar field, bit-for-bit as circomlibjs computes it,
//!   for 1 to 16 inputs;
//! - [`babyjubjub`]: the BabyJubjub twisted Edwards curve in circomlib's coordinates;
//! - [`eddsa`]: EdDSA-Poseidon keys and signatures as circomlibjs `prv2pub`, `signPoseidon` and
//!   `verifyPoseidon` make them, with strict verification;
//! - [`eth`]: the Ethereum side: deriving a user's L2 signing key from their Ethereum key, and
//!   ECDSA signatures (EIP-191 / EIP-712) that authorize L2 keys.
//!
//! It never logs or prints key material, and holds no state.

pub mod babyjubjub;
pub mod eddsa;
mod error;
pub mod eth;
pub mod field;
pub mod poseidon;

pub use error::CryptoError;
pub use field::Fr;
