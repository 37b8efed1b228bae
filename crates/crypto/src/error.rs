use thiserror::Error;

/// Errors of the cryptographic primitives.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// A decimal or hex string that is not a canonical field element.
    #[error(
        "invalid field element {0:?}: expected a decimal integer below the BN254 scalar field modulus"
    )]
    InvalidFieldElement(String),
    /// Poseidon takes between 1 and 16 inputs.
    #[error("poseidon takes 1 to 16 inputs, got {0}")]
    PoseidonArity(usize),
    /// A private key that is not 32 bytes of hex.
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(String),
    /// A point that is not on the BabyJubjub curve.
    #[error("point is not on the BabyJubjub curve")]
    NotOnCurve,
    /// A public key (or R8) of small order.
    #[error("point has small order")]
    SmallOrder,
    /// A signature scalar S that is not below the subgroup order.
    #[error("signature scalar S is not canonical (not below the subgroup order)")]
    NonCanonicalS,
    /// The signature equation does not hold.
    #[error("signature does not verify")]
    BadSignature,
    /// An Ethereum (ECDSA) signature that could not be made or recovered.
    #[error("ethereum signature error: {0}")]
    Ecdsa(String),
}
