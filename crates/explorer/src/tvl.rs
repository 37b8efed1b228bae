//! Total value locked, counted the way L2BEAT counts canonically bridged value: what the rollup
//! contract holds on L1 (its ETH balance and each registered token's `balanceOf`), read from
//! L1. Beside it, per token, the solvency check: L1 holdings against everything the rollup
//! owes, from the node's books and L1's:
//!
//! ```text
//! owed = L2 balances (every account, pool and the fee account, at the last sealed block)
//!      + fees of the batch being built (taken from payers, not yet credited)
//!      + withdrawals and full exits applied on L2 whose batch L1 has not executed
//!      + pending balances on L1 (`totalPending`: executed, not yet withdrawn)
//!      + deposits on L1 the node has not applied yet (`depositRecords`)
//!      + (ETH) priority fees held for operations not yet executed
//! ```
//!
//! L2 is read first, from one snapshot of the store taken under the sequencer's lock; L1 after,
//! every call at one L1 block. Anything L2 applied after its snapshot is then counted on the L1
//! side (a deposit's record), and a batch L1 executed must be in the snapshot, else the
//! measurement is taken again.

use crate::{Context, ExplorerError, L1View};
use alloy::eips::BlockId;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy_primitives::{Address, U256};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::watch;
use zkr_l1::bindings::{DevToken, ZkrRollup};
use zkr_node::records::{BATCHES, BLOCK_OPS, BatchRecord, BlockOps, TokenInfo};
use zkr_state::storage::Storage;
use zkr_types::op::parse_pubdata;

/// Side table of the TVL history: unix seconds (8 bytes BE) -> [`TvlPoint`].
pub const TVL_HISTORY: &str = "explorer_tvl";
/// Most unapplied deposits read one by one from L1 per measurement.
const MAX_DEPOSIT_RECORDS: u64 = 10_000;

/// One token's line of the report. Amounts are decimal strings in the token's smallest unit.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenTvl {
    /// L2 token id.
    pub id: u16,
    /// Symbol.
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
    /// L1 address (zero for ETH).
    pub address: Address,
    /// What the rollup contract holds on L1: the TVL.
    pub held: String,
    /// `held` in USD, with a configured price.
    pub usd: Option<f64>,
    /// Sum of every L2 balance.
    pub l2_balances: String,
    /// Fees of the batch being built.
    pub batch_fees: String,
    /// Withdrawals and full exits on L2 not executed on L1.
    pub exits_in_flight: String,
    /// Executed on L1, not withdrawn (`totalPending`).
    pub pending_withdrawals: String,
    /// Deposits on L1 the node has not applied.
    pub unapplied_deposits: String,
    /// Priority fees held for operations not executed yet (ETH only).
    pub priority_fees: String,
    /// The sum of the six above.
    pub owed: String,
    /// `held - owed` (negative: a shortfall).
    pub difference: String,
    /// `held >= owed` (false when it could not be read).
    pub solvent: bool,
    /// Why the token could not be read on L1, if it could not.
    pub error: Option<String>,
}

impl TokenTvl {
    fn unreadable(t: &TokenInfo, error: String) -> TokenTvl {
        let unknown = || "0".to_string();
        TokenTvl {
            id: t.id,
            symbol: t.symbol.clone(),
            decimals: t.decimals,
            address: t.address,
            held: unknown(),
            usd: None,
            l2_balances: unknown(),
            batch_fees: unknown(),
            exits_in_flight: unknown(),
            pending_withdrawals: unknown(),
            unapplied_deposits: unknown(),
            priority_fees: unknown(),
            owed: unknown(),
            difference: unknown(),
            solvent: false,
            error: Some(error),
        }
    }
}

/// A TVL measurement.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TvlReport {
    /// Unix seconds.
    pub at: u64,
    /// The L1 block read.
    pub l1_block: u64,
    /// The last sealed L2 block read.
    pub l2_block: u64,
    /// Whether L1 is in exodus mode. Then the check is off: exits, refunded deposits and fees
    /// are credited on L1 while the node's books still count them, and `solvent` is `null`.
    pub exodus: bool,
    /// Per token.
    pub tokens: Vec<TokenTvl>,
    /// Total in USD of the tokens with a price.
    pub total_usd: Option<f64>,
    /// Every token solvent (`null` in exodus mode: not checked).
    pub solvent: Option<bool>,
}

