//! Signed L2 transactions and the messages they sign (`docs/protocol.md` §5).

pub use crate::dex::{AddLiquidity, CreatePool, RemoveLiquidity, Swap};
use crate::float::{pack_amount, pack_fee};
use crate::ids::{AccountId, Amount, ChainId, Nonce, TokenId};
use crate::{Address, Fr, TypesError};
use alloy_primitives::{B256, keccak256};
use serde::{Deserialize, Serialize};
use zkr_crypto::babyjubjub::Point;
use zkr_crypto::eddsa::{self, PrivateKey, Signature};
use zkr_crypto::eth::{Eip712Domain, EthPrivateKey, change_pubkey_digest};
use zkr_crypto::field::fr_to_be_bytes;
use zkr_crypto::{CryptoError, poseidon};

/// Type byte of ChangePubKey in messages and pubdata.
pub const TX_TYPE_CHANGE_PUBKEY: u8 = 0x02;
/// Type byte of Transfer (also signed for TransferToNew).
pub const TX_TYPE_TRANSFER: u8 = 0x03;
/// Type byte of Withdraw.
pub const TX_TYPE_WITHDRAW: u8 = 0x05;

/// An L2 public key as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PubKeyJson {
    /// x coordinate.
    #[serde(with = "crate::serde_fr")]
    pub x: Fr,
    /// y coordinate.
    #[serde(with = "crate::serde_fr")]
    pub y: Fr,
}

/// An EdDSA-Poseidon signature together with the signer's public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L2Signature {
    /// The signer's public key; its hash must be the account's `pubkey_hash`.
    pub pub_key: PubKeyJson,
    /// `R8.x`.
    #[serde(with = "crate::serde_fr")]
    pub r8x: Fr,
    /// `R8.y`.
    #[serde(with = "crate::serde_fr")]
    pub r8y: Fr,
    /// `S`.
    #[serde(with = "crate::serde_fr")]
    pub s: Fr,
}

impl L2Signature {
    /// Signs `message` with `key`.
    pub fn sign(key: &PrivateKey, message: &Fr) -> Self {
        let a = key.public();
        let sig = key.sign(message);
        L2Signature {
            pub_key: PubKeyJson { x: a.x, y: a.y },
            r8x: sig.r8.x,
            r8y: sig.r8.y,
            s: sig.s,
        }
    }

    /// The public key as a curve point.
    pub fn public_key(&self) -> Point {
        Point {
            x: self.pub_key.x,
            y: self.pub_key.y,
        }
    }

    /// `pkh` of the signer (§2.2).
    pub fn pubkey_hash(&self) -> Fr {
        pubkey_hash(&self.public_key())
    }

    /// The signature proper: `R8` and `S`.
    pub fn eddsa(&self) -> Signature {
        Signature {
            r8: Point {
                x: self.r8x,
                y: self.r8y,
            },
            s: self.s,
        }
    }

    /// Verifies the signature over `message`.
    pub fn verify(&self, message: &Fr) -> Result<(), CryptoError> {
        eddsa::verify(&self.public_key(), message, &self.eddsa())
    }
}

/// `pkh(A) = Poseidon(A.x, A.y)`.
pub fn pubkey_hash(a: &Point) -> Fr {
    poseidon::hash([a.x, a.y])
}

/// An address as a field element (its 160-bit integer).
pub fn address_to_fr(a: &Address) -> Fr {
    zkr_crypto::field::fr_from_be_bytes_short(a.as_slice())
}

fn header(
    tx_type: u8,
    chain: ChainId,
    account: AccountId,
    token: TokenId,
    nonce: Nonce,
    fee: u16,
) -> Result<u128, TypesError> {
    if !account.is_valid() {
        return Err(TypesError::AccountIdOutOfRange(account.0.into()));
    }
    if !token.is_valid() {
        return Err(TypesError::TokenIdOutOfRange(token.0.into()));
    }
    Ok(u128::from(tx_type)
        | u128::from(chain.0) << 8
        | u128::from(account.0) << 40
        | u128::from(token.0) << 64
        | u128::from(nonce.0) << 72
        | u128::from(fee) << 104)
}

fn fr_from_u256_parts(low: u128, high: u128) -> Fr {
    // value = low + high * 2^128
    let two128 = Fr::from(u128::MAX) + Fr::from(1u64);
    Fr::from(low) + Fr::from(high) * two128
}

