//! How many transactions one sender may submit (`zkr_sendTx`), whatever becomes of them: a
//! rejected transaction costs the node its checks too. Keyed by the transaction's L2 account,
//! which costs nothing to read; an attacker with many accounts paid a deposit (and its L1
//! priority fee) for each. See `docs/operations.md`.

use crate::NodeError;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use zkr_types::AccountId;

/// Senders tracked before idle ones are forgotten.
const TRACKED_SENDERS: usize = 100_000;

/// A per-account rate: `per_second` on average, bursts of up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxRateLimit {
    /// Transactions per second, on average.
    pub per_second: NonZeroU32,
    /// Transactions at once.
    pub burst: NonZeroU32,
}

impl TxRateLimit {
    /// `per_second` with bursts of twice as many; `None` for 0 (no limit).
    pub fn per_second(per_second: u32) -> Option<TxRateLimit> {
        let rate = NonZeroU32::new(per_second)?;
        Some(TxRateLimit {
            per_second: rate,
            burst: rate.saturating_mul(NonZeroU32::MIN.saturating_add(1)),
        })
    }
}

/// The limiter of `zkr_sendTx`.
#[derive(Debug)]
pub struct SenderLimiter {
    limit: Option<TxRateLimit>,
    limiter: Option<DefaultKeyedRateLimiter<AccountId>>,
}

impl SenderLimiter {
    /// A limiter for `limit` (`None`: everything passes).
    pub fn new(limit: Option<TxRateLimit>) -> SenderLimiter {
        let limiter = limit.map(|l| {
            DefaultKeyedRateLimiter::keyed(Quota::per_second(l.per_second).allow_burst(l.burst))
        });
        SenderLimiter { limit, limiter }
    }

    /// Takes one transaction of `account`, or says it is over its rate.
    pub fn check(&self, account: AccountId) -> Result<(), NodeError> {
        let (Some(limiter), Some(limit)) = (&self.limiter, self.limit) else {
            return Ok(());
        };
        if limiter.len() > TRACKED_SENDERS {
            limiter.retain_recent();
        }
        limiter
            .check_key(&account)
            .map_err(|_| NodeError::RateLimited {
                account: account.0,
                per_second: limit.per_second.get(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusals_for_that_account_only() {
        let limiter = SenderLimiter::new(TxRateLimit::per_second(1));
        // a burst of 2, then refused (the next token comes a second later)
        limiter.check(AccountId(7)).unwrap();
        limiter.check(AccountId(7)).unwrap();
        let e = limiter.check(AccountId(7)).unwrap_err();
        assert!(
            matches!(
                e,
                NodeError::RateLimited {
                    account: 7,
                    per_second: 1
                }
            ),
            "{e}"
        );
        assert_eq!(e.to_rpc().code(), crate::error::codes::RATE_LIMITED);
        // another account has its own budget
        limiter.check(AccountId(8)).unwrap();
        // no limit: everything passes
        let open = SenderLimiter::new(TxRateLimit::per_second(0));
        for _ in 0..1000 {
            open.check(AccountId(7)).unwrap();
        }
    }
}
