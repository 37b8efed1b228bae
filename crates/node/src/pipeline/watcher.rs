//! The L1 watcher: follows the rollup's events `confirmations` blocks behind the L1 head and
//! feeds token registrations and priority operations to the sequencer in queue order.
//!
//! Its position ([`WatcherCursor`]: the next block to read and the hash of the last one read)
//! is stored after every range it has taken, and each priority operation is stored with its
//! L1 origin ([`L1Origin`]) in the same write as its mempool entry. Nothing is taken twice
//! (queue indices and token ids below what the sequencer holds are skipped) and nothing is
//! skipped: a range whose logs miss an operation (an incomplete `eth_getLogs` answer, seen as
//! a gap in the queue or as fewer operations than `totalPriorityOps()` at the range's end) is
//! read again.
//!
//! What was taken is checked against L1 when the watcher starts and whenever the last block it
//! read is no longer on L1's chain: every priority operation not yet in a batch committed on
//! L1 must still be in L1's queue with the same hash, and every token must still have its
//! address. If not, L1 reorganised deeper than `confirmations` or lost blocks (an anvil
//! restarted from an older state dump), L2 has credited what L1 never received, and the
//! watcher halts the node ([`Fatal::halt`]) with what happened and what to do.

use super::{Shared, lock};
use crate::NodeError;
use crate::node::Fatal;
use crate::records::{L1Origin, TokenInfo, WatcherCursor};
use alloy::eips::BlockId;
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider};
use std::time::Duration;
use tokio::sync::watch;
use zkr_l1::bindings::{DevToken, ZkrRollup};
use zkr_l1::events::{LoggedEvent, RollupEvent, rollup_events};
use zkr_state::storage::Storage;
use zkr_state::{DepositRequest, FullExitRequest, OpRequest};
use zkr_types::{AccountId, Amount, TokenId};

/// Largest block range asked for in one `eth_getLogs`.
const MAX_RANGE: u64 = 5_000;

/// What the watcher follows.
#[derive(Debug, Clone)]
pub struct WatcherConfig {
    /// The rollup contract.
    pub rollup: Address,
    /// Its deployment block (where scanning starts).
    pub start_block: u64,
    /// Blocks an event must be under the head before it is taken.
    pub confirmations: u64,
    /// Polling interval.
    pub poll: Duration,
}

/// Why a watcher step did not finish.
enum StepError {
    /// L1 no longer has what L2 took: the node must stop.
    Diverged(String),
    /// Anything else (L1 unreachable, a storage error): retried at the next poll.
    Other(NodeError),
}

impl From<NodeError> for StepError {
    fn from(e: NodeError) -> Self {
        StepError::Other(e)
    }
}

impl From<zkr_l1::L1Error> for StepError {
    fn from(e: zkr_l1::L1Error) -> Self {
        StepError::Other(e.into())
    }
}

fn rpc(e: impl std::fmt::Display) -> StepError {
    StepError::Other(zkr_l1::L1Error::rpc(e).into())
}

/// What a range's logs were found to have missed.
#[derive(Debug, Clone, Copy)]
enum Missed {
    PriorityOp,
    Token,
}

/// What the sequencer holds against what L1 had at the end of a range.
enum Through {
    /// The same.
    Complete,
    /// Less: the logs missed something.
    Missed(Missed),
    /// More.
    Ahead,
}

/// The watcher's running state.
struct Watcher<S: Storage> {
    seq: Shared<S>,
    provider: DynProvider,
    contract: ZkrRollup::ZkrRollupInstance<DynProvider>,
    config: WatcherConfig,
    /// Where to read next (`None`: from the deployment block).
    cursor: Option<WatcherCursor>,
}

