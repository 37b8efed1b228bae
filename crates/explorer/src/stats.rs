//! Totals kept up to date from the stored blocks: transactions, fees, rates and pool volumes.
//! One pass over each block as it is sealed (the first start reads them all).

use crate::{Context, ExplorerError};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use zkr_node::records::{BLOCK_OPS, BLOCKS, BlockOps, BlockRecord};
use zkr_state::OpRequest;
use zkr_state::storage::Storage;
use zkr_types::op::{Op, parse_pubdata};

/// Blocks read per step of a refresh.
const STEP: usize = 1_000;

/// The totals.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// The last block counted.
    pub last_block: u64,
    /// L2 transactions in sealed blocks.
    pub l2_txs: u64,
    /// Priority operations (deposits, full exits) in sealed blocks.
    pub priority_ops: u64,
    /// Operations by type name.
    pub ops_by_type: BTreeMap<&'static str, u64>,
    /// L2 fees paid, by token id.
    pub fees: BTreeMap<u16, u128>,
    /// Swap volume by pool id: input sold of the pool's token a and of its token b.
    pub pool_volume: BTreeMap<u8, [u128; 2]>,
    /// (seal time, L2 transactions) of the blocks of the last hour.
    recent: VecDeque<(u64, u64)>,
}

/// The name of an operation type as the API and the page show it.
pub fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Noop => "Noop",
        Op::Deposit(_) => "Deposit",
        Op::ChangePubKey(_) => "ChangePubKey",
        Op::Transfer(_) => "Transfer",
        Op::TransferToNew(_) => "Transfer",
        Op::Withdraw(_) => "Withdraw",
        Op::FullExit(_) => "FullExit",
        Op::Swap(_) => "Swap",
        Op::AddLiquidity(_) => "AddLiquidity",
        Op::RemoveLiquidity(_) => "RemoveLiquidity",
        Op::CreatePool(_) => "CreatePool",
    }
}

impl Stats {
    fn add_block(&mut self, block: &BlockRecord, ops: &BlockOps) -> Result<(), ExplorerError> {
        let mut txs = 0;
        for applied in ops {
            let parsed = parse_pubdata(&applied.pubdata)
                .map_err(|e| ExplorerError::Corrupt(format!("block {}: {e}", block.number)))?;
            let Some(op) = parsed.first() else { continue };
            *self.ops_by_type.entry(op_name(op)).or_default() += 1;
            if op.is_priority() {
                self.priority_ops += 1;
            } else {
                txs += 1;
                // A batch rebuilt from L1 (`zkr rebuild`) keeps no request: its fees are not
                // counted here.
                if let Some(OpRequest::Tx(tx)) = &applied.request {
                    let (token, fee) = tx.fee();
                    *self.fees.entry(token.0).or_default() += fee.0;
                }
            }
            if let Op::Swap(s) = op {
                self.pool_volume.entry(s.pool.0).or_default()[usize::from(s.sell_b)] +=
                    s.amount_in.0;
            }
        }
        self.l2_txs += txs;
        self.recent.push_back((block.timestamp, txs));
        self.last_block = block.number;
        Ok(())
    }

    /// L2 transactions per second over the last `seconds` before `now` (unix seconds).
    pub fn tps(&self, now: u64, seconds: u64) -> f64 {
        let since = now.saturating_sub(seconds);
        let n: u64 = self
            .recent
            .iter()
            .filter(|(t, _)| *t > since)
            .map(|(_, n)| n)
            .sum();
        n as f64 / seconds as f64
    }

    fn forget_before(&mut self, t: u64) {
        while self.recent.front().is_some_and(|(at, _)| *at < t) {
            self.recent.pop_front();
        }
    }
}

/// A view of the totals for the API.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsView {
    /// The last block counted.
    pub last_block: u64,
    /// L2 transactions in sealed blocks.
    pub l2_txs: u64,
    /// Priority operations in sealed blocks.
    pub priority_ops: u64,
    /// Operations by type.
    pub ops_by_type: BTreeMap<&'static str, u64>,
    /// Fees paid by token id (decimal strings, the token's smallest unit).
    pub fees: BTreeMap<u16, String>,
    /// L2 transactions per second over the last minute.
    pub tps_minute: f64,
    /// And over the last hour.
    pub tps_hour: f64,
}

impl StatsView {
    /// The view of `s` at `now` (unix seconds).
    pub fn of(s: &Stats, now: u64) -> StatsView {
        StatsView {
            last_block: s.last_block,
            l2_txs: s.l2_txs,
            priority_ops: s.priority_ops,
            ops_by_type: s.ops_by_type.clone(),
            fees: s.fees.iter().map(|(t, f)| (*t, f.to_string())).collect(),
            tps_minute: s.tps(now, 60),
            tps_hour: s.tps(now, 3600),
        }
    }
}

/// Counts the blocks sealed since the last refresh.
pub fn refresh(ctx: &Context) -> Result<(), ExplorerError> {
    loop {
        let from = crate::lock(&ctx.stats).last_block + 1;
        let blocks = ctx.storage.side_range(
            BLOCKS,
            &from.to_be_bytes(),
            &u64::MAX.to_be_bytes(),
            STEP,
            false,
        )?;
        if blocks.is_empty() {
            break;
        }
        let mut stats = crate::lock(&ctx.stats).clone();
        for (k, v) in &blocks {
            let block: BlockRecord = crate::decode(v)?;
            let ops: BlockOps = match ctx.storage.side_get(BLOCK_OPS, k)? {
                Some(o) => crate::decode(&o)?,
                None => BlockOps::new(),
            };
            stats.add_block(&block, &ops)?;
        }
        stats.forget_before(crate::now_secs().saturating_sub(3600));
        *crate::lock(&ctx.stats) = stats;
        if blocks.len() < STEP {
            break;
        }
    }
    Ok(())
}

/// Refreshes the totals every second until stopped.
pub async fn run(ctx: Arc<Context>, mut stopped: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => break,
        }
        if let Err(e) = refresh(&ctx) {
            tracing::warn!(target: "zkr::explorer", error = %e, "counting blocks failed");
        }
    }
}
