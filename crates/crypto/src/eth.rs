//! The Ethereum side of zkr keys.
//!
//! - A user's L2 signing key is derived from their Ethereum key: the wallet signs the fixed,
//!   chain-specific text of [`l2_key_message`] with `personal_sign` (EIP-191, deterministic
//!   RFC 6979 ECDSA), and the L2 private key is `keccak256(signature)` over the 65 bytes `r||s||v`.
//!   Any wallet can therefore recreate the L2 key from the Ethereum key alone.
//! - `ChangePubKey` is authorized by the owner's ECDSA signature over an EIP-712 typed message
//!   ([`change_pubkey_digest`]) that the L1 contract checks with `ecrecover`.

use crate::CryptoError;
use crate::eddsa::PrivateKey;
use alloy_primitives::{Address, B256, U256, eip191_hash_message, keccak256};
use k256::ecdsa::SigningKey;

/// An Ethereum (secp256k1) private key. Its `Debug` output never shows the key.
#[derive(Clone)]
pub struct EthPrivateKey(SigningKey);

impl std::fmt::Debug for EthPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EthPrivateKey(address={})", self.address())
    }
}

impl EthPrivateKey {
    /// Parses 64 hex characters (optional `0x`).
    pub fn from_hex(s: &str) -> Result<Self, CryptoError> {
        let h = s.strip_prefix("0x").unwrap_or(s);
        let bytes = hex::decode(h)
            .map_err(|_| CryptoError::InvalidPrivateKey("not a hex string".into()))?;
        if bytes.len() != 32 {
            return Err(CryptoError::InvalidPrivateKey(format!(
                "expected 32 bytes, got {}",
                bytes.len()
            )));
        }
        Self::from_bytes(&bytes)
    }

    /// From 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        SigningKey::from_slice(bytes)
            .map(EthPrivateKey)
            .map_err(|_| CryptoError::InvalidPrivateKey("not a valid secp256k1 scalar".into()))
    }

    /// The Ethereum address of this key.
    pub fn address(&self) -> Address {
        let point = self.0.verifying_key().to_encoded_point(false);
        Address::from_raw_public_key(&point.as_bytes()[1..])
    }

    /// Signs a 32-byte digest; returns `r || s || v` with `v` in {27, 28} and low `s`.
    pub fn sign_digest(&self, digest: &B256) -> Result<[u8; 65], CryptoError> {
        let (sig, recid) = self
            .0
            .sign_prehash_recoverable(digest.as_slice())
            .map_err(|e| CryptoError::Ecdsa(e.to_string()))?;
        let (sig, recid) = match sig.normalize_s() {
            Some(normalized) => (normalized, recid.to_byte() ^ 1),
            None => (sig, recid.to_byte()),
        };
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&sig.to_bytes());
        out[64] = 27 + recid;
        Ok(out)
    }

    /// `personal_sign` (EIP-191 version 0x45) of a message.
    pub fn personal_sign(&self, message: &[u8]) -> Result<[u8; 65], CryptoError> {
        self.sign_digest(&eip191_hash_message(message))
    }
}

/// Recovers the signer of a 32-byte digest from a 65-byte `r || s || v` signature
/// (`v` in {27, 28} or {0, 1}); high-`s` signatures are rejected, as the L1 contract does.
pub fn recover_signer(digest: &B256, sig: &[u8; 65]) -> Result<Address, CryptoError> {
    let s = U256::from_be_slice(&sig[32..64]);
    // secp256k1 n / 2
    let half_n = U256::from_str_radix(
        "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0",
        16,
    )
    .expect("constant");
    if s > half_n {
        return Err(CryptoError::Ecdsa(
            "signature s is in the upper half of the order".into(),
        ));
    }
    let parity = match sig[64] {
        27 | 0 => false,
        28 | 1 => true,
        v => return Err(CryptoError::Ecdsa(format!("invalid recovery byte v = {v}"))),
    };
    let signature = alloy_primitives::Signature::from_bytes_and_parity(&sig[..64], parity);
    signature
        .recover_address_from_prehash(digest)
        .map_err(|e| CryptoError::Ecdsa(e.to_string()))
}

