//! Rebuilding the zkr state from L1 alone (`zkr rebuild`), and the exodus exit proofs built
//! from it.
//!
//! Everything comes from L1: the rollup's settings and genesis root, token registrations and
//! priority operations from its events, and each batch's pubdata from its `commitBatch`
//! calldata. Each batch is replayed from its pubdata (`State::replay`) and stored in a node's
//! data dir as one sealed block, in one storage transaction, only once its root equals the
//! root L1 stored for it; an interrupted rebuild resumes at the next batch. The data dir can
//! start a node (`zkr node --data-dir`), and `zkr wallet exit` proves balances from it.
//!
//! Only batches L1 has proven are stored: a committed batch without a proof may still be
//! reverted, and its signatures are not on L1, so no node could prove it.

mod error;
pub mod exit;
pub mod l1;

pub use error::RebuildError;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use futures_util::{StreamExt, TryStreamExt};
use l1::L1View;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use zkr_crypto::eth::Eip712Domain;
use zkr_crypto::field::{fr_from_le_bytes_canonical, fr_to_decimal};
use zkr_l1::history::commit_calldata;
use zkr_node::records::BatchStatus;
use zkr_node::sequencer::{ImportedBatch, ImportedOp, genesis_root};
use zkr_node::{Sequencer, SequencerConfig};
use zkr_state::ChainConfig;
use zkr_state::storage::{RedbStorage, Storage};
use zkr_types::op::parse_pubdata;
use zkr_types::{AccountId, ChainId, Fr};

/// Batches whose calldata is fetched ahead of the one being replayed.
const PREFETCH: usize = 16;

/// Which batches a rebuild stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Until {
    /// Up to the last executed batch: the state exodus exits prove against.
    Executed,
    /// Up to the last proven batch: what a node started on the data dir needs to go on
    /// executing them.
    Proven,
}

/// What to rebuild, and where.
#[derive(Debug, Clone)]
pub struct RebuildOptions {
    /// The rollup contract.
    pub rollup: Address,
    /// The node data dir to write (`state.redb`, `prover.redb`).
    pub data_dir: PathBuf,
    /// The L1 block to scan events from (the rollup's deployment block, or earlier).
    pub from_block: u64,
    /// Which batches to store.
    pub until: Until,
}

/// Progress of a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// L1's events are read: `stored` batches are in the data dir, `target` will be.
    Scanned {
        /// Batches already in the data dir.
        stored: u64,
        /// Batches it will hold.
        target: u64,
    },
    /// Batch `batch` is stored.
    Batch {
        /// Its number.
        batch: u64,
        /// Batches it will hold.
        target: u64,
    },
}

/// Where a rebuild stopped, and what L1 holds beyond it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RebuildReport {
    /// The data dir.
    pub data_dir: PathBuf,
    /// The L1 block L1 was read at.
    pub l1_block: u64,
    /// L1's batch counters.
    pub committed: u64,
    /// See `committed`.
    pub proven: u64,
    /// See `committed`.
    pub executed: u64,
    /// Exodus mode is active on L1.
    pub exodus: bool,
    /// Which batches were to be stored.
    pub until: Until,
    /// Batches the data dir holds now (each checked against L1's root).
    pub stored: u64,
    /// Of those, stored by this run (the others by an earlier, interrupted one).
    pub imported: u64,
    /// The data dir's state root (decimal).
    pub root: String,
    /// Whether that is L1's last executed root (what exodus exits prove against).
    pub at_last_executed_root: bool,
    /// Accounts in the state.
    pub accounts: u32,
    /// Registered tokens.
    pub tokens: u16,
    /// Seconds this run took.
    pub seconds: f64,
    /// Batches stored per minute by this run (0 if none).
    pub batches_per_minute: f64,
}

/// A root as L1 stores it (always in the field: `commitBatch` checks).
fn word_to_fr(w: U256) -> Result<Fr, RebuildError> {
    fr_from_le_bytes_canonical(&w.to_le_bytes::<32>())
        .ok_or_else(|| RebuildError::Inconsistent(format!("L1 root {w} is not a field element")))
}

