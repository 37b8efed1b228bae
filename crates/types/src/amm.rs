//! Constant-product pool arithmetic (`docs/protocol.md` §3.5, §4.10-§4.12), exact and in the
//! pool's favour. The native state transition, the node's quotes and the circuit's tests use
//! these; the circuit enforces the same equations.

use crate::Fr;
use crate::params::{MAX_POOL_RESERVE, MIN_LIQUIDITY, POOL_FEE_DENOMINATOR, POOL_FEE_KEEP};
use alloy_primitives::U256;
use ark_ff::{AdditiveGroup, Field};
use thiserror::Error;

/// Why a pool operation has no valid result.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum AmmError {
    /// The pool has no liquidity yet (swaps and removals need some).
    #[error("the pool has no liquidity")]
    Empty,
    /// A zero input, or one whose result rounds to nothing.
    #[error("the amount is too small: it {0}")]
    TooSmall(&'static str),
    /// A reserve or the share supply would exceed `MAX_POOL_RESERVE`.
    #[error("the pool would hold more than 2^112 - 1 of a token or of shares")]
    PoolOverflow,
    /// The first liquidity must mint more than `MIN_LIQUIDITY` shares.
    #[error("the first liquidity must be worth more than {MIN_LIQUIDITY} shares (sqrt(a * b))")]
    BelowMinimumLiquidity,
    /// More shares than the pool's supply can hold (only with an inconsistent pool).
    #[error("more shares than the pool has")]
    TooManyShares,
}

/// The key hash of the pool of `(a, b)`: `2^253 + 1 + 2^8 * a + 2^16 * b` (§3.5).
pub fn pool_key(a: u16, b: u16) -> Fr {
    Fr::from(2u64).pow([253]) + Fr::from(1 + (u64::from(a) << 8) + (u64::from(b) << 16))
}

/// The pair of a pool's key hash, if it is one (`pool_key(a, b)` with `a < b < MAX_L1_TOKENS`).
pub fn pool_pair(pkh: &Fr) -> Option<(u16, u16)> {
    use ark_ff::{BigInteger, PrimeField};
    let rest = *pkh - Fr::from(2u64).pow([253]) - Fr::from(1u64);
    let bytes = rest.into_bigint().to_bytes_le();
    if bytes[3..].iter().any(|b| *b != 0) || bytes[0] != 0 {
        return None;
    }
    let (a, b) = (u16::from(bytes[1]), u16::from(bytes[2]));
    (pool_key(a, b) == *pkh && a < b && b < crate::params::MAX_L1_TOKENS).then_some((a, b))
}

/// Whether a key hash is that of a special account: `2^253 + kind` with `1 <= kind < 2^24`
/// (§3.3). (Bit 253 alone would not do: about a third of all field elements have it.)
pub fn is_special_key(pkh: &Fr) -> bool {
    use ark_ff::{BigInteger, PrimeField};
    let kind = *pkh - Fr::from(2u64).pow([253]);
    let bytes = kind.into_bigint().to_bytes_le();
    bytes[3..].iter().all(|b| *b == 0) && kind != Fr::ZERO
}

fn u(v: u128) -> U256 {
    U256::from(v)
}

fn narrow(v: U256) -> u128 {
    v.to::<u128>()
}

/// A swap's output for `amount_in` against reserves `x` (sold token) and `y` (bought token):
/// `floor(amount_in * 997 * y / (x * 1000 + amount_in * 997))`.
pub fn swap_out(amount_in: u128, x: u128, y: u128) -> Result<u128, AmmError> {
    if x == 0 || y == 0 {
        return Err(AmmError::Empty);
    }
    if amount_in == 0 {
        return Err(AmmError::TooSmall("is zero"));
    }
    if x.checked_add(amount_in)
        .is_none_or(|r| r > MAX_POOL_RESERVE)
    {
        return Err(AmmError::PoolOverflow);
    }
    let kept = u(amount_in) * u(POOL_FEE_KEEP);
    let out = kept * u(y) / (u(x) * u(POOL_FEE_DENOMINATOR) + kept);
    Ok(narrow(out))
}

