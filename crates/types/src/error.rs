use thiserror::Error;

/// Errors of decoding and building protocol values.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TypesError {
    /// An account id of 2^24 or more.
    #[error("account id {0} is out of range (the tree holds 2^24 accounts)")]
    AccountIdOutOfRange(u64),
    /// A token id of MAX_TOKENS or more.
    #[error("token id {0} is out of range (at most {max} tokens)", max = crate::params::MAX_TOKENS)]
    TokenIdOutOfRange(u64),
    /// An amount that has no exact packed form.
    #[error("amount {0} is not packable: it must be m * 10^e with m < 2^35, e <= 31")]
    AmountNotPackable(u128),
    /// A fee that has no exact packed form.
    #[error("fee {0} is not packable: it must be m * 10^e with m < 2^11, e <= 31")]
    FeeNotPackable(u128),
    /// A packed value that unpacks above `MAX_BALANCE`.
    #[error("packed value unpacks above 2^128 - 1")]
    PackedOverflow,
    /// Pubdata that could not be parsed.
    #[error("malformed pubdata at byte {offset}: {reason}")]
    MalformedPubdata {
        /// Offset of the operation that failed.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// A field element or other value from outside that is not well-formed.
    #[error("invalid value: {0}")]
    Invalid(String),
}
