//! DEX transactions and their operations (`docs/protocol.md` §3.5, §4.9-§4.12, §5): what a
//! user signs (token ids, never a pool id) and what goes into a batch (the pool id the
//! operator chose; outputs follow from the state and are not posted).

use crate::float::{pack_amount, pack_fee};
use crate::ids::{AccountId, Amount, ChainId, Nonce, TokenId};
use crate::params::{LP_TOKEN_BASE, MAX_L1_TOKENS, MAX_POOLS, POOL_ACCOUNT_BASE};
use crate::tx::L2Signature;
use crate::{Fr, TypesError};
use alloy_primitives::U256;
use ark_ff::PrimeField;
use serde::{Deserialize, Serialize};
use zkr_crypto::eddsa::PrivateKey;
use zkr_crypto::poseidon;

/// A pool id, `0..MAX_POOLS` (§3.5).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct PoolId(pub u8);

impl PoolId {
    /// Whether it is below `MAX_POOLS`.
    pub fn is_valid(self) -> bool {
        self.0 < MAX_POOLS
    }

    /// The pool's account id.
    pub fn account_id(self) -> AccountId {
        AccountId(POOL_ACCOUNT_BASE + u32::from(self.0))
    }

    /// The pool's LP token.
    pub fn lp_token(self) -> TokenId {
        TokenId(LP_TOKEN_BASE + u16::from(self.0))
    }

    /// The pool whose LP token is `t`, if it is one.
    pub fn of_lp_token(t: TokenId) -> Option<PoolId> {
        (t.0 >= LP_TOKEN_BASE && t.0 < LP_TOKEN_BASE + u16::from(MAX_POOLS))
            .then(|| PoolId((t.0 - LP_TOKEN_BASE) as u8))
    }

    /// The pool living at account `id`, if it is a pool's.
    pub fn of_account(id: AccountId) -> Option<PoolId> {
        (id.0 >= POOL_ACCOUNT_BASE && id.0 < POOL_ACCOUNT_BASE + u32::from(MAX_POOLS))
            .then(|| PoolId((id.0 - POOL_ACCOUNT_BASE) as u8))
    }
}

/// Whether `t` is an L1 token (deposited and withdrawn), not an LP token.
pub fn is_l1_token(t: TokenId) -> bool {
    t.0 < MAX_L1_TOKENS
}

/// Checks a pair: `a < b < MAX_L1_TOKENS`.
pub fn check_pair(a: TokenId, b: TokenId) -> Result<(), TypesError> {
    if a.0 < b.0 && b.0 < MAX_L1_TOKENS {
        Ok(())
    } else {
        Err(TypesError::Invalid(format!(
            "a pool pair is two L1 tokens a < b < {MAX_L1_TOKENS}, got ({}, {})",
            a.0, b.0
        )))
    }
}

/// Transaction types of the DEX (the op type bytes).
pub mod dex_type {
    /// Swap.
    pub const SWAP: u8 = 0x07;
    /// AddLiquidity.
    pub const ADD_LIQUIDITY: u8 = 0x08;
    /// RemoveLiquidity.
    pub const REMOVE_LIQUIDITY: u8 = 0x09;
    /// CreatePool.
    pub const CREATE_POOL: u8 = 0x0a;
}

/// A DEX message (§5): `Poseidon(w0, second)` with the header `w0` (type, chain, account, two
/// tokens, nonce, packed fee, then up to three 40-bit packed amounts from bit 128).
#[allow(clippy::too_many_arguments)]
fn dex_message(
    tx_type: u8,
    chain: ChainId,
    account: AccountId,
    tokens: (TokenId, TokenId),
    nonce: Nonce,
    fee: Amount,
    amounts: &[Amount],
    second: Fr,
) -> Result<Fr, TypesError> {
    if !account.is_valid() {
        return Err(TypesError::AccountIdOutOfRange(account.0.into()));
    }
    for t in [tokens.0, tokens.1] {
        if !t.is_valid() {
            return Err(TypesError::TokenIdOutOfRange(t.0.into()));
        }
    }
    let mut w: U256 = U256::from(tx_type)
        | U256::from(chain.0) << 8
        | U256::from(account.0) << 40
        | U256::from(tokens.0.0) << 64
        | U256::from(tokens.1.0) << 72
        | U256::from(nonce.0) << 80
        | U256::from(pack_fee(fee.0)?) << 112;
    for (i, a) in amounts.iter().enumerate() {
        w |= U256::from(pack_amount(a.0)?) << (128 + 40 * i);
    }
    let w0 = Fr::from_be_bytes_mod_order(&w.to_be_bytes::<32>());
    Ok(poseidon::hash([w0, second]))
}