/// A transfer to an L1 address (§4.4, §4.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    /// Sender account.
    pub from: AccountId,
    /// Receiver's L1 address.
    pub to: Address,
    /// Token.
    pub token: TokenId,
    /// Amount (must be packable).
    pub amount: Amount,
    /// Fee in the same token (must be packable).
    pub fee: Amount,
    /// Sender's nonce.
    pub nonce: Nonce,
    /// Signature by the sender's L2 key.
    pub signature: L2Signature,
}

/// A withdrawal to L1 (§4.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Withdraw {
    /// The account.
    pub account_id: AccountId,
    /// L1 receiver.
    pub to: Address,
    /// Token.
    pub token: TokenId,
    /// Full amount.
    pub amount: Amount,
    /// Fee in the same token (must be packable).
    pub fee: Amount,
    /// Nonce.
    pub nonce: Nonce,
    /// Signature by the account's L2 key.
    pub signature: L2Signature,
}

/// Registration of an L2 key (§4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePubKey {
    /// The account.
    pub account_id: AccountId,
    /// Its L1 owner, who signs `eth_signature`.
    pub owner: Address,
    /// `pkh` of the new key.
    #[serde(with = "crate::serde_fr")]
    pub new_pub_key_hash: Fr,
    /// Token of the fee.
    pub fee_token: TokenId,
    /// Fee (must be packable).
    pub fee: Amount,
    /// Nonce.
    pub nonce: Nonce,
    /// The owner's EIP-712 signature (`r || s || v`).
    #[serde(with = "crate::serde_fr::sig65")]
    pub eth_signature: [u8; 65],
    /// Signature by the new L2 key.
    pub signature: L2Signature,
}

/// Any L2 transaction, as sent to the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum L2Tx {
    /// A transfer.
    Transfer(Transfer),
    /// A withdrawal.
    Withdraw(Withdraw),
    /// A key registration.
    ChangePubKey(ChangePubKey),
    /// A swap.
    Swap(Swap),
    /// Liquidity added to a pool.
    AddLiquidity(AddLiquidity),
    /// Liquidity removed from a pool.
    RemoveLiquidity(RemoveLiquidity),
    /// A new pool.
    CreatePool(CreatePool),
}

impl Transfer {
    /// Builds and signs a transfer.
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        key: &PrivateKey,
        chain: ChainId,
        from: AccountId,
        to: Address,
        token: TokenId,
        amount: Amount,
        fee: Amount,
        nonce: Nonce,
    ) -> Result<Self, TypesError> {
        let m = transfer_message(chain, from, to, token, amount, fee, nonce)?;
        Ok(Transfer {
            from,
            to,
            token,
            amount,
            fee,
            nonce,
            signature: L2Signature::sign(key, &m),
        })
    }

    /// The signed message `M` (§5).
    pub fn message(&self, chain: ChainId) -> Result<Fr, TypesError> {
        transfer_message(
            chain,
            self.from,
            self.to,
            self.token,
            self.amount,
            self.fee,
            self.nonce,
        )
    }
}

/// The message of a transfer with the given fields.
pub fn transfer_message(
    chain: ChainId,
    from: AccountId,
    to: Address,
    token: TokenId,
    amount: Amount,
    fee: Amount,
    nonce: Nonce,
) -> Result<Fr, TypesError> {
    let h = header(
        TX_TYPE_TRANSFER,
        chain,
        from,
        token,
        nonce,
        pack_fee(fee.0)?,
    )? | u128::from(pack_amount(amount.0)?) << 120;
    let w0 = fr_from_u256_parts(h, u128::from(pack_amount(amount.0)?) >> 8);
    Ok(poseidon::hash([w0, address_to_fr(&to)]))
}