/// Runs the watcher until `stop` changes, or until L1 is found to disagree with what L2 took
/// (then it halts the node through `fatal`).
pub async fn run<S: Storage + 'static>(
    seq: Shared<S>,
    provider: DynProvider,
    config: WatcherConfig,
    mut stop: watch::Receiver<bool>,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    fatal: Fatal,
) {
    let cursor = match lock(&seq).watcher_cursor() {
        Ok(c) => c,
        Err(e) => {
            fatal.report(format!("reading the L1 watcher's position: {e}"));
            return;
        }
    };
    let contract = ZkrRollup::new(config.rollup, provider.clone());
    let mut w = Watcher {
        seq,
        provider,
        contract,
        config,
        cursor,
    };
    let mut verified = false;
    loop {
        let result = async {
            if !verified {
                w.verify().await?;
                verified = true;
            }
            w.step().await
        }
        .await;
        match result {
            Ok(head) => {
                let read = w.next_block().saturating_sub(1);
                metrics
                    .watcher_lag_blocks
                    .set(head.saturating_sub(read) as i64);
            }
            Err(StepError::Diverged(why)) => {
                fatal.halt(why);
                return;
            }
            Err(StepError::Other(e)) => {
                tracing::warn!(target: "zkr::watcher", error = %e, "L1 watcher step failed")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(w.config.poll) => {}
            _ = stop.changed() => return,
        }
    }
}

impl<S: Storage> Watcher<S> {
    fn next_block(&self) -> u64 {
        self.cursor.map_or(self.config.start_block, |c| c.next)
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, StepError> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(rpc)?;
        Ok(block.map(|b| b.header.hash))
    }

    /// Reads every confirmed block from the cursor on; returns the L1 head.
    async fn step(&mut self) -> Result<u64, StepError> {
        let head = self.provider.get_block_number().await.map_err(rpc)?;
        if let Some(c) = self.cursor
            && c.next > self.config.start_block
        {
            let now = self.block_hash(c.next - 1).await?;
            if now != Some(c.hash) {
                tracing::warn!(
                    target: "zkr::watcher",
                    block = c.next - 1,
                    read = %c.hash,
                    now = ?now,
                    confirmations = self.config.confirmations,
                    "the last L1 block read is no longer on L1's chain (a reorg deeper than the \
                     confirmations, or an L1 that lost blocks): checking what L2 took against L1"
                );
                self.verify().await?;
                // Everything taken is still on L1: read again from the deployment block (what
                // was taken is skipped), so no event of the new chain is missed.
                self.cursor = None;
                lock(&self.seq).clear_watcher_cursor()?;
            }
        }
        let safe = head.saturating_sub(self.config.confirmations);
        while self.next_block() <= safe {
            let from = self.next_block();
            let to = safe.min(from + MAX_RANGE - 1);
            // `to`'s hash before and after the logs: a chain that changed while they were read
            // is checked and read again.
            let Some(before) = self.block_hash(to).await? else {
                return Ok(head);
            };
            let mut missed = None;
            for logged in rollup_events(&self.provider, self.config.rollup, from, to).await? {
                match self.take(logged).await {
                    Ok(()) => {}
                    Err(NodeError::PriorityOrder { expected, got }) if got > expected => {
                        tracing::warn!(target: "zkr::watcher", expected, got, from, to, "L1 logs skipped a priority operation: reading again");
                        missed = Some(Missed::PriorityOp);
                        break;
                    }
                    Err(NodeError::TokenOrder { expected, got }) if got > expected => {
                        tracing::warn!(target: "zkr::watcher", expected, got, from, to, "L1 logs skipped a token registration: reading again");
                        missed = Some(Missed::Token);
                        break;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let after = self.block_hash(to).await?;
            if after != Some(before) {
                tracing::warn!(target: "zkr::watcher", block = to, "L1 reorganised while its logs were read: checking what L2 took against L1");
                self.verify().await?;
                return Ok(head);
            }
            if missed.is_none() {
                match self.missed_through(to).await? {
                    Through::Complete => {}
                    Through::Missed(m) => missed = Some(m),
                    // More than L1 has: an earlier run took operations above today's
                    // confirmed depth, or L1 lost some. Checked; a loss halts the node.
                    Through::Ahead if to == safe => self.verify().await?,
                    Through::Ahead => {}
                }
            }
            if let Some(missed) = missed {
                self.rewind(missed).await?;
                return Ok(head);
            }
            let cursor = WatcherCursor {
                next: to + 1,
                hash: before,
            };
            lock(&self.seq).set_watcher_cursor(&cursor)?;
            self.cursor = Some(cursor);
        }
        Ok(head)
    }

    /// How what the sequencer holds compares with the priority operations and tokens L1 had
    /// at block `to`: less means the logs were incomplete. An L1 that cannot answer for an
    /// older block (a pruned node) is taken at its word.
    async fn missed_through(&self, to: u64) -> Result<Through, StepError> {
        let at = BlockId::number(to);
        let ops = self.contract.totalPriorityOps().block(at).call().await;
        let tokens = self.contract.totalTokens().block(at).call().await;
        let (Ok(ops), Ok(tokens)) = (ops, tokens) else {
            return Ok(Through::Complete);
        };
        let seq = lock(&self.seq);
        let (have_ops, have_tokens) = (seq.priority_next(), u64::from(seq.state().num_tokens()));
        let missed = if have_tokens < tokens.saturating_to::<u64>() {
            Missed::Token
        } else if have_ops < ops {
            Missed::PriorityOp
        } else if have_ops > ops {
            return Ok(Through::Ahead);
        } else {
            return Ok(Through::Complete);
        };
        tracing::warn!(target: "zkr::watcher", to, l1_ops = ops, have_ops, l1_tokens = %tokens, have_tokens, "L1 logs were incomplete: reading again");
        Ok(Through::Missed(missed))
    }

    /// Moves the cursor back so the next step reads again what the logs missed: to the block
    /// of the last priority operation taken (later ones come after it in L1's order), or to
    /// the deployment block when a token registration was missed (their blocks are not kept).
    async fn rewind(&mut self, missed: Missed) -> Result<(), StepError> {
        let origin = {
            let seq = lock(&self.seq);
            match (missed, seq.priority_next().checked_sub(1)) {
                (Missed::PriorityOp, Some(i)) => seq.l1_origin(i)?,
                _ => None,
            }
        };
        self.cursor = match origin {
            Some(o) if o.block > self.config.start_block => self
                .block_hash(o.block - 1)
                .await?
                .map(|hash| WatcherCursor {
                    next: o.block,
                    hash,
                }),
            _ => None,
        };
        // Stored again once the range is read; a crash before that reads from the old one,
        // which is at or after this point: rewinding is only ever done in memory first.
        Ok(())
    }

    /// L1's state after block `number`, by hash (so that every read of one check sees the
    /// same chain, whatever L1 does meanwhile).
    async fn pin(&self, number: u64) -> Result<BlockId, StepError> {
        match self.block_hash(number).await? {
            Some(h) => Ok(BlockId::hash(h)),
            None => Err(rpc(format!("L1 has no block {number}"))),
        }
    }

    /// Checks what L2 took against L1 at the confirmed depth: every priority operation not yet
    /// in a batch committed on L1 must be in L1's queue with the hash it had, and every token
    /// must keep its address. Operations taken above today's confirmed depth (by a run with
    /// fewer confirmations) are checked at the head. Every read is pinned to one block.
    async fn verify(&self) -> Result<(), StepError> {
        let head = self.provider.get_block_number().await.map_err(rpc)?;
        let safe = head.saturating_sub(self.config.confirmations);
        let (at_safe, at_head) = (self.pin(safe).await?, self.pin(head).await?);
        let c = &self.contract;
        let committed = c
            .committedPriorityOps()
            .block(at_safe)
            .call()
            .await
            .map_err(rpc)?;
        let total = c
            .totalPriorityOps()
            .block(at_safe)
            .call()
            .await
            .map_err(rpc)?;
        let committed_head = c
            .committedPriorityOps()
            .block(at_head)
            .call()
            .await
            .map_err(rpc)?;
        let total_head = c
            .totalPriorityOps()
            .block(at_head)
            .call()
            .await
            .map_err(rpc)?;
        let (next, tokens) = {
            let seq = lock(&self.seq);
            (seq.priority_next(), seq.tokens()?)
        };
        for index in committed..next {
            let Some(origin) = lock(&self.seq).l1_origin(index)? else {
                continue;
            };
            let (at, total) = if origin.block <= safe {
                (at_safe, total)
            } else if index < committed_head {
                // In a batch L1 committed since: the contract checked its hash then.
                continue;
            } else {
                (at_head, total_head)
            };
            if index >= total {
                return Err(StepError::Diverged(self.diverged(
                    index,
                    &origin,
                    &format!("L1's queue now ends at {total}"),
                )));
            }
            let op = c.priorityOps(index).block(at).call().await.map_err(rpc)?;
            if op.hash != origin.op_hash {
                return Err(StepError::Diverged(self.diverged(
                    index,
                    &origin,
                    &format!(
                        "L1's queue now holds another operation there (hash {})",
                        op.hash
                    ),
                )));
            }
            if self.block_hash(origin.block).await? != Some(origin.block_hash) {
                tracing::warn!(target: "zkr::watcher", index, block = origin.block, "the L1 block of a priority operation was replaced, but L1's queue still holds the same operation at the same index: nothing to undo");
            }
        }
        let on_l1 = c.totalTokens().block(at_safe).call().await.map_err(rpc)?;
        let on_l1_head = c.totalTokens().block(at_head).call().await.map_err(rpc)?;
        for t in tokens.iter().filter(|t| t.id != 0) {
            let id = alloy::primitives::U256::from(t.id);
            // A token registered above the confirmed depth (taken with fewer confirmations,
            // or imported by `zkr rebuild` up to the head) is checked at the head.
            let at = if id < on_l1 {
                Some(at_safe)
            } else if id < on_l1_head {
                Some(at_head)
            } else {
                None
            };
            let address = match at {
                Some(at) => Some(c.tokens(id).block(at).call().await.map_err(rpc)?),
                None => None,
            };
            if address != Some(t.address) {
                return Err(StepError::Diverged(format!(
                    "L2 registered token {} ({}) at {}, and L1 {}. {}",
                    t.id,
                    t.symbol,
                    t.address,
                    match address {
                        Some(a) => format!("now has {a} under that id"),
                        None => format!("now has only {on_l1_head} tokens"),
                    },
                    self.what_to_do()
                )));
            }
        }
        Ok(())
    }

    fn diverged(&self, index: u64, origin: &L1Origin, now: &str) -> String {
        format!(
            "L1 no longer has priority operation {index}, which L2 took from L1 transaction {} \
             in block {} ({now}). {}",
            origin.tx,
            origin.block,
            self.what_to_do()
        )
    }

    fn what_to_do(&self) -> String {
        format!(
            "L1 reorganised deeper than --confirmations ({}) or lost blocks (an anvil restarted \
             from an older state dump), so L2 has acted on L1 requests that L1 never kept. The \
             node halts rather than diverge from L1, and restarting it will not help. To go on, \
             rebuild the state from L1 alone into a new data dir and start the node on that: \
             `zkr rebuild --l1-rpc <url> --rollup {} --data-dir <new dir>`; L2 transactions \
             after the last batch committed on L1 are then lost (their senders must send them \
             again). On a network that reorganises, raise --confirmations.",
            self.config.confirmations, self.config.rollup
        )
    }

    async fn take(&self, logged: LoggedEvent) -> Result<(), NodeError> {
        take(&self.seq, &self.provider, logged).await
    }
}

async fn take<S: Storage>(
    seq: &Shared<S>,
    provider: &DynProvider,
    logged: LoggedEvent,
) -> Result<(), NodeError> {
    let op_hash = logged.event.priority_hash().map(|(_, h)| h);
    let LoggedEvent {
        block,
        block_hash,
        tx_hash,
        event,
    } = logged;
    let origin = |op_hash: Option<B256>| L1Origin {
        block,
        block_hash,
        tx: tx_hash,
        op_hash: op_hash.unwrap_or_default(),
    };
    match event {
        RollupEvent::TokenRegistered { id, token } => {
            if id < lock(seq).state().num_tokens() {
                return Ok(());
            }
            let info = token_info(provider, id, token).await;
            tracing::info!(target: "zkr::watcher", id, symbol = %info.symbol, %token, block, "token registered");
            lock(seq).register_token(info)
        }
        RollupEvent::Deposit {
            index,
            to,
            token,
            amount,
        } => {
            let request = OpRequest::Deposit(DepositRequest {
                owner: to,
                token: TokenId(token),
                amount: Amount(amount),
            });
            priority(seq, index, request, origin(op_hash))
        }
        RollupEvent::FullExit {
            index,
            owner,
            account_id,
            token,
        } => {
            let request = OpRequest::FullExit(FullExitRequest {
                account_id: AccountId(account_id),
                owner,
                token: TokenId(token),
            });
            priority(seq, index, request, origin(op_hash))
        }
    }
}

fn priority<S: Storage>(
    seq: &Shared<S>,
    index: u64,
    request: OpRequest,
    origin: L1Origin,
) -> Result<(), NodeError> {
    let mut seq = lock(seq);
    if index < seq.priority_next() {
        return Ok(());
    }
    tracing::info!(target: "zkr::watcher", index, block = origin.block, "priority operation");
    seq.submit_priority_from_l1(index, request, origin)
}

/// Symbol and decimals of a token, read from its contract (defaults if it does not say).
pub async fn token_info(provider: &DynProvider, id: u16, token: Address) -> TokenInfo {
    let erc20 = DevToken::new(token, provider);
    let symbol = match erc20.symbol().call().await {
        Ok(s) if !s.is_empty() => s,
        _ => format!("TOKEN{id}"),
    };
    let decimals = erc20.decimals().call().await.unwrap_or(18);
    TokenInfo {
        id,
        address: token,
        symbol,
        decimals,
    }
}