/// Swap `amount_in` of `sell` for at least `min_out` of `buy` (§4.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Swap {
    /// The trader's account.
    pub account_id: AccountId,
    /// The pool (its id, from `zkr_getPool`): signed, so the operator cannot route the
    /// transaction to another pool of the same pair.
    pub pool: PoolId,
    /// Token sold.
    pub sell: TokenId,
    /// Token bought.
    pub buy: TokenId,
    /// Exact input (packable).
    pub amount_in: Amount,
    /// Smallest acceptable output (packable).
    pub min_out: Amount,
    /// Fee, in `sell` (packable).
    pub fee: Amount,
    /// Nonce.
    pub nonce: Nonce,
    /// Signature by the account's L2 key.
    pub signature: L2Signature,
}

/// Add at most `max_a` and `max_b` to the pool of `(token_a, token_b)` for at least `min_shares`
/// (§4.11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddLiquidity {
    /// The provider's account.
    pub account_id: AccountId,
    /// The pool (its id, from `zkr_getPool`): signed, so the operator cannot route the
    /// transaction to another pool of the same pair.
    pub pool: PoolId,
    /// The pair, `token_a < token_b`.
    pub token_a: TokenId,
    /// Second token of the pair.
    pub token_b: TokenId,
    /// At most this much of `token_a` (packable).
    pub max_a: Amount,
    /// At most this much of `token_b` (packable).
    pub max_b: Amount,
    /// At least this many shares (packable).
    pub min_shares: Amount,
    /// Fee, in `token_a` (packable).
    pub fee: Amount,
    /// Nonce.
    pub nonce: Nonce,
    /// Signature by the account's L2 key.
    pub signature: L2Signature,
}

/// Burn `shares` of the pool of `(token_a, token_b)` for at least `min_a` and `min_b` (§4.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveLiquidity {
    /// The provider's account.
    pub account_id: AccountId,
    /// The pool (its id, from `zkr_getPool`): signed, so the operator cannot route the
    /// transaction to another pool of the same pair.
    pub pool: PoolId,
    /// The pair, `token_a < token_b`.
    pub token_a: TokenId,
    /// Second token of the pair.
    pub token_b: TokenId,
    /// Shares burnt (any amount: a whole balance can be burnt).
    pub shares: Amount,
    /// At least this much of `token_a` (packable).
    pub min_a: Amount,
    /// At least this much of `token_b` (packable).
    pub min_b: Amount,
    /// Fee, in `token_a` (packable).
    pub fee: Amount,
    /// Nonce.
    pub nonce: Nonce,
    /// Signature by the account's L2 key.
    pub signature: L2Signature,
}

/// Create the pool of `(token_a, token_b)` (§4.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePool {
    /// The creator's account.
    pub account_id: AccountId,
    /// The pair, `token_a < token_b`.
    pub token_a: TokenId,
    /// Second token of the pair.
    pub token_b: TokenId,
    /// Fee, in `token_a` (packable).
    pub fee: Amount,
    /// Nonce.
    pub nonce: Nonce,
    /// Signature by the account's L2 key.
    pub signature: L2Signature,
}

fn placeholder(key: &PrivateKey) -> L2Signature {
    L2Signature::sign(key, &Fr::from(0u64))
}