/// A point of the TVL history.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TvlPoint {
    /// Unix seconds.
    pub at: u64,
    /// Held per token id (decimal strings).
    pub held: BTreeMap<u16, String>,
    /// Total in USD, with prices.
    pub usd: Option<f64>,
}

/// The node's side of the books at one sealed block.
struct L2Books {
    block: u64,
    tokens: Vec<TokenInfo>,
    applied_priority: u64,
    balances: BTreeMap<u16, U256>,
    batch_fees: BTreeMap<u16, U256>,
    snapshot: zkr_state::storage::RedbSnapshot,
}

fn l1_err(e: impl std::fmt::Display) -> ExplorerError {
    ExplorerError::L1(e.to_string())
}

fn add(m: &mut BTreeMap<u16, U256>, t: u16, v: U256) {
    *m.entry(t).or_default() += v;
}

fn l2_books(ctx: &Context) -> Result<L2Books, ExplorerError> {
    let (snapshot, tokens, applied_priority) = {
        let seq = zkr_node::pipeline::lock(&ctx.seq);
        // Under this lock nothing is sealed or forgotten: the priority operations the
        // snapshot's block does not hold are the open block's and those of blocks sealed
        // after it that are still being written.
        let snapshot = ctx.storage.snapshot()?;
        let written = snapshot.meta()?.map_or(0, |m| m.block_number);
        let applied = seq.priority_next() - seq.priority_ops_after(written);
        (snapshot, seq.tokens()?, applied)
    };
    let meta = snapshot
        .meta()?
        .ok_or_else(|| ExplorerError::Corrupt("no state".into()))?;
    let l1_tokens: std::collections::BTreeSet<u16> = tokens.iter().map(|t| t.id).collect();
    let mut balances = BTreeMap::new();
    snapshot.for_each_account(|_, a| {
        for (t, b) in a.balances() {
            if l1_tokens.contains(&t.0) {
                add(&mut balances, t.0, U256::from(b));
            }
        }
    })?;
    let mut batch_fees = BTreeMap::new();
    for (t, f) in &meta.pending_fees {
        let v: U256 = f
            .parse()
            .map_err(|_| ExplorerError::Corrupt(format!("pending fee {f}")))?;
        add(&mut batch_fees, *t, v);
    }
    Ok(L2Books {
        block: meta.block_number,
        tokens,
        applied_priority,
        balances,
        batch_fees,
        snapshot,
    })
}

/// Withdrawals and full exits in the sealed blocks after `after_block`, by token.
fn exits_after(books: &L2Books, after_block: u64) -> Result<BTreeMap<u16, U256>, ExplorerError> {
    let mut out = BTreeMap::new();
    let blocks = books.snapshot.side_range(
        BLOCK_OPS,
        &(after_block + 1).to_be_bytes(),
        &(books.block + 1).to_be_bytes(),
        usize::MAX,
        false,
    )?;
    for (_, v) in blocks {
        let ops: BlockOps = crate::decode(&v)?;
        for op in ops {
            let parsed =
                parse_pubdata(&op.pubdata).map_err(|e| ExplorerError::Corrupt(e.to_string()))?;
            if let Some((token, amount)) = parsed.first().and_then(|o| o.l1_exit()) {
                add(&mut out, token.0, U256::from(amount.0));
            }
        }
    }
    Ok(out)
}

