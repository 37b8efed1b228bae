//! The fee policy: what an L2 transaction must pay (`zkr_getFeeQuote`).
//!
//! A fee covers the L1 cost of the transaction's pubdata (bytes x the EIP-7623 calldata floor of
//! 40 gas per byte), its share of a batch's fixed L1 cost (commit + prove + execute, spread over
//! the batch's slots) at the configured L1 gas price, and a share of proving. Fees are paid in
//! the transaction's token; every token is priced 1:1 with ETH per whole unit (a devnet policy,
//! documented in `docs/operations.md`), rounded up to a packable fee.

use serde::Serialize;
use zkr_types::float::round_up_fee;
use zkr_types::op::{op_type, pubdata_len};
use zkr_types::tx::L2Tx;

/// L1 gas per pubdata byte (EIP-7623 floor price of a non-zero calldata byte).
pub const PUBDATA_GAS_PER_BYTE: u64 = 40;

/// Kinds of L2 transaction a quote is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TxKind {
    /// `Transfer` (quoted as a transfer to a new account, the larger pubdata).
    Transfer,
    /// `Withdraw`.
    Withdraw,
    /// `ChangePubKey`.
    ChangePubKey,
    /// `Swap`.
    Swap,
    /// `AddLiquidity`.
    AddLiquidity,
    /// `RemoveLiquidity`.
    RemoveLiquidity,
    /// `CreatePool`.
    CreatePool,
}

impl TxKind {
    /// Parses the `txType` of `zkr_getFeeQuote` (`Transfer`, `Withdraw`, `ChangePubKey`, `Swap`,
    /// `AddLiquidity`, `RemoveLiquidity`, `CreatePool`, any case).
    pub fn parse(s: &str) -> Option<TxKind> {
        match s.to_ascii_lowercase().as_str() {
            "transfer" => Some(TxKind::Transfer),
            "withdraw" => Some(TxKind::Withdraw),
            "changepubkey" => Some(TxKind::ChangePubKey),
            "swap" => Some(TxKind::Swap),
            "addliquidity" => Some(TxKind::AddLiquidity),
            "removeliquidity" => Some(TxKind::RemoveLiquidity),
            "createpool" => Some(TxKind::CreatePool),
            _ => None,
        }
    }

    /// Its name, as `txType` spells it.
    pub fn name(self) -> &'static str {
        match self {
            TxKind::Transfer => "Transfer",
            TxKind::Withdraw => "Withdraw",
            TxKind::ChangePubKey => "ChangePubKey",
            TxKind::Swap => "Swap",
            TxKind::AddLiquidity => "AddLiquidity",
            TxKind::RemoveLiquidity => "RemoveLiquidity",
            TxKind::CreatePool => "CreatePool",
        }
    }

    /// Whether the transfer circuit proves it (the DEX kinds need the DEX circuit: a node
    /// takes them only with `SequencerConfig::accept_dex`).
    pub fn is_provable(self) -> bool {
        matches!(
            self,
            TxKind::Transfer | TxKind::Withdraw | TxKind::ChangePubKey
        )
    }

    /// The kind of a transaction.
    pub fn of(tx: &L2Tx) -> TxKind {
        match tx {
            L2Tx::Transfer(_) => TxKind::Transfer,
            L2Tx::Withdraw(_) => TxKind::Withdraw,
            L2Tx::ChangePubKey(_) => TxKind::ChangePubKey,
            L2Tx::Swap(_) => TxKind::Swap,
            L2Tx::AddLiquidity(_) => TxKind::AddLiquidity,
            L2Tx::RemoveLiquidity(_) => TxKind::RemoveLiquidity,
            L2Tx::CreatePool(_) => TxKind::CreatePool,
        }
    }

    /// Pubdata bytes of the operation (the largest form).
    pub fn pubdata_bytes(self) -> u64 {
        let t = match self {
            TxKind::Transfer => op_type::TRANSFER_TO_NEW,
            TxKind::Withdraw => op_type::WITHDRAW,
            TxKind::ChangePubKey => op_type::CHANGE_PUBKEY,
            TxKind::Swap => op_type::SWAP,
            TxKind::AddLiquidity => op_type::ADD_LIQUIDITY,
            TxKind::RemoveLiquidity => op_type::REMOVE_LIQUIDITY,
            TxKind::CreatePool => op_type::CREATE_POOL,
        };
        pubdata_len(t).unwrap_or(0) as u64
    }
}

/// What fees are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeePolicy {
    /// L1 gas price assumed for quotes, wei.
    pub l1_gas_price_wei: u128,
    /// Fixed L1 gas of one batch (commit + prove + execute without pubdata).
    pub batch_gas: u64,
    /// Slots of a batch (the fixed cost is shared among them).
    pub batch_slots: usize,
    /// Proving cost per slot, wei.
    pub proving_wei_per_slot: u128,
}