impl Swap {
    /// Builds and signs a swap.
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        key: &PrivateKey,
        chain: ChainId,
        account_id: AccountId,
        pool: PoolId,
        sell: TokenId,
        buy: TokenId,
        amount_in: Amount,
        min_out: Amount,
        fee: Amount,
        nonce: Nonce,
    ) -> Result<Self, TypesError> {
        let mut s = Swap {
            account_id,
            pool,
            sell,
            buy,
            amount_in,
            min_out,
            fee,
            nonce,
            signature: placeholder(key),
        };
        s.signature = L2Signature::sign(key, &s.message(chain)?);
        Ok(s)
    }

    /// The signed message `M` (§5).
    pub fn message(&self, chain: ChainId) -> Result<Fr, TypesError> {
        dex_message(
            dex_type::SWAP,
            chain,
            self.account_id,
            (self.sell, self.buy),
            self.nonce,
            self.fee,
            &[self.amount_in, self.min_out],
            Fr::from(u64::from(self.pool.0)),
        )
    }
}

impl AddLiquidity {
    /// Builds and signs an AddLiquidity.
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        key: &PrivateKey,
        chain: ChainId,
        account_id: AccountId,
        pool: PoolId,
        (token_a, token_b): (TokenId, TokenId),
        max_a: Amount,
        max_b: Amount,
        min_shares: Amount,
        fee: Amount,
        nonce: Nonce,
    ) -> Result<Self, TypesError> {
        let mut a = AddLiquidity {
            account_id,
            pool,
            token_a,
            token_b,
            max_a,
            max_b,
            min_shares,
            fee,
            nonce,
            signature: placeholder(key),
        };
        a.signature = L2Signature::sign(key, &a.message(chain)?);
        Ok(a)
    }

    /// The signed message `M` (§5).
    pub fn message(&self, chain: ChainId) -> Result<Fr, TypesError> {
        dex_message(
            dex_type::ADD_LIQUIDITY,
            chain,
            self.account_id,
            (self.token_a, self.token_b),
            self.nonce,
            self.fee,
            &[self.max_a, self.max_b, self.min_shares],
            Fr::from(u64::from(self.pool.0)),
        )
    }
}

impl RemoveLiquidity {
    /// Builds and signs a RemoveLiquidity.
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        key: &PrivateKey,
        chain: ChainId,
        account_id: AccountId,
        pool: PoolId,
        (token_a, token_b): (TokenId, TokenId),
        shares: Amount,
        min_a: Amount,
        min_b: Amount,
        fee: Amount,
        nonce: Nonce,
    ) -> Result<Self, TypesError> {
        let mut r = RemoveLiquidity {
            account_id,
            pool,
            token_a,
            token_b,
            shares,
            min_a,
            min_b,
            fee,
            nonce,
            signature: placeholder(key),
        };
        r.signature = L2Signature::sign(key, &r.message(chain)?);
        Ok(r)
    }

    /// The signed message `M` (§5).
    pub fn message(&self, chain: ChainId) -> Result<Fr, TypesError> {
        dex_message(
            dex_type::REMOVE_LIQUIDITY,
            chain,
            self.account_id,
            (self.token_a, self.token_b),
            self.nonce,
            self.fee,
            &[self.min_a, self.min_b],
            // shares (128 bits) + 2^128 * pool
            Fr::from(self.shares.0)
                + Fr::from(u64::from(self.pool.0)) * (Fr::from(u128::MAX) + Fr::from(1u64)),
        )
    }
}

impl CreatePool {
    /// Builds and signs a CreatePool.
    pub fn signed(
        key: &PrivateKey,
        chain: ChainId,
        account_id: AccountId,
        (token_a, token_b): (TokenId, TokenId),
        fee: Amount,
        nonce: Nonce,
    ) -> Result<Self, TypesError> {
        let mut c = CreatePool {
            account_id,
            token_a,
            token_b,
            fee,
            nonce,
            signature: placeholder(key),
        };
        c.signature = L2Signature::sign(key, &c.message(chain)?);
        Ok(c)
    }

    /// The signed message `M` (§5).
    pub fn message(&self, chain: ChainId) -> Result<Fr, TypesError> {
        dex_message(
            dex_type::CREATE_POOL,
            chain,
            self.account_id,
            (self.token_a, self.token_b),
            self.nonce,
            self.fee,
            &[],
            Fr::from(0u64),
        )
    }
}