impl Withdraw {
    /// Builds and signs a withdrawal.
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        key: &PrivateKey,
        chain: ChainId,
        account_id: AccountId,
        to: Address,
        token: TokenId,
        amount: Amount,
        fee: Amount,
        nonce: Nonce,
    ) -> Result<Self, TypesError> {
        let placeholder = L2Signature::sign(key, &Fr::from(0u64));
        let mut w = Withdraw {
            account_id,
            to,
            token,
            amount,
            fee,
            nonce,
            signature: placeholder,
        };
        w.signature = L2Signature::sign(key, &w.message(chain)?);
        Ok(w)
    }

    /// The signed message `M` (§5).
    pub fn message(&self, chain: ChainId) -> Result<Fr, TypesError> {
        let h = header(
            TX_TYPE_WITHDRAW,
            chain,
            self.account_id,
            self.token,
            self.nonce,
            pack_fee(self.fee.0)?,
        )?;
        // amount occupies bits 120..248: low 8 bits in the first u128, the rest above 2^128.
        let low = h | (self.amount.0 & 0xff) << 120;
        let w0 = fr_from_u256_parts(low, self.amount.0 >> 8);
        Ok(poseidon::hash([w0, address_to_fr(&self.to)]))
    }
}

impl ChangePubKey {
    /// Builds a key registration for `l2_key`, signed by it and authorized by `eth_key`.
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        l2_key: &PrivateKey,
        eth_key: &EthPrivateKey,
        domain: &Eip712Domain,
        chain: ChainId,
        account_id: AccountId,
        fee_token: TokenId,
        fee: Amount,
        nonce: Nonce,
    ) -> Result<Self, TypesError> {
        let new_pub_key_hash = pubkey_hash(&l2_key.public());
        let digest = change_pubkey_digest(
            domain,
            &fr_to_be_bytes(&new_pub_key_hash),
            nonce.0,
            account_id.0,
        );
        let eth_signature = eth_key
            .sign_digest(&digest)
            .map_err(|e| TypesError::Invalid(e.to_string()))?;
        let mut c = ChangePubKey {
            account_id,
            owner: eth_key.address(),
            new_pub_key_hash,
            fee_token,
            fee,
            nonce,
            eth_signature,
            signature: L2Signature::sign(l2_key, &Fr::from(0u64)),
        };
        c.signature = L2Signature::sign(l2_key, &c.message(chain)?);
        Ok(c)
    }

    /// The signed message `M` (§5).
    pub fn message(&self, chain: ChainId) -> Result<Fr, TypesError> {
        let h = header(
            TX_TYPE_CHANGE_PUBKEY,
            chain,
            self.account_id,
            self.fee_token,
            self.nonce,
            pack_fee(self.fee.0)?,
        )?;
        Ok(poseidon::hash([Fr::from(h), self.new_pub_key_hash]))
    }
}

/// The hash of a transaction whose signed message is `m`: `keccak256(BE32(M))`.
pub fn hash_of_message(m: &Fr) -> B256 {
    keccak256(fr_to_be_bytes(m))
}

impl L2Tx {
    /// The signed message `M`.
    pub fn message(&self, chain: ChainId) -> Result<Fr, TypesError> {
        match self {
            L2Tx::Transfer(t) => t.message(chain),
            L2Tx::Withdraw(w) => w.message(chain),
            L2Tx::ChangePubKey(c) => c.message(chain),
            L2Tx::Swap(x) => x.message(chain),
            L2Tx::AddLiquidity(x) => x.message(chain),
            L2Tx::RemoveLiquidity(x) => x.message(chain),
            L2Tx::CreatePool(x) => x.message(chain),
        }
    }

    /// The signature.
    pub fn signature(&self) -> &L2Signature {
        match self {
            L2Tx::Transfer(t) => &t.signature,
            L2Tx::Withdraw(w) => &w.signature,
            L2Tx::ChangePubKey(c) => &c.signature,
            L2Tx::Swap(x) => &x.signature,
            L2Tx::AddLiquidity(x) => &x.signature,
            L2Tx::RemoveLiquidity(x) => &x.signature,
            L2Tx::CreatePool(x) => &x.signature,
        }
    }

    /// The account that signs (and pays the fee).
    pub fn account_id(&self) -> AccountId {
        match self {
            L2Tx::Transfer(t) => t.from,
            L2Tx::Withdraw(w) => w.account_id,
            L2Tx::ChangePubKey(c) => c.account_id,
            L2Tx::Swap(x) => x.account_id,
            L2Tx::AddLiquidity(x) => x.account_id,
            L2Tx::RemoveLiquidity(x) => x.account_id,
            L2Tx::CreatePool(x) => x.account_id,
        }
    }