/// What an AddLiquidity takes and mints (§4.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deposit {
    /// Taken of token a.
    pub take_a: u128,
    /// Taken of token b.
    pub take_b: u128,
    /// Shares minted to the provider.
    pub shares: u128,
    /// Growth of the pool's share supply (`shares`, plus `MIN_LIQUIDITY` the first time).
    pub supply_growth: u128,
}

/// `floor(sqrt(v))`.
pub fn isqrt(v: U256) -> U256 {
    if v < U256::from(2u8) {
        return v;
    }
    // Newton's iteration from a power of two above the root.
    let mut x = U256::from(1u8) << (v.bit_len().div_ceil(2));
    loop {
        let y = (x + v / x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// `ceil(n / d)` for `d > 0`.
fn div_ceil(n: U256, d: U256) -> U256 {
    n.div_ceil(d)
}

/// AddLiquidity of at most `max_a`, `max_b` into reserves `(ra, rb)` with share supply `s`.
pub fn add_liquidity(
    max_a: u128,
    max_b: u128,
    ra: u128,
    rb: u128,
    s: u128,
) -> Result<Deposit, AmmError> {
    let d = if s == 0 {
        if max_a == 0 || max_b == 0 {
            return Err(AmmError::TooSmall("is zero on one side"));
        }
        let root = isqrt(u(max_a) * u(max_b));
        if root <= u(MIN_LIQUIDITY) {
            return Err(AmmError::BelowMinimumLiquidity);
        }
        let root = narrow(root);
        Deposit {
            take_a: max_a,
            take_b: max_b,
            shares: root - MIN_LIQUIDITY,
            supply_growth: root,
        }
    } else {
        if ra == 0 || rb == 0 {
            return Err(AmmError::Empty);
        }
        let by_a = u(max_a) * u(s) / u(ra);
        let by_b = u(max_b) * u(s) / u(rb);
        let shares = by_a.min(by_b);
        if shares.is_zero() {
            return Err(AmmError::TooSmall("buys no share"));
        }
        Deposit {
            take_a: narrow(div_ceil(shares * u(ra), u(s))),
            take_b: narrow(div_ceil(shares * u(rb), u(s))),
            shares: narrow(shares),
            supply_growth: narrow(shares),
        }
    };
    let fits = |r: u128, add: u128| r.checked_add(add).is_some_and(|v| v <= MAX_POOL_RESERVE);
    if !fits(ra, d.take_a) || !fits(rb, d.take_b) || !fits(s, d.supply_growth) {
        return Err(AmmError::PoolOverflow);
    }
    Ok(d)
}

/// RemoveLiquidity of `shares` from reserves `(ra, rb)` with share supply `s`: the amounts of a
/// and b paid, each `floor(shares * r / s)`.
pub fn remove_liquidity(
    shares: u128,
    ra: u128,
    rb: u128,
    s: u128,
) -> Result<(u128, u128), AmmError> {
    if s == 0 {
        return Err(AmmError::Empty);
    }
    if shares == 0 {
        return Err(AmmError::TooSmall("is zero"));
    }
    if shares > s {
        return Err(AmmError::TooManyShares);
    }
    Ok((
        narrow(u(shares) * u(ra) / u(s)),
        narrow(u(shares) * u(rb) / u(s)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn k(x: u128, y: u128) -> U256 {
        u(x) * u(y)
    }

    #[test]
    fn the_uniswap_example_and_the_edges() {
        // 1,000 in against 1,000,000 / 1,000,000: 997 * 10^6 * 1000... floor = 996
        assert_eq!(swap_out(1_000, 1_000_000, 1_000_000), Ok(996));
        assert_eq!(swap_out(0, 10, 10), Err(AmmError::TooSmall("is zero")));
        assert_eq!(swap_out(1, 0, 10), Err(AmmError::Empty));
        assert_eq!(
            swap_out(1, MAX_POOL_RESERVE, 10),
            Err(AmmError::PoolOverflow)
        );
        // the whole y never comes out, however large the input
        assert!(swap_out(MAX_POOL_RESERVE - 1, 1, 1_000).unwrap() < 1_000);
        assert_eq!(isqrt(U256::from(1_000_000u64)), U256::from(1_000u64));
        assert_eq!(isqrt(U256::from(999_999u64)), U256::from(999u64));
        let first = add_liquidity(4_000, 1_000, 0, 0, 0).unwrap();
        assert_eq!((first.shares, first.supply_growth), (1_000, 2_000));
        assert_eq!(
            add_liquidity(1_000, 1_000, 0, 0, 0),
            Err(AmmError::BelowMinimumLiquidity)
        );
        // pro rata: 10 % more of each side, but b is the binding one
        let later = add_liquidity(500, 100, 4_000, 1_000, 2_000).unwrap();
        assert_eq!((later.shares, later.take_a, later.take_b), (200, 400, 100));
        assert_eq!(remove_liquidity(200, 4_400, 1_100, 2_200), Ok((400, 100)));
        assert!(is_special_key(&pool_key(0, 1)));
        assert_eq!(pool_pair(&pool_key(3, 127)), Some((3, 127)));
        assert_eq!(pool_pair(&pool_key(5, 5)), None);
        assert_eq!(pool_pair(&Fr::from(7u64)), None);
        assert_eq!(pool_pair(&pool_key(3, 200)), None, "b must be an L1 token");
        // an ordinary key hash with bit 253 set is not special
        assert!(!is_special_key(
            &(Fr::from(2u64).pow([253]) + Fr::from(1u64 << 40))
        ));
        assert!(!is_special_key(&Fr::from(12345u64)));
        assert!(!is_special_key(&Fr::ZERO));
    }

    proptest! {
        /// k never decreases across a swap, and the output is below the reserve.
        #[test]
        fn swaps_never_decrease_k(x in 1u128..1 << 100, y in 1u128..1 << 100, a in 1u128..1 << 100) {
            if let Ok(out) = swap_out(a, x, y) {
                prop_assert!(out < y);
                prop_assert!(k(x + a, y - out) >= k(x, y));
                // one more unit out would break the curve after the fee
                let kept = u(a) * u(POOL_FEE_KEEP);
                prop_assert!(u(out + 1) * (u(x) * u(POOL_FEE_DENOMINATOR) + kept) > kept * u(y));
            }
        }

        /// Adding then removing never returns more than was added, and k per share never falls.
        #[test]
        fn add_then_remove_returns_no_more(
            ra in 1u128..1 << 90, rb in 1u128..1 << 90, s in 1000u128..1 << 90,
            ma in 0u128..1 << 90, mb in 0u128..1 << 90,
        ) {
            if let Ok(d) = add_liquidity(ma, mb, ra, rb, s) {
                prop_assert!(d.take_a <= ma && d.take_b <= mb);
                let (ra2, rb2, s2) = (ra + d.take_a, rb + d.take_b, s + d.supply_growth);
                let (oa, ob) = remove_liquidity(d.shares, ra2, rb2, s2).unwrap();
                prop_assert!(oa <= d.take_a && ob <= d.take_b);
                // reserves per share never fall: r2 / s2 >= r / s
                prop_assert!(u(ra2) * u(s) >= u(ra) * u(s2));
                prop_assert!(u(rb2) * u(s) >= u(rb) * u(s2));
            }
        }

        /// A first deposit mints floor(sqrt(a b)) - MIN_LIQUIDITY and locks the rest.
        #[test]
        fn first_liquidity_locks_the_minimum(a in 1u128..1 << 112, b in 1u128..1 << 112) {
            match add_liquidity(a, b, 0, 0, 0) {
                Ok(d) => {
                    let r = isqrt(u(a) * u(b));
                    prop_assert!(r * r <= u(a) * u(b) && (r + U256::from(1u8)) * (r + U256::from(1u8)) > u(a) * u(b));
                    prop_assert_eq!(u(d.supply_growth), r);
                    prop_assert_eq!(d.shares + MIN_LIQUIDITY, d.supply_growth);
                }
                Err(e) => prop_assert_eq!(e, AmmError::BelowMinimumLiquidity),
            }
        }
    }
}