/// Swap in a batch (§4.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwapOp {
    /// The trader.
    pub account_id: AccountId,
    /// The pool.
    pub pool: PoolId,
    /// Whether the pool's `b` token is sold (else its `a`).
    pub sell_b: bool,
    /// Input.
    pub amount_in: Amount,
    /// Fee, in the sold token.
    pub fee: Amount,
}

/// AddLiquidity in a batch (§4.11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddLiquidityOp {
    /// The provider.
    pub account_id: AccountId,
    /// The pool.
    pub pool: PoolId,
    /// At most this much of a.
    pub max_a: Amount,
    /// At most this much of b.
    pub max_b: Amount,
    /// Fee, in a.
    pub fee: Amount,
}

/// RemoveLiquidity in a batch (§4.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveLiquidityOp {
    /// The provider.
    pub account_id: AccountId,
    /// The pool.
    pub pool: PoolId,
    /// Shares burnt.
    pub shares: Amount,
    /// Fee, in a.
    pub fee: Amount,
}

/// CreatePool in a batch (§4.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePoolOp {
    /// The creator.
    pub account_id: AccountId,
    /// The new pool.
    pub pool: PoolId,
    /// Its first token.
    pub token_a: TokenId,
    /// Its second token.
    pub token_b: TokenId,
    /// Fee, in a.
    pub fee: Amount,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_bind_every_signed_field_and_the_chain() {
        let key = PrivateKey::from_bytes([9u8; 32]);
        let s = Swap::signed(
            &key,
            ChainId(270),
            AccountId(5),
            PoolId(0),
            TokenId(0),
            TokenId(1),
            Amount(10u128.pow(18)),
            Amount(990 * 10u128.pow(15)),
            Amount(10u128.pow(14)),
            Nonce(3),
        )
        .unwrap();
        let m = s.message(ChainId(270)).unwrap();
        s.signature.verify(&m).unwrap();
        assert_ne!(m, s.message(ChainId(271)).unwrap(), "chain");
        let mut other = s.clone();
        other.min_out = Amount(0);
        assert_ne!(m, other.message(ChainId(270)).unwrap(), "min_out");
        let mut other = s.clone();
        other.pool = PoolId(1);
        assert_ne!(m, other.message(ChainId(270)).unwrap(), "pool");
        let mut other = s.clone();
        std::mem::swap(&mut other.sell, &mut other.buy);
        assert_ne!(m, other.message(ChainId(270)).unwrap(), "direction");
        // an unpackable amount cannot be signed
        let mut bad = s.clone();
        bad.amount_in = Amount(123456789012345678);
        assert!(bad.message(ChainId(270)).is_err());
        // the three amounts of a liquidity message occupy bits 128..248, below r: the largest
        // packed values still sign and verify
        let big = Amount(34359738367 * 10u128.pow(27));
        let r = RemoveLiquidity::signed(
            &key,
            ChainId(u32::MAX),
            AccountId((1 << 24) - 1),
            PoolId(127),
            (TokenId(126), TokenId(127)),
            big,
            big,
            big,
            Amount(2047 * 10u128.pow(31) / 10u128.pow(4)),
            Nonce(u32::MAX),
        )
        .unwrap();
        r.signature
            .verify(&r.message(ChainId(u32::MAX)).unwrap())
            .unwrap();
    }

    #[test]
    fn pool_ids_map_to_accounts_and_lp_tokens() {
        let p = PoolId(5);
        assert_eq!(PoolId::of_account(p.account_id()), Some(p));
        assert_eq!(PoolId::of_lp_token(p.lp_token()), Some(p));
        assert_eq!(PoolId::of_lp_token(TokenId(3)), None);
        assert_eq!(PoolId(127).account_id(), AccountId((1 << 24) - 1));
        assert!(!PoolId(128).is_valid());
        assert!(check_pair(TokenId(0), TokenId(1)).is_ok());
        assert!(check_pair(TokenId(1), TokenId(1)).is_err());
        assert!(check_pair(TokenId(2), TokenId(1)).is_err());
        assert!(check_pair(TokenId(0), TokenId(128)).is_err());
    }
}