    /// The nonce.
    pub fn nonce(&self) -> Nonce {
        match self {
            L2Tx::Transfer(t) => t.nonce,
            L2Tx::Withdraw(w) => w.nonce,
            L2Tx::ChangePubKey(c) => c.nonce,
            L2Tx::Swap(x) => x.nonce,
            L2Tx::AddLiquidity(x) => x.nonce,
            L2Tx::RemoveLiquidity(x) => x.nonce,
            L2Tx::CreatePool(x) => x.nonce,
        }
    }

    /// The fee token and fee.
    pub fn fee(&self) -> (TokenId, Amount) {
        match self {
            L2Tx::Transfer(t) => (t.token, t.fee),
            L2Tx::Withdraw(w) => (w.token, w.fee),
            L2Tx::ChangePubKey(c) => (c.fee_token, c.fee),
            L2Tx::Swap(x) => (x.sell, x.fee),
            L2Tx::AddLiquidity(x) => (x.token_a, x.fee),
            L2Tx::RemoveLiquidity(x) => (x.token_a, x.fee),
            L2Tx::CreatePool(x) => (x.token_a, x.fee),
        }
    }

    /// The transaction hash: `keccak256(BE32(M))`.
    pub fn hash(&self, chain: ChainId) -> Result<B256, TypesError> {
        Ok(hash_of_message(&self.message(chain)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PrivateKey {
        PrivateKey::from_bytes([3u8; 32])
    }

    fn transfer() -> Transfer {
        let mut t = Transfer {
            from: AccountId(5),
            to: Address::repeat_byte(0x11),
            token: TokenId(1),
            amount: Amount(10u128.pow(18)),
            fee: Amount(1000),
            nonce: Nonce(3),
            signature: L2Signature::sign(&key(), &Fr::from(0u64)),
        };
        t.signature = L2Signature::sign(&key(), &t.message(ChainId(9)).unwrap());
        t
    }

    #[test]
    fn message_binds_every_field_and_the_chain() {
        let t = transfer();
        let m = t.message(ChainId(9)).unwrap();
        assert_ne!(m, t.message(ChainId(10)).unwrap());
        let variants = [
            Transfer {
                from: AccountId(6),
                ..t.clone()
            },
            Transfer {
                to: Address::repeat_byte(0x12),
                ..t.clone()
            },
            Transfer {
                token: TokenId(2),
                ..t.clone()
            },
            Transfer {
                amount: Amount(2 * 10u128.pow(18)),
                ..t.clone()
            },
            Transfer {
                fee: Amount(1001),
                ..t.clone()
            },
            Transfer {
                nonce: Nonce(4),
                ..t.clone()
            },
        ];
        for v in variants {
            assert_ne!(v.message(ChainId(9)).unwrap(), m, "{v:?}");
        }
        assert!(t.signature.verify(&m).is_ok());
    }

    #[test]
    fn withdraw_message_binds_full_amount() {
        let w = Withdraw {
            account_id: AccountId(1),
            to: Address::repeat_byte(1),
            token: TokenId(0),
            amount: Amount(u128::MAX),
            fee: Amount(0),
            nonce: Nonce(0),
            signature: L2Signature::sign(&key(), &Fr::from(0u64)),
        };
        let m = w.message(ChainId(1)).unwrap();
        let w2 = Withdraw {
            amount: Amount(u128::MAX - 1),
            ..w.clone()
        };
        assert_ne!(m, w2.message(ChainId(1)).unwrap());
        let w3 = Withdraw {
            amount: Amount(u128::MAX - (1 << 100)),
            ..w.clone()
        };
        assert_ne!(m, w3.message(ChainId(1)).unwrap());
    }

    #[test]
    fn json_round_trip() {
        let tx = L2Tx::Transfer(transfer());
        let json = serde_json::to_string(&tx).unwrap();
        assert!(json.contains("\"type\":\"Transfer\""));
        assert!(json.contains("\"amount\":\"1000000000000000000\""));
        let back: L2Tx = serde_json::from_str(&json).unwrap();
        assert_eq!(back, tx);
        let bad = json.replace("\"1000000000000000000\"", "\"-1\"");
        assert!(serde_json::from_str::<L2Tx>(&bad).is_err());
    }

    #[test]
    fn unpackable_amount_has_no_message() {
        let t = Transfer {
            amount: Amount(123_456_789_012_345_678),
            ..transfer()
        };
        assert_eq!(
            t.message(ChainId(9)),
            Err(TypesError::AmountNotPackable(123_456_789_012_345_678))
        );
    }
}