/// Reads L1 and the node's books and compares them. `None`: a batch L1 executed is not in the
/// snapshot yet (measure again).
async fn measure_once(
    ctx: &Context,
    l1: &L1View,
    provider: &DynProvider,
) -> Result<Option<TvlReport>, ExplorerError> {
    // reads every account: off the async workers' way
    let books = tokio::task::block_in_place(|| l2_books(ctx))?;
    let x = provider.get_block_number().await.map_err(l1_err)?;
    let at = BlockId::number(x);
    let rollup = ZkrRollup::new(l1.rollup, provider.clone());
    let exodus = rollup.exodusMode().block(at).call().await.map_err(l1_err)?;
    let executed = rollup
        .totalBatchesExecuted()
        .block(at)
        .call()
        .await
        .map_err(l1_err)?;
    let last_executed_block = if executed == 0 {
        0
    } else {
        match books.snapshot.side_get(BATCHES, &executed.to_be_bytes())? {
            Some(b) => crate::decode::<BatchRecord>(&b)?.last_block,
            None => return Ok(None),
        }
    };
    if last_executed_block > books.block {
        return Ok(None);
    }
    let exits = exits_after(&books, last_executed_block)?;
    let total_ops = rollup
        .totalPriorityOps()
        .block(at)
        .call()
        .await
        .map_err(l1_err)?;
    let first_unexecuted = rollup
        .firstUnexecutedPriorityOp()
        .block(at)
        .call()
        .await
        .map_err(l1_err)?;
    let fee = rollup
        .priorityFee()
        .block(at)
        .call()
        .await
        .map_err(l1_err)?;
    if total_ops < books.applied_priority {
        // L1 (this RPC, at this block) has not seen deposits the node already applied: a
        // lagging RPC or a reorg. Not a shortfall: measure again.
        return Ok(None);
    }
    if total_ops - books.applied_priority > MAX_DEPOSIT_RECORDS {
        return Err(ExplorerError::L1(format!(
            "{} deposits on L1 are not applied by the node yet (more than {MAX_DEPOSIT_RECORDS}): \
             the node is far behind L1, solvency is not measured",
            total_ops - books.applied_priority
        )));
    }
    let mut deposits = BTreeMap::new();
    for i in books.applied_priority..total_ops {
        let r = rollup
            .depositRecords(i)
            .block(at)
            .call()
            .await
            .map_err(l1_err)?;
        add(&mut deposits, r.token, U256::from(r.amount));
    }
    let mut lines = Vec::new();
    let mut total_usd = None;
    for t in &books.tokens {
        let held = if t.address == Address::ZERO {
            provider
                .get_balance(l1.rollup)
                .block_id(at)
                .await
                .map_err(l1_err)
        } else {
            DevToken::new(t.address, provider.clone())
                .balanceOf(l1.rollup)
                .block(at)
                .call()
                .await
                .map_err(l1_err)
        };
        let pending = rollup
            .totalPending(t.id)
            .block(at)
            .call()
            .await
            .map_err(l1_err);
        // A token that cannot be read (paused, self-destructed) is reported as such; the
        // others are still measured.
        let (held, pending) = match (held, pending) {
            (Ok(h), Ok(p)) => (h, p),
            (Err(e), _) | (_, Err(e)) => {
                lines.push(TokenTvl::unreadable(t, e.to_string()));
                continue;
            }
        };
        let get = |m: &BTreeMap<u16, U256>| m.get(&t.id).copied().unwrap_or_default();
        let priority_fees = if t.id == 0 {
            U256::from(total_ops.saturating_sub(first_unexecuted)) * U256::from(fee)
        } else {
            U256::ZERO
        };
        let owed = get(&books.balances)
            + get(&books.batch_fees)
            + get(&exits)
            + pending
            + get(&deposits)
            + priority_fees;
        let difference = if held >= owed {
            (held - owed).to_string()
        } else {
            format!("-{}", owed - held)
        };
        let usd = ctx.config.prices.get(&t.symbol).map(|p| {
            let amount: f64 = held.to_string().parse().unwrap_or(0.0);
            amount / 10f64.powi(i32::from(t.decimals)) * p
        });
        if let Some(u) = usd {
            total_usd = Some(total_usd.unwrap_or(0.0) + u);
        }
        lines.push(TokenTvl {
            id: t.id,
            symbol: t.symbol.clone(),
            decimals: t.decimals,
            address: t.address,
            held: held.to_string(),
            usd,
            l2_balances: get(&books.balances).to_string(),
            batch_fees: get(&books.batch_fees).to_string(),
            exits_in_flight: get(&exits).to_string(),
            pending_withdrawals: pending.to_string(),
            unapplied_deposits: get(&deposits).to_string(),
            priority_fees: priority_fees.to_string(),
            owed: owed.to_string(),
            difference,
            solvent: held >= owed,
            error: None,
        });
    }
    let solvent = (!exodus).then(|| lines.iter().all(|l| l.solvent));
    Ok(Some(TvlReport {
        at: crate::now_secs(),
        l1_block: x,
        l2_block: books.block,
        exodus,
        tokens: lines,
        total_usd,
        solvent,
    }))
}

