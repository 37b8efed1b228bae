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
/// Token ids `0..MAX_L1_TOKENS` are L1 tokens; the rest are LP tokens (§3.4).
pub const MAX_L1_TOKENS: u16 = 128;
/// AMM pools the state holds (§3.5).
pub const MAX_POOLS: u8 = 128;
/// LP token id of pool 0.
pub const LP_TOKEN_BASE: u16 = 128;
/// Account id of pool 0: pools are the last `MAX_POOLS` leaves.
pub const POOL_ACCOUNT_BASE: u32 = (1 << (2 * ACCOUNT_TREE_DEPTH)) - MAX_POOLS as u32;
/// Largest pool reserve and LP share supply (`2^112 - 1`).
pub const MAX_POOL_RESERVE: u128 = (1 << 112) - 1;
/// LP shares locked for good by a pool's first liquidity.
pub const MIN_LIQUIDITY: u128 = 1000;
/// A swap's input counts `POOL_FEE_KEEP / POOL_FEE_DENOMINATOR` of itself (0.3 % to the pool).
pub const POOL_FEE_KEEP: u128 = 997;
/// Denominator of the pool fee.
pub const POOL_FEE_DENOMINATOR: u128 = 1000;