/// The text a wallet signs to derive its zkr L2 key on chain `chain_id`.
pub fn l2_key_message(chain_id: u32) -> String {
    format!(
        "Access zkr account.\n\nThis signature creates your zkr L2 signing key for zkr chain {chain_id}.\nOnly sign this message for a trusted client!"
    )
}

/// Derives the L2 (EdDSA) private key of an Ethereum key on zkr chain `chain_id`.
pub fn derive_l2_key(eth_key: &EthPrivateKey, chain_id: u32) -> Result<PrivateKey, CryptoError> {
    let sig = eth_key.personal_sign(l2_key_message(chain_id).as_bytes())?;
    Ok(PrivateKey::from_bytes(keccak256(sig).0))
}

/// The EIP-712 domain of a zkr deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eip712Domain {
    /// The L1 chain id.
    pub l1_chain_id: u64,
    /// The rollup contract on L1.
    pub verifying_contract: Address,
}

impl Eip712Domain {
    /// `keccak256(abi.encode(EIP712Domain typehash, keccak256("zkr"), keccak256("1"), chainId, verifyingContract))`.
    pub fn separator(&self) -> B256 {
        let typehash = keccak256(
            b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
        );
        let mut buf = Vec::with_capacity(5 * 32);
        buf.extend_from_slice(typehash.as_slice());
        buf.extend_from_slice(keccak256(b"zkr").as_slice());
        buf.extend_from_slice(keccak256(b"1").as_slice());
        buf.extend_from_slice(&U256::from(self.l1_chain_id).to_be_bytes::<32>());
        buf.extend_from_slice(
            B256::left_padding_from(self.verifying_contract.as_slice()).as_slice(),
        );
        keccak256(buf)
    }
}

/// The EIP-712 typehash of `ChangePubKey(bytes32 pubKeyHash,uint32 nonce,uint32 accountId)`.
pub fn change_pubkey_typehash() -> B256 {
    keccak256(b"ChangePubKey(bytes32 pubKeyHash,uint32 nonce,uint32 accountId)")
}

/// The digest the owner signs to authorize L2 key `pubkey_hash` on account `account_id` at
/// `nonce`: `keccak256(0x1901 || domainSeparator || keccak256(abi.encode(typehash, pubKeyHash, nonce, accountId)))`.
pub fn change_pubkey_digest(
    domain: &Eip712Domain,
    pubkey_hash: &[u8; 32],
    nonce: u32,
    account_id: u32,
) -> B256 {
    let mut s = Vec::with_capacity(4 * 32);
    s.extend_from_slice(change_pubkey_typehash().as_slice());
    s.extend_from_slice(pubkey_hash);
    s.extend_from_slice(&U256::from(nonce).to_be_bytes::<32>());
    s.extend_from_slice(&U256::from(account_id).to_be_bytes::<32>());
    let struct_hash = keccak256(s);
    let mut m = Vec::with_capacity(66);
    m.extend_from_slice(&[0x19, 0x01]);
    m.extend_from_slice(domain.separator().as_slice());
    m.extend_from_slice(struct_hash.as_slice());
    keccak256(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    // anvil's first dev account (publicly known test key).
    const DEV_KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    #[test]
    fn address_of_anvil_dev_key() {
        let k = EthPrivateKey::from_hex(DEV_KEY).unwrap();
        assert_eq!(
            k.address(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
                .parse::<Address>()
                .unwrap()
        );
    }

    #[test]
    fn sign_and_recover() {
        let k = EthPrivateKey::from_hex(DEV_KEY).unwrap();
        let d = keccak256(b"hello");
        let sig = k.sign_digest(&d).unwrap();
        assert_eq!(recover_signer(&d, &sig).unwrap(), k.address());
        let mut other = sig;
        other[5] ^= 1;
        assert_ne!(recover_signer(&d, &other).ok(), Some(k.address()));
    }

    #[test]
    fn l2_key_derivation_is_deterministic_and_chain_specific() {
        let k = EthPrivateKey::from_hex(DEV_KEY).unwrap();
        let a = derive_l2_key(&k, 1).unwrap();
        assert_eq!(a, derive_l2_key(&k, 1).unwrap());
        assert_ne!(a, derive_l2_key(&k, 2).unwrap());
    }
}
