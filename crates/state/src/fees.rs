//! Fees accumulated by the batch being built (`docs/protocol.md` §4, §6).

use std::collections::BTreeMap;
use zkr_types::TokenId;
use zkr_types::params::MAX_FEE_TOKENS_PER_BATCH;

/// Per-token fee totals of the current batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeeAccumulator(BTreeMap<u16, u128>);

impl FeeAccumulator {
    /// Whether a fee in `token` fits the batch (at most `MAX_FEE_TOKENS_PER_BATCH` tokens).
    pub fn accepts(&self, token: TokenId, fee: u128) -> bool {
        fee == 0 || self.0.contains_key(&token.0) || self.0.len() < MAX_FEE_TOKENS_PER_BATCH
    }

    /// Adds a fee; returns false on overflow (impossible while supply is below 2^128).
    pub fn add(&mut self, token: TokenId, fee: u128) -> bool {
        if fee == 0 {
            return true;
        }
        let e = self.0.entry(token.0).or_insert(0);
        match e.checked_add(fee) {
            Some(v) => {
                *e = v;
                true
            }
            None => false,
        }
    }

    /// Total accumulated in a token.
    pub fn get(&self, token: TokenId) -> u128 {
        self.0.get(&token.0).copied().unwrap_or(0)
    }

    /// Tokens and totals in increasing token order.
    pub fn iter(&self) -> impl Iterator<Item = (TokenId, u128)> + '_ {
        self.0.iter().map(|(t, v)| (TokenId(*t), *v))
    }

    /// Empties the accumulator.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub(crate) fn to_meta(&self) -> Vec<(u16, String)> {
        self.0.iter().map(|(t, v)| (*t, v.to_string())).collect()
    }

    pub(crate) fn from_meta(v: &[(u16, String)]) -> Option<Self> {
        let mut m = BTreeMap::new();
        for (t, s) in v {
            m.insert(*t, s.parse().ok()?);
        }
        Some(FeeAccumulator(m))
    }
}
