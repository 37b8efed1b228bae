//! Serde helpers: field elements as decimal strings, 65-byte signatures as hex.

use serde::{Deserialize, Deserializer, Serializer};
use zkr_crypto::Fr;
use zkr_crypto::field::{fr_from_decimal, fr_to_decimal};

/// Serializes a field element as a decimal string.
pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fr_to_decimal(x))
}

/// Deserializes a canonical decimal field element.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
    let s = String::deserialize(d)?;
    fr_from_decimal(&s).map_err(serde::de::Error::custom)
}

/// A 65-byte ECDSA signature as `0x`-prefixed hex.
pub mod sig65 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as hex.
    pub fn serialize<S: Serializer>(x: &[u8; 65], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(x)))
    }

    /// Deserializes 65 bytes of hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 65], D::Error> {
        let s = String::deserialize(d)?;
        let bytes =
            hex::decode(s.strip_prefix("0x").unwrap_or(&s)).map_err(serde::de::Error::custom)?;
        bytes.try_into().map_err(|b: Vec<u8>| {
            serde::de::Error::custom(format!("expected 65 bytes, got {}", b.len()))
        })
    }
}
