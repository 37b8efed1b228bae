//! Everything a rebuild reads from L1, at one L1 block: the rollup's settings and counters,
//! and from its events the tokens, the L1 transaction of each priority operation and each
//! batch's commit (what reverts left standing), proof and execution.

use crate::RebuildError;
use alloy::eips::BlockId;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use std::collections::{BTreeMap, HashMap};
use zkr_l1::L1Error;
use zkr_l1::bindings::ZkrRollup;
use zkr_l1::events::{RollupEvent, rollup_events};
use zkr_l1::history::{BatchEvent, batch_events};

/// Largest block range asked for in one `eth_getLogs`.
const MAX_RANGE: u64 = 5_000;

/// A batch's commit as it stands on L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    /// The `commitBatch` transaction.
    pub tx: B256,
    /// The L1 block it is in.
    pub block: u64,
    /// The root it stored.
    pub root: U256,
}

/// The rollup as L1 holds it at block `head`.
#[derive(Debug, Clone)]
pub struct L1View {
    /// The L1 block everything was read at.
    pub head: u64,
    /// L1's chain id.
    pub l1_chain_id: u64,
    /// The zkr chain id.
    pub chain_id: u32,
    /// The operator (owner of the fee account at genesis, if any).
    pub operator: Address,
    /// The root the rollup was deployed with.
    pub genesis_root: U256,
    /// Batch counters.
    pub committed: u64,
    /// See `committed`.
    pub proven: u64,
    /// See `committed`.
    pub executed: u64,
    /// The root after the last executed batch (what exodus exits prove against).
    pub last_executed_root: U256,
    /// Exodus mode is active.
    pub exodus: bool,
    /// Registered tokens by id (ETH, zero, first).
    pub tokens: Vec<Address>,
    /// The L1 transaction of each priority operation, by queue index.
    pub priority_txs: HashMap<u64, B256>,
    /// The standing commit of each committed batch.
    pub commits: BTreeMap<u64, Commit>,
    /// `proveBatch` / `proveDexBatch` transactions.
    pub proofs: HashMap<u64, B256>,
    /// `executeBatch` transactions.
    pub executions: HashMap<u64, B256>,
}

impl L1View {
    /// Reads the rollup at the current L1 head, scanning its events from `from_block`.
    pub async fn read(
        provider: &DynProvider,
        rollup: Address,
        from_block: u64,
    ) -> Result<L1View, RebuildError> {
        let head = provider.get_block_number().await.map_err(L1Error::rpc)?;
        let at = BlockId::number(head);
        if provider
            .get_code_at(rollup)
            .block_id(at)
            .await
            .map_err(L1Error::rpc)?
            .is_empty()
        {
            return Err(RebuildError::Inconsistent(format!(
                "no contract at {rollup} on this L1 (wrong --rollup or --l1-rpc?)"
            )));
        }
        let c = ZkrRollup::new(rollup, provider);
        let mut view = L1View {
            head,
            l1_chain_id: provider.get_chain_id().await.map_err(L1Error::rpc)?,
            chain_id: c.chainId().block(at).call().await.map_err(L1Error::rpc)?,
            operator: c.operator().block(at).call().await.map_err(L1Error::rpc)?,
            genesis_root: c
                .batches(0)
                .block(at)
                .call()
                .await
                .map_err(L1Error::rpc)?
                .newRoot,
            committed: c
                .totalBatchesCommitted()
                .block(at)
                .call()
                .await
                .map_err(L1Error::rpc)?,
            proven: c
                .totalBatchesProven()
                .block(at)
                .call()
                .await
                .map_err(L1Error::rpc)?,
            executed: c
                .totalBatchesExecuted()
                .block(at)
                .call()
                .await
                .map_err(L1Error::rpc)?,
            last_executed_root: c
                .lastExecutedRoot()
                .block(at)
                .call()
                .await
                .map_err(L1Error::rpc)?,
            exodus: c
                .exodusMode()
                .block(at)
                .call()
                .await
                .map_err(L1Error::rpc)?,
            tokens: Vec::new(),
            priority_txs: HashMap::new(),
            commits: BTreeMap::new(),
            proofs: HashMap::new(),
            executions: HashMap::new(),
        };
        let mut from = from_block;
        while from <= head {
            let to = head.min(from + MAX_RANGE - 1);
            for e in rollup_events(provider, rollup, from, to).await? {
                match e.event {
                    RollupEvent::TokenRegistered { id, token } => {
                        if usize::from(id) != view.tokens.len() {
                            return Err(RebuildError::Inconsistent(format!(
                                "token {id} registered after {} tokens: scan from the \
                                 rollup's deployment block (--from-block)",
                                view.tokens.len()
                            )));
                        }
                        view.tokens.push(token);
                    }
                    RollupEvent::Deposit { index, .. } | RollupEvent::FullExit { index, .. } => {
                        view.priority_txs.insert(index, e.tx_hash);
                    }
                }
            }
            for e in batch_events(provider, rollup, from, to).await? {
                match e.event {
                    BatchEvent::Committed {
                        number, new_root, ..
                    } => {
                        view.commits.insert(
                            number,
                            Commit {
                                tx: e.tx_hash,
                                block: e.block,
                                root: new_root,
                            },
                        );
                    }
                    BatchEvent::Reverted { to } => {
                        view.commits.retain(|n, _| *n <= to);
                    }
                    BatchEvent::Proven { number } => {
                        view.proofs.insert(number, e.tx_hash);
                    }
                    BatchEvent::Executed { number } => {
                        view.executions.insert(number, e.tx_hash);
                    }
                }
            }
            from = to + 1;
        }
        if view.tokens.is_empty() {
            return Err(RebuildError::Inconsistent(format!(
                "no TokenRegistered event of {rollup} from block {from_block}: scan from the \
                 rollup's deployment block (--from-block)"
            )));
        }
        for n in 1..=view.committed {
            if !view.commits.contains_key(&n) {
                return Err(RebuildError::Inconsistent(format!(
                    "L1 counts {} committed batches but batch {n}'s BatchCommitted event was \
                     not found from block {from_block}",
                    view.committed
                )));
            }
        }
        Ok(view)
    }
}