impl Default for FeePolicy {
    /// `zkr node`'s defaults: 1 gwei, 600,000 gas per batch of 8 slots, 10^12 wei of proving per
    /// slot.
    fn default() -> FeePolicy {
        FeePolicy {
            l1_gas_price_wei: 1_000_000_000,
            batch_gas: 600_000,
            batch_slots: 8,
            proving_wei_per_slot: 1_000_000_000_000,
        }
    }
}

impl FeePolicy {
    /// What serving one priority operation (deposit or full exit) costs, in wei: its pubdata,
    /// its share of the batch and of proving. The rollup charges it on L1 (`priorityFee`).
    pub fn priority_op_fee(&self) -> u128 {
        let pubdata_gas = pubdata_len(op_type::DEPOSIT).unwrap_or(0) as u64 * PUBDATA_GAS_PER_BYTE;
        let batch_share_gas = self.batch_gas / self.batch_slots.max(1) as u64;
        u128::from(pubdata_gas + batch_share_gas)
            .saturating_mul(self.l1_gas_price_wei)
            .saturating_add(self.proving_wei_per_slot)
    }

    /// What a whole batch costs the operator, in wei: its fixed L1 gas and the proof of all
    /// its slots (a batch is proven at full size, however few operations it holds).
    pub fn batch_cost(&self) -> u128 {
        u128::from(self.batch_gas)
            .saturating_mul(self.l1_gas_price_wei)
            .saturating_add(
                self.proving_wei_per_slot
                    .saturating_mul(self.batch_slots as u128),
            )
    }

    /// No fees at all (tests of other things).
    pub fn free() -> FeePolicy {
        FeePolicy {
            l1_gas_price_wei: 0,
            batch_gas: 0,
            batch_slots: 1,
            proving_wei_per_slot: 0,
        }
    }

    /// The quote for one transaction of `kind`.
    pub fn quote(&self, kind: TxKind) -> FeeQuote {
        let pubdata_gas = kind.pubdata_bytes() * PUBDATA_GAS_PER_BYTE;
        let batch_share_gas = self.batch_gas / self.batch_slots.max(1) as u64;
        let l1 = u128::from(pubdata_gas + batch_share_gas).saturating_mul(self.l1_gas_price_wei);
        let fee = round_up_fee(l1.saturating_add(self.proving_wei_per_slot));
        FeeQuote {
            tx_type: kind,
            fee: fee.to_string(),
            pubdata_gas,
            batch_share_gas,
            l1_gas_price: self.l1_gas_price_wei.to_string(),
            proving: self.proving_wei_per_slot.to_string(),
        }
    }

    /// The smallest fee accepted for `kind` (in base units of the fee token).
    pub fn min_fee(&self, kind: TxKind) -> u128 {
        self.quote(kind).fee.parse().unwrap_or(u128::MAX)
    }
}

/// A fee quote, as `zkr_getFeeQuote` returns it (amounts as decimal strings, base units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeQuote {
    /// The transaction kind.
    pub tx_type: TxKind,
    /// The fee to put in the transaction (packable).
    pub fee: String,
    /// L1 gas of its pubdata.
    pub pubdata_gas: u64,
    /// Its share of the batch's fixed L1 gas.
    pub batch_share_gas: u64,
    /// The L1 gas price assumed, wei.
    pub l1_gas_price: String,
    /// Its share of proving, wei.
    pub proving: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkr_types::float::is_fee_packable;

    #[test]
    fn quotes_cover_pubdata_and_batch_share_and_are_packable() {
        let p = FeePolicy {
            l1_gas_price_wei: 1_000_000_000,
            batch_gas: 600_000,
            batch_slots: 8,
            proving_wei_per_slot: 1_000_000_000_000,
        };
        for kind in [
            TxKind::Transfer,
            TxKind::Withdraw,
            TxKind::ChangePubKey,
            TxKind::Swap,
            TxKind::AddLiquidity,
            TxKind::RemoveLiquidity,
            TxKind::CreatePool,
        ] {
            let fee = p.min_fee(kind);
            let floor =
                u128::from(kind.pubdata_bytes() * 40 + 75_000) * 1_000_000_000 + 1_000_000_000_000;
            assert!(fee >= floor, "{kind:?}: {fee} < {floor}");
            assert!(fee < floor + floor / 100, "rounded up by less than 1%");
            assert!(is_fee_packable(fee));
        }
        assert_eq!(FeePolicy::free().min_fee(TxKind::Transfer), 0);
        assert_eq!(TxKind::parse("changePubKey"), Some(TxKind::ChangePubKey));
        assert_eq!(TxKind::parse("swap"), Some(TxKind::Swap));
        assert_eq!(TxKind::parse("bogus"), None);
        // a deposit's 41 bytes and a slot's share, plus a slot of proving; a whole batch
        assert_eq!(
            p.priority_op_fee(),
            (41 * 40 + 75_000) * 1_000_000_000 + 1_000_000_000_000
        );
        assert_eq!(
            p.batch_cost(),
            600_000 * 1_000_000_000 + 8 * 1_000_000_000_000
        );
    }
}