/// A measurement no older than this is reused instead of measuring again (`/api/tvl` cannot
/// make the node scan every account more than once a second).
const REUSE_SECS: u64 = 1;

/// Measures TVL and solvency (a few tries if blocks move under it), one measurement at a time;
/// a measurement finished within the last second is returned as it is. Keeps it as the last
/// report and logs a shortfall.
pub async fn measure(ctx: &Context, l1: &L1View) -> Result<TvlReport, ExplorerError> {
    let _one_at_a_time = ctx.measuring.lock().await;
    if let Some(r) = crate::lock(&ctx.tvl).clone()
        && crate::now_secs().saturating_sub(r.at) < REUSE_SECS
    {
        return Ok(r);
    }
    let url = l1
        .rpc_url
        .parse()
        .map_err(|e| ExplorerError::L1(format!("{}: {e}", l1.rpc_url)))?;
    let provider = ProviderBuilder::new().connect_http(url).erased();
    for _ in 0..5 {
        if let Some(r) = measure_once(ctx, l1, &provider).await? {
            if r.solvent == Some(false) {
                let tokens: Vec<&str> = r
                    .tokens
                    .iter()
                    .filter(|t| !t.solvent)
                    .map(|t| t.symbol.as_str())
                    .collect();
                tracing::error!(target: "zkr::explorer", l1_block = r.l1_block, l2_block = r.l2_block, ?tokens, "SOLVENCY CHECK FAILED: the rollup holds less on L1 than it owes, or a token cannot be read");
            }
            *crate::lock(&ctx.tvl) = Some(r.clone());
            return Ok(r);
        }
    }
    Err(ExplorerError::L1(
        "L1 and the node kept moving under the measurement (batches executed that the node's \
         snapshot lacks, or deposits the node applied that L1 does not show yet)"
            .into(),
    ))
}

/// Measures every `tvl_every`, keeps the last report and adds a point to the history.
pub async fn run(ctx: Arc<Context>, mut stopped: watch::Receiver<bool>) {
    let Some(l1) = ctx.config.l1.clone() else {
        return;
    };
    let mut tick = tokio::time::interval(ctx.config.tvl_every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => break,
        }
        match measure(&ctx, &l1).await {
            Ok(report) => {
                if let Err(e) = record(&ctx, &report) {
                    tracing::warn!(target: "zkr::explorer", error = %e, "storing a TVL point failed");
                }
            }
            Err(e) => tracing::warn!(target: "zkr::explorer", error = %e, "measuring TVL failed"),
        }
    }
}

fn record(ctx: &Context, r: &TvlReport) -> Result<(), ExplorerError> {
    let point = TvlPoint {
        at: r.at,
        held: r
            .tokens
            .iter()
            .filter(|t| t.error.is_none())
            .map(|t| (t.id, t.held.clone()))
            .collect(),
        usd: r.total_usd,
    };
    let value = serde_json::to_vec(&point).map_err(|e| ExplorerError::Corrupt(e.to_string()))?;
    ctx.storage
        .side_commit(vec![zkr_state::storage::SideWrite {
            table: TVL_HISTORY,
            key: r.at.to_be_bytes().to_vec(),
            value: Some(value),
        }])?;
    Ok(())
}

/// Up to `limit` history points from `since` (unix seconds), oldest first.
pub fn history(ctx: &Context, since: u64, limit: usize) -> Result<Vec<TvlPoint>, ExplorerError> {
    let mut points: Vec<TvlPoint> = ctx
        .storage
        .side_range(
            TVL_HISTORY,
            &since.to_be_bytes(),
            &u64::MAX.to_be_bytes(),
            limit,
            true,
        )?
        .iter()
        .map(|(_, v)| crate::decode(v))
        .collect::<Result<_, _>>()?;
    points.reverse();
    Ok(points)
}
