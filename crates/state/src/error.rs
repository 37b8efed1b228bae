use thiserror::Error;
use zkr_crypto::CryptoError;
use zkr_types::{AccountId, Nonce, TokenId, TypesError};

/// Why an operation was rejected (or storage failed). A rejected operation changes nothing.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StateError {
    /// The EdDSA signature does not verify.
    #[error("invalid signature: {0}")]
    InvalidSignature(CryptoError),
    /// The signing account has no L2 key registered.
    #[error("account {0} has no L2 key registered (ChangePubKey first)")]
    PubKeyNotSet(AccountId),
    /// The transaction is signed by a key other than the account's.
    #[error("signed by a key that is not the L2 key of account {0}")]
    WrongSigner(AccountId),
    /// The owner's Ethereum signature does not authorize this ChangePubKey.
    #[error("ethereum signature does not authorize this key change: {0}")]
    InvalidEthSignature(String),
    /// Nonce already used.
    #[error("nonce {got} is stale: account {account} expects {expected}")]
    StaleNonce {
        /// Account.
        account: AccountId,
        /// Its nonce.
        expected: Nonce,
        /// The transaction's.
        got: Nonce,
    },
    /// Nonce in the future.
    #[error("nonce {got} is in the future: account {account} expects {expected}")]
    FutureNonce {
        /// Account.
        account: AccountId,
        /// Its nonce.
        expected: Nonce,
        /// The transaction's.
        got: Nonce,
    },
    /// The account has used every nonce.
    #[error("account {0} has reached the largest nonce")]
    NonceExhausted(AccountId),
    /// Balance below amount + fee.
    #[error(
        "insufficient balance: account {account} has {balance} of token {token}, needs {needed}"
    )]
    InsufficientBalance {
        /// Account.
        account: AccountId,
        /// Token.
        token: TokenId,
        /// Its balance.
        balance: u128,
        /// amount + fee (saturated).
        needed: u128,
    },
    /// A balance would exceed 2^128 - 1, or amount + fee overflows.
    #[error("amount overflows: the resulting balance would exceed 2^128 - 1")]
    Overflow,
    /// No account at this id.
    #[error("unknown account {0}")]
    UnknownAccount(AccountId),
    /// Token not registered.
    #[error("unknown token {0}")]
    UnknownToken(TokenId),
    /// The account exists but is owned by another address.
    #[error("account {0} is owned by another address")]
    OwnerMismatch(AccountId),
    /// The account tree has no free leaf.
    #[error("the account tree is full")]
    TreeFull,
    /// A fifth distinct fee token in one batch.
    #[error(
        "this batch already pays fees in {} tokens; seal it first",
        zkr_types::params::MAX_FEE_TOKENS_PER_BATCH
    )]
    TooManyFeeTokens,
    /// The fee account of a batch that already holds fees cannot change.
    #[error("the fee account can only change between batches")]
    FeeAccountLocked,
    /// Zero address where an L1 receiver is needed.
    #[error("the zero address cannot receive funds")]
    ZeroAddress,
    /// A deposit of nothing.
    #[error("deposit amount must be positive")]
    ZeroAmount,
    /// No pool of this pair (or not at the pool id named).
    #[error("no pool of tokens ({0}, {1})")]
    NoSuchPool(TokenId, TokenId),
    /// The pair already has a pool.
    #[error("tokens ({0}, {1}) already have a pool")]
    PoolExists(TokenId, TokenId),
    /// Every pool id is taken.
    #[error("all {} pools exist", zkr_types::params::MAX_POOLS)]
    PoolsFull,
    /// The result is below the signed minimum.
    #[error("slippage: {what} would be {got}, below the signed minimum {min}")]
    Slippage {
        /// Output, shares, or one side of a removal.
        what: &'static str,
        /// What the pool gives.
        got: u128,
        /// The signed minimum.
        min: u128,
    },
    /// The pool arithmetic has no valid result.
    #[error(transparent)]
    Amm(#[from] zkr_types::amm::AmmError),
    /// LP tokens never leave L2 but through exodus.
    #[error("token {0} is an LP token: it cannot be withdrawn (remove the liquidity first)")]
    NotAnL1Token(TokenId),
    /// Malformed values (unpackable amounts, ids out of range).
    #[error(transparent)]
    Types(#[from] TypesError),
    /// The storage failed; the operation was not applied.
    #[error("storage error: {0}")]
    Storage(String),
}

impl From<crate::storage::StorageError> for StateError {
    fn from(e: crate::storage::StorageError) -> Self {
        StateError::Storage(e.to_string())
    }
}