/// Rebuilds (or resumes rebuilding) `opts.data_dir` from L1.
pub async fn rebuild(
    provider: &DynProvider,
    opts: &RebuildOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<RebuildReport, RebuildError> {
    let started = Instant::now();
    let view = L1View::read(provider, opts.rollup, opts.from_block).await?;
    let chain = ChainConfig {
        chain_id: ChainId(view.chain_id),
        eip712: Eip712Domain {
            l1_chain_id: view.l1_chain_id,
            verifying_contract: opts.rollup,
        },
    };
    let genesis = word_to_fr(view.genesis_root)?;
    let owners = if genesis == genesis_root(chain, &[view.operator])? {
        vec![view.operator]
    } else if genesis == genesis_root(chain, &[])? {
        Vec::new()
    } else {
        return Err(RebuildError::Inconsistent(format!(
            "the rollup's genesis root {} is neither the empty tree nor the operator's fee account",
            fr_to_decimal(&genesis)
        )));
    };
    std::fs::create_dir_all(&opts.data_dir).map_err(|source| RebuildError::Io {
        what: format!("creating {}", opts.data_dir.display()),
        source,
    })?;
    let state_path = opts.data_dir.join("state.redb");
    let storage = RedbStorage::open(&state_path)?;
    let config = SequencerConfig {
        genesis: owners,
        ..SequencerConfig::free(1)
    };
    let mut seq = Sequencer::open(storage, chain, config)?;
    let target = match opts.until {
        Until::Executed => view.executed,
        Until::Proven => view.proven,
    };
    let stored = check_resume(&seq, &view, target)?;
    progress(Progress::Scanned { stored, target });
    for (id, token) in view.tokens.iter().enumerate().skip(seq.tokens()?.len()) {
        let info = zkr_node::pipeline::watcher::token_info(provider, id as u16, *token).await;
        seq.register_token(info)?;
    }
    let fetches = futures_util::stream::iter(stored + 1..=target)
        .map(|n| fetch(provider, opts.rollup, &view, n))
        .buffered(PREFETCH);
    futures_util::pin_mut!(fetches);
    let mut imported = 0;
    while let Some(batch) = fetches.try_next().await? {
        let number = batch.number;
        import(&mut seq, batch, &view.priority_txs)?;
        imported += 1;
        progress(Progress::Batch {
            batch: number,
            target,
        });
    }
    let root = seq
        .state()
        .storage()
        .meta()?
        .map(|m| m.root)
        .ok_or_else(|| RebuildError::Inconsistent("the data dir has no state".into()))?;
    let accounts = seq.state().next_account_id().0;
    let tokens = seq.state().num_tokens();
    drop(seq);
    copy_for_prover(&opts.data_dir)?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(RebuildReport {
        data_dir: opts.data_dir.clone(),
        l1_block: view.head,
        committed: view.committed,
        proven: view.proven,
        executed: view.executed,
        exodus: view.exodus,
        until: opts.until,
        stored: target,
        imported,
        root: fr_to_decimal(&root),
        at_last_executed_root: root == word_to_fr(view.last_executed_root)?,
        accounts,
        tokens,
        seconds,
        batches_per_minute: if imported == 0 {
            0.0
        } else {
            imported as f64 * 60.0 / seconds
        },
    })
}

/// The batches the data dir already holds, after checking that they are L1's.
fn check_resume(
    seq: &Sequencer<RedbStorage>,
    view: &L1View,
    target: u64,
) -> Result<u64, RebuildError> {
    if seq.open_len() > 0 {
        return Err(RebuildError::Inconsistent(
            "the data dir holds operations no batch sealed (a node's mempool): rebuild into a \
             new directory"
                .into(),
        ));
    }
    let stored = seq.sealed_batches();
    if stored > target {
        return Err(RebuildError::Inconsistent(format!(
            "the data dir holds {stored} batches, more than the {target} L1 has to rebuild: \
             rebuild into a new directory"
        )));
    }
    if stored > 0 {
        let record = seq
            .batch(stored)?
            .ok_or_else(|| RebuildError::Inconsistent(format!("no record of batch {stored}")))?;
        let l1_root = fr_to_decimal(&word_to_fr(view.commits[&stored].root)?);
        if record.root != l1_root {
            return Err(RebuildError::Inconsistent(format!(
                "the data dir's batch {stored} has root {}, L1's has {l1_root}: it is another \
                 chain's; rebuild into a new directory",
                record.root
            )));
        }
    }
    Ok(stored)
}

/// Batch `n` as L1 holds it: its commit's calldata, parsed.
async fn fetch(
    provider: &DynProvider,
    rollup: Address,
    view: &L1View,
    n: u64,
) -> Result<FetchedBatch, RebuildError> {
    let commit = view.commits[&n];
    let input = commit_calldata(provider, rollup, commit.tx).await?;
    if input.newRoot != commit.root {
        return Err(RebuildError::Inconsistent(format!(
            "batch {n}: the calldata of {} commits root {}, its event says {}",
            commit.tx, input.newRoot, commit.root
        )));
    }
    let timestamp = provider
        .get_block_by_number(BlockNumberOrTag::Number(commit.block))
        .await
        .map_err(zkr_l1::L1Error::rpc)?
        .map(|b| b.header.timestamp)
        .unwrap_or(0);
    let ops = parse_pubdata(&input.pubdata)
        .map_err(|e| RebuildError::Inconsistent(format!("batch {n}'s pubdata: {e}")))?;
    Ok(FetchedBatch {
        number: n,
        ops,
        fee_account: input.feeAccount,
        root: word_to_fr(commit.root)?,
        commit_tx: commit.tx,
        timestamp,
        status: if n <= view.executed {
            BatchStatus::Executed
        } else {
            BatchStatus::Proven
        },
        prove_tx: view.proofs.get(&n).copied(),
        execute_tx: view.executions.get(&n).copied(),
    })
}

struct FetchedBatch {
    number: u64,
    ops: Vec<zkr_types::op::Op>,
    fee_account: u32,
    root: Fr,
    commit_tx: B256,
    timestamp: u64,
    status: BatchStatus,
    prove_tx: Option<B256>,
    execute_tx: Option<B256>,
}

fn import(
    seq: &mut Sequencer<RedbStorage>,
    b: FetchedBatch,
    priority_txs: &HashMap<u64, B256>,
) -> Result<(), RebuildError> {
    let mut next_priority = seq.priority_next();
    let mut ops = Vec::with_capacity(b.ops.len());
    for op in b.ops {
        let l1_tx = if op.is_priority() {
            let tx = priority_txs.get(&next_priority).copied();
            next_priority += 1;
            tx
        } else {
            None
        };
        let pubdata = op
            .pubdata()
            .map_err(|e| RebuildError::Inconsistent(format!("batch {}: {e}", b.number)))?;
        ops.push(ImportedOp { op, pubdata, l1_tx });
    }
    seq.import_batch(ImportedBatch {
        number: b.number,
        ops,
        fee_account: AccountId(b.fee_account),
        root: b.root,
        status: b.status,
        commit_tx: Some(b.commit_tx),
        prove_tx: b.prove_tx,
        execute_tx: b.execute_tx,
        timestamp: b.timestamp,
    })?;
    Ok(())
}

/// The prover's copy of the state (`prover.redb`) is the state at the last proven batch:
/// every stored batch is proven, so it is the state itself.
fn copy_for_prover(dir: &Path) -> Result<(), RebuildError> {
    let (from, to) = (dir.join("state.redb"), dir.join("prover.redb"));
    std::fs::copy(&from, &to).map_err(|source| RebuildError::Io {
        what: format!("copying {} to {}", from.display(), to.display()),
        source,
    })?;
    Ok(())
}
