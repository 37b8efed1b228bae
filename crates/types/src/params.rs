//! Protocol parameters (`docs/protocol.md` §1).

/// Levels of the 4-ary account tree.
pub const ACCOUNT_TREE_DEPTH: usize = 12;
/// Levels of each account's 4-ary balance tree.
pub const BALANCE_TREE_DEPTH: usize = 4;
/// Number of accounts the tree holds: `4^12 = 2^24`.
pub const MAX_ACCOUNTS: u64 = 1 << (2 * ACCOUNT_TREE_DEPTH);
/// Number of token ids: `4^4 = 256`.
pub const MAX_TOKENS: u64 = 1 << (2 * BALANCE_TREE_DEPTH);
/// The largest balance of one token in one account.
pub const MAX_BALANCE: u128 = u128::MAX;
/// The largest nonce; an account at this nonce signs nothing more.
pub const MAX_NONCE: u32 = u32::MAX;
/// Distinct fee tokens in one batch.
pub const MAX_FEE_TOKENS_PER_BATCH: usize = 4;
/// Bytes of pubdata per field element.
pub const CHUNK_BYTES: usize = 31;
/// Largest number of field elements one operation's pubdata occupies.
pub const MAX_ELEMENTS_PER_OP: usize = 2;
