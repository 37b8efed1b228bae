//! The sequencer: the open L2 block, its mempool, and sealing blocks and batches.
//!
//! An accepted operation is applied to the open block at once (so `zkr_sendTx` answers with the
//! exact rejection reason, and later transactions see earlier ones) and written to the mempool
//! side table. Sealing commits the state, the block record, the transaction records, the block's
//! operations and the removal of the mempool entries in one storage transaction; after a crash
//! the node reopens at the last sealed block and replays the mempool in order, so nothing
//! acknowledged is lost.
//!
//! Blocks are grouped into batches: a batch is closed (its fees credited to the fee account in
//! its last block) when it has as many operations as the circuit has slots, when the next
//! transaction would bring a fifth fee token, or when it is older than the batch timeout.

mod import;
pub use import::{ImportedBatch, ImportedOp};

use crate::NodeError;
use crate::admission::CheckedTx;
use crate::fees::{FeePolicy, TxKind};
use crate::history;
use crate::records::{
    AppliedOp, BATCHES, BLOCK_OPS, BLOCKS, BatchRecord, BatchStatus, BlockOps, BlockRecord,
    L1_TAKEN, L1Origin, L1Step, L1Steps, MEMPOOL, META, MempoolEntry, OPEN_BATCH, OpenBatch,
    PRIORITY, PRIORITY_NEXT, PROOFS, PriorityRecord, ProofRecord, QUEUED_JOBS, QueuedJobRecord,
    TOKENS, TXS, TokenInfo, TxRecord, TxStatus, WATCHER_CURSOR, WatcherCursor,
};
use crate::writer::{Durability, Job, Progress, Writer};
use alloy_primitives::B256;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use zkr_crypto::field::fr_to_decimal;
use zkr_state::account::Account;
use zkr_state::storage::{SideWrite, Storage, Write};
use zkr_state::{ChainConfig, OpRequest, State, StateError};
use zkr_types::tx::L2Tx;
use zkr_types::{AccountId, Address};

/// Blocks sealed in memory beyond which sealing waits for the writer (a slow disk slows the
/// block producer instead of growing memory and the reads through unwritten blocks).
const MAX_UNWRITTEN_BLOCKS: usize = 16;

/// How many rejected transactions are remembered for `zkr_getTx`.
const REJECTED_MEMORY: usize = 10_000;

pub(crate) fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, NodeError> {
    serde_json::to_vec(v).map_err(|e| NodeError::Encoding(e.to_string()))
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, NodeError> {
    serde_json::from_slice(b).map_err(|e| NodeError::Encoding(e.to_string()))
}

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// How the sequencer fills blocks and batches.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// Operations per batch (the circuit's slots).
    pub batch_slots: usize,
    /// What transactions must pay.
    pub fees: FeePolicy,
    /// Owners of the genesis accounts (account 0, the first, receives the fees).
    pub genesis: Vec<Address>,
    /// Wei each deposit and full exit pays the operator on L1 (the rollup's `priorityFee`).
    pub priority_fee_wei: u128,
    /// A batch whose operations do not pay for it (`FeePolicy::batch_cost`) is not sealed at
    /// the batch timeout but waits up to this long for more: the most the operator spends on
    /// an undercharged batch is one per `max_batch_wait_ms`.
    pub max_batch_wait_ms: u64,
    /// Sealed batches without a proof beyond which L2 transactions are refused (`BUSY`); 0 for
    /// no bound.
    pub max_unproven_batches: u64,
    /// Take DEX transactions: their batches are proven by the DEX circuit, whose keys the
    /// prover then loads too (`zkr node` sets it; without it they are refused, `UNSUPPORTED`).
    pub accept_dex: bool,
}

impl SequencerConfig {
    /// Fee-free batches of `batch_slots` on an empty genesis (tests).
    pub fn free(batch_slots: usize) -> SequencerConfig {
        SequencerConfig {
            batch_slots,
            fees: FeePolicy::free(),
            genesis: Vec::new(),
            priority_fee_wei: 0,
            max_batch_wait_ms: 0,
            max_unproven_batches: 0,
            accept_dex: false,
        }
    }
}

/// The genesis state's root for `owners` (what the rollup contract is deployed with).
pub fn genesis_root(chain: ChainConfig, owners: &[Address]) -> Result<zkr_types::Fr, NodeError> {
    let mut state = State::open(zkr_state::storage::MemoryStorage::new(), chain)?;
    load_genesis(&mut state, owners)?;
    Ok(state.root()?)
}

pub(crate) fn load_genesis<S: Storage>(
    state: &mut State<S>,
    owners: &[Address],
) -> Result<(), NodeError> {
    let accounts = owners
        .iter()
        .map(|o| {
            let mut a = Account::default();
            a.owner = *o;
            a
        })
        .collect();
    state.load_genesis(accounts)?;
    Ok(())
}

/// The open block and batch, and everything around them.
pub struct Sequencer<S: Storage> {
    state: State<S>,
    config: SequencerConfig,
    open: Vec<(u64, MempoolEntry, Vec<u8>)>,
    next_seq: u64,
    batch: OpenBatch,
    priority_next: u64,
    /// Sealed batches up to this one have a proof (or are proven on L1).
    proven_upto: u64,
    rejected: VecDeque<TxRecord>,
    poisoned: bool,
    exodus: bool,
    /// Blocks sealed but not yet durable, oldest first, with their operations (shown as
    /// pending until storage has the block).
    sealing: VecDeque<(u64, Vec<(u64, MempoolEntry)>)>,
    /// The single durable writer (`writer.rs`).
    writer: Writer,
}

impl<S: Storage> std::fmt::Debug for Sequencer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer")
            .field("open", &self.open.len())
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl<S: Storage + Clone + 'static> Sequencer<S> {
    /// Opens the state (writing the genesis into a fresh one) and replays the operations
    /// accepted after the last sealed block.
    pub fn open(
        storage: S,
        chain: ChainConfig,
        config: SequencerConfig,
    ) -> Result<Self, NodeError> {
        let writer_storage = storage.clone();
        let mut state = State::open(storage, chain)?;
        let indexed = history::rebuild_if_missing(state.storage(), &chain)?;
        if indexed > 0 {
            tracing::info!(target: "zkr::sequencer", blocks = indexed, "built the account history index");
        }
        if state.block_number().0 == 0 && !config.genesis.is_empty() {
            load_genesis(&mut state, &config.genesis)?;
            let root = state.root()?;
            let record = BlockRecord {
                number: 1,
                root: fr_to_decimal(&root),
                timestamp: now_ms() / 1000,
                txs: Vec::new(),
                priority_ops: 0,
                sealed_at_ms: None,
            };
            let open = OpenBatch {
                first_block: 2,
                ..OpenBatch::default()
            };
            state.seal_block_with(vec![
                side(BLOCKS, 1u64.to_be_bytes().to_vec(), encode(&record)?),
                side(
                    BLOCK_OPS,
                    1u64.to_be_bytes().to_vec(),
                    encode(&BlockOps::new())?,
                ),
                side(META, OPEN_BATCH.to_vec(), encode(&open)?),
            ])?;
        }
        let batch = match state.storage().side_get(META, OPEN_BATCH)? {
            Some(b) => decode(&b)?,
            None => OpenBatch {
                first_block: state.block_number().0 + 1,
                ..OpenBatch::default()
            },
        };
        let priority_next = match state.storage().side_get(META, PRIORITY_NEXT)? {
            Some(b) => decode(&b)?,
            None => 0,
        };
        let mut s = Sequencer {
            state,
            config,
            open: Vec::new(),
            next_seq: 0,
            batch,
            priority_next,
            proven_upto: 0,
            rejected: VecDeque::new(),
            poisoned: false,
            exodus: false,
            sealing: VecDeque::new(),
            writer: Writer::start(
                Box::new(move |writes| writer_storage.write_all(writes)),
                Progress::default(),
            )?,
        };
        s.proven_upto = s.find_proven_upto()?;
        let entries = s.state.storage().side_scan(MEMPOOL)?;
        for (key, value) in entries {
            let seq = u64::from_be_bytes(
                key.as_slice()
                    .try_into()
                    .map_err(|_| NodeError::Encoding("mempool key".into()))?,
            );
            let entry: MempoolEntry = decode(&value)?;
            // An entry that no longer applies (it cannot happen unless the store was edited)
            // is dropped rather than blocking the node.
            if let Ok(applied) = s.state.apply(&entry.request) {
                s.open.push((seq, entry, applied.pubdata));
            }
            s.next_seq = seq + 1;
        }
        let (ops_below, block) = (s.next_seq, s.state.block_number().0);
        s.writer.durability().start_at(ops_below, block);
        // A batch whose first operations were only in the mempool starts its timeout now.
        if !s.open.is_empty() && s.batch.started_ms == 0 {
            s.batch.started_ms = now_ms();
        }
        Ok(s)
    }
}

impl<S: Storage> Sequencer<S> {
    /// The state (read access for queries).
    pub fn state(&self) -> &State<S> {
        &self.state
    }

    /// How blocks and batches are filled.
    pub fn config(&self) -> &SequencerConfig {
        &self.config
    }

    /// Operations in the open block.
    pub fn open_len(&self) -> usize {
        self.open.len()
    }

    /// Operations in the open batch (sealed blocks and the open block).
    pub fn batch_len(&self) -> usize {
        self.batch.ops + self.open.len()
    }

    /// The last sealed batch, counting down, that has a proof or is proven on L1 (0 if none).
    fn find_proven_upto(&self) -> Result<u64, NodeError> {
        let mut n = self.sealed_batches();
        while n > 0 {
            let proven = self.proof(n)?.is_some()
                || self
                    .batch(n)?
                    .is_some_and(|b| b.status >= BatchStatus::Proven);
            if proven {
                break;
            }
            n -= 1;
        }
        Ok(n)
    }

    /// Batches sealed so far.
    pub fn sealed_batches(&self) -> u64 {
        self.state.batch_number().0.saturating_sub(1)
    }

    /// Sealed batches still waiting for a proof.
    pub fn unproven_batches(&self) -> u64 {
        self.sealed_batches().saturating_sub(self.proven_upto)
    }

    /// What the open batch's operations pay the operator so far, wei.
    pub fn batch_revenue(&self) -> u128 {
        self.open
            .iter()
            .fold(self.batch.revenue_wei, |sum, (_, e, _)| {
                sum.saturating_add(self.revenue_of(e))
            })
    }

    fn revenue_of(&self, entry: &MempoolEntry) -> u128 {
        match &entry.request {
            OpRequest::Tx(tx) => tx.fee().1.0,
            _ => self.config.priority_fee_wei,
        }
    }

    /// The next L1 priority index the sequencer expects.
    pub fn priority_next(&self) -> u64 {
        self.priority_next
    }

    /// Priority operations taken from L1 that storage at block `block` does not hold: those of
    /// the open block and of sealed blocks after `block` still being written.
    pub fn priority_ops_after(&self, block: u64) -> u64 {
        let sealing = self
            .sealing
            .iter()
            .filter(|(b, _)| *b > block)
            .flat_map(|(_, ops)| ops.iter().map(|(_, e)| e));
        sealing
            .chain(self.open.iter().map(|(_, e, _)| e))
            .filter(|e| !matches!(e.request, OpRequest::Tx(_)))
            .count() as u64
    }

    /// Exodus mode is active on L1: from now on nothing is accepted (`NodeError::Exodus`).
    pub fn enter_exodus(&mut self) {
        self.exodus = true;
    }

    /// Whether [`Sequencer::enter_exodus`] was called.
    pub fn in_exodus(&self) -> bool {
        self.exodus
    }

    /// Whether the sequencer refuses all work until the node restarts (a storage write failed
    /// after its in-memory state changed).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned || self.durability().failed()
    }

    /// How far accepted operations and sealed blocks are durable (the writer's progress).
    pub fn durability(&self) -> &Arc<Durability> {
        self.writer.durability()
    }

    /// The last block durable in storage (sealed blocks after it are still being written).
    pub fn last_block(&self) -> u64 {
        self.durability().progress().block
    }

    /// Waits until everything decided so far is durable (the blocks sealed and the operations
    /// accepted), and lets the state forget the sealed blocks it kept in memory.
    pub fn flush(&mut self) -> Result<(), NodeError> {
        let (ops_below, block) = (self.next_seq, self.state.block_number().0);
        self.durability()
            .wait(|p| p.ops_below >= ops_below && p.block >= block)?;
        self.forget_written();
        Ok(())
    }

    /// Drops what storage now holds from memory: the state's sealed blocks, and the
    /// operations of sealed blocks shown as pending.
    fn forget_written(&mut self) {
        let block = self.last_block();
        self.state.written(block);
        while self.sealing.front().is_some_and(|(b, _)| *b <= block) {
            self.sealing.pop_front();
        }
    }

    /// Applies `entry` to the open block and queues its mempool entry (with `extra`) for the
    /// writer; unless `defer`, waits until it is durable (with `defer` the caller must, before
    /// telling anyone: `admission.rs`). Returns its mempool sequence number.
    fn accept(
        &mut self,
        entry: MempoolEntry,
        extra: Vec<SideWrite>,
        pre: Option<zkr_state::Prechecked>,
        defer: bool,
    ) -> Result<u64, NodeError> {
        if self.is_poisoned() {
            return Err(NodeError::Poisoned);
        }
        if self.exodus {
            return Err(NodeError::Exodus);
        }
        self.forget_written();
        if self.batch_len() >= self.config.batch_slots {
            self.seal(now_ms(), true, false, Vec::new())?;
        }
        let seq = self.next_seq;
        let write = side(MEMPOOL, seq.to_be_bytes().to_vec(), encode(&entry)?);
        let applied = match self.state.apply_prechecked(&entry.request, pre.clone()) {
            Err(StateError::TooManyFeeTokens) if self.batch_len() > 0 => {
                self.seal(now_ms(), true, false, Vec::new())?;
                self.state.apply_prechecked(&entry.request, pre)?
            }
            other => other?,
        };
        let mut writes = vec![write];
        writes.extend(extra);
        // Applied: from here a failure leaves the open block ahead of storage, which only a
        // restart (replaying the mempool) undoes.
        let queued = self.writer.send(Job {
            write: Write::Side(writes),
            ops_below: seq + 1,
            block: None,
        });
        if let Err(e) = queued {
            self.poisoned = true;
            return Err(e);
        }
        self.next_seq += 1;
        if self.batch.started_ms == 0 {
            self.batch.started_ms = now_ms();
        }
        self.open.push((seq, entry, applied.pubdata));
        if !defer {
            self.durability().wait(|p| p.ops_below > seq)?;
        }
        Ok(seq)
    }

    /// Accepts an L2 transaction into the open block, durably, or rejects it with the reason.
    pub fn submit(&mut self, tx: L2Tx) -> Result<B256, NodeError> {
        let checked = CheckedTx::new(tx, self.state.config().chain_id);
        self.submit_checked(checked, false).map(|(hash, _)| hash)
    }

    /// [`Sequencer::submit`] of a transaction checked beforehand, returning its hash and
    /// mempool sequence number; with `defer` its mempool entry is left to the group commit
    /// (`admission.rs`), which must make it durable before it is acknowledged.
    pub fn submit_checked(
        &mut self,
        checked: CheckedTx,
        defer: bool,
    ) -> Result<(B256, u64), NodeError> {
        let CheckedTx { tx, hash, pre } = checked;
        let hash = hash.map_err(|e| NodeError::Rejected(e.into()))?;
        let kind = TxKind::of(&tx);
        let required = self.config.fees.min_fee(kind);
        let limit = self.config.max_unproven_batches;
        let result = if !kind.is_provable() && !self.config.accept_dex {
            Err(NodeError::Unsupported(kind.name()))
        } else if limit != 0 && self.unproven_batches() >= limit {
            Err(NodeError::Busy {
                unproven: self.unproven_batches(),
                limit,
            })
        } else if tx.fee().1.0 < required {
            Err(NodeError::FeeTooLow {
                required,
                got: tx.fee().1.0,
            })
        } else {
            let entry = MempoolEntry {
                request: OpRequest::Tx(tx.clone()),
                hash: Some(hash),
                priority_index: None,
                received_at: Some(now_ms() / 1000),
            };
            self.accept(entry, Vec::new(), pre, defer)
        };
        match result {
            Ok(seq) => Ok((hash, seq)),
            Err(e) => {
                if self.rejected.len() == REJECTED_MEMORY {
                    self.rejected.pop_front();
                }
                self.rejected.push_back(TxRecord {
                    hash,
                    tx,
                    status: TxStatus::Rejected,
                    block: None,
                    batch: None,
                    error: Some(e.to_string()),
                    received_at: Some(now_ms() / 1000),
                });
                Err(e)
            }
        }
    }

    /// Accepts L1 priority operation number `index` (from the L1 watcher), which must be the
    /// next in queue order, requested by L1 transaction `l1_tx` (which `zkr_getTx` then
    /// answers for). The watcher's position is stored with the mempool entry.
    pub fn submit_priority(
        &mut self,
        index: u64,
        request: OpRequest,
        l1_tx: Option<B256>,
    ) -> Result<(), NodeError> {
        self.take_priority(index, request, l1_tx, Vec::new())
    }

    /// [`Sequencer::submit_priority`] for an operation read from L1, recording where it came
    /// from ([`Sequencer::l1_origin`]) in the same storage write as its mempool entry.
    pub fn submit_priority_from_l1(
        &mut self,
        index: u64,
        request: OpRequest,
        origin: L1Origin,
    ) -> Result<(), NodeError> {
        let write = side(L1_TAKEN, index.to_be_bytes().to_vec(), encode(&origin)?);
        self.take_priority(index, request, Some(origin.tx), vec![write])
    }

    /// Where priority operation `index` came from on L1, if it was taken by the watcher (not
    /// for operations imported by `zkr rebuild` or taken by an older node).
    pub fn l1_origin(&self, index: u64) -> Result<Option<L1Origin>, NodeError> {
        self.get(L1_TAKEN, &index.to_be_bytes())
    }

    /// The L1 watcher's stored position.
    pub fn watcher_cursor(&self) -> Result<Option<WatcherCursor>, NodeError> {
        self.get(META, WATCHER_CURSOR)
    }

    /// Stores the L1 watcher's position.
    pub fn set_watcher_cursor(&self, cursor: &WatcherCursor) -> Result<(), NodeError> {
        let write = side(META, WATCHER_CURSOR.to_vec(), encode(cursor)?);
        Ok(self.state.storage().side_commit(vec![write])?)
    }

    /// Forgets the L1 watcher's position (it then reads from the deployment block).
    pub fn clear_watcher_cursor(&self) -> Result<(), NodeError> {
        let write = SideWrite {
            table: META,
            key: WATCHER_CURSOR.to_vec(),
            value: None,
        };
        Ok(self.state.storage().side_commit(vec![write])?)
    }

    fn take_priority(
        &mut self,
        index: u64,
        request: OpRequest,
        l1_tx: Option<B256>,
        mut extra: Vec<SideWrite>,
    ) -> Result<(), NodeError> {
        if index != self.priority_next {
            return Err(NodeError::PriorityOrder {
                expected: self.priority_next,
                got: index,
            });
        }
        let next = side(META, PRIORITY_NEXT.to_vec(), encode(&(index + 1))?);
        let entry = MempoolEntry {
            request,
            hash: l1_tx,
            priority_index: Some(index),
            received_at: Some(now_ms() / 1000),
        };
        extra.push(next);
        self.accept(entry, extra, None, false)?;
        self.priority_next = index + 1;
        Ok(())
    }

    /// Registers the next token (from the L1 watcher); sealed at once so that later operations
    /// on it replay after a restart.
    pub fn register_token(&mut self, info: TokenInfo) -> Result<(), NodeError> {
        if info.id != self.state.num_tokens() {
            return Err(NodeError::TokenOrder {
                expected: self.state.num_tokens(),
                got: info.id,
            });
        }
        self.state.register_token()?;
        let write = side(TOKENS, info.id.to_be_bytes().to_vec(), encode(&info)?);
        self.seal(now_ms(), false, true, vec![write])?;
        self.flush()
    }

    /// Seals the open block if it holds anything; closes the batch if it is full. Returns once
    /// the block is durable.
    pub fn seal_block(&mut self, timestamp_ms: u64) -> Result<Option<BlockRecord>, NodeError> {
        let close = self.batch_len() >= self.config.batch_slots;
        let sealed = self.seal(timestamp_ms, close, false, Vec::new())?;
        self.flush()?;
        Ok(sealed)
    }

    /// Seals the open block and closes the batch (if it holds any operation). Returns once the
    /// block is durable.
    pub fn seal_batch(&mut self, timestamp_ms: u64) -> Result<Option<BlockRecord>, NodeError> {
        let sealed = self.seal(timestamp_ms, true, false, Vec::new())?;
        self.flush()?;
        Ok(sealed)
    }

    /// The block producer's step: seals the open block, and the batch when it is full, or has
    /// waited `batch_timeout_ms` since its first operation and either pays for itself or has
    /// waited `max_batch_wait_ms`. Returns once the block is sealed in memory and queued for
    /// the writer, not once it is durable: storage shows it when it is.
    pub fn tick(
        &mut self,
        now_ms: u64,
        batch_timeout_ms: u64,
    ) -> Result<Option<BlockRecord>, NodeError> {
        let waited = now_ms.saturating_sub(self.batch.started_ms);
        let paid = self.batch_revenue() >= self.config.fees.batch_cost();
        let timed_out = self.batch.started_ms != 0
            && waited >= batch_timeout_ms
            && (paid || waited >= self.config.max_batch_wait_ms);
        let close = timed_out || self.batch_len() >= self.config.batch_slots;
        self.seal(now_ms, close, false, Vec::new())
    }

    /// Seals all or nothing: a failure once the in-memory state started changing (the batch's
    /// fees credited, the block's changes handed to storage) poisons the sequencer, which then
    /// refuses all work until the node restarts from storage (and replays its mempool).
    fn seal(
        &mut self,
        timestamp_ms: u64,
        close_batch: bool,
        force: bool,
        writes: Vec<SideWrite>,
    ) -> Result<Option<BlockRecord>, NodeError> {
        if self.durability().failed() {
            return Err(self.durability().failure());
        }
        if self.is_poisoned() {
            return Err(NodeError::Poisoned);
        }
        let sealed = self.seal_unchecked(timestamp_ms, close_batch, force, writes);
        if sealed.is_err() {
            self.poisoned = true;
        }
        sealed
    }

    fn seal_unchecked(
        &mut self,
        timestamp_ms: u64,
        close_batch: bool,
        force: bool,
        mut writes: Vec<SideWrite>,
    ) -> Result<Option<BlockRecord>, NodeError> {
        let close_batch = close_batch && self.batch_len() > 0;
        if self.open.is_empty() && !close_batch && !force {
            return Ok(None);
        }
        // A priority operation's record is written once, by the first block that holds one of
        // its L1 transaction's operations: storage must hold every earlier block to say which.
        // And sealing runs at most `MAX_UNWRITTEN_BLOCKS` ahead of the disk.
        if self.state.unwritten_blocks() >= MAX_UNWRITTEN_BLOCKS
            || self.open.iter().any(|(_, e, _)| e.priority_index.is_some())
        {
            self.flush()?;
        }
        self.forget_written();
        let number = self.state.block_number().0 + 1;
        let batch_number = self.state.batch_number().0;
        let mut txs = Vec::new();
        let mut ops = BlockOps::new();
        let mut priority_ops = 0;
        let mut l1_txs = std::collections::HashSet::new();
        for (position, (seq, entry, pubdata)) in self.open.iter().enumerate() {
            writes.push(SideWrite {
                table: MEMPOOL,
                key: seq.to_be_bytes().to_vec(),
                value: None,
            });
            let applied = AppliedOp {
                request: Some(entry.request.clone()),
                pubdata: pubdata.clone(),
                hash: entry.hash,
            };
            writes.extend(history::writes_for(
                number,
                position as u32,
                &applied,
                entry.hash,
            )?);
            ops.push(applied);
            match (&entry.request, entry.hash) {
                (OpRequest::Tx(tx), Some(hash)) => {
                    let record = TxRecord {
                        hash,
                        tx: tx.clone(),
                        status: TxStatus::Included,
                        block: Some(number),
                        batch: Some(batch_number),
                        error: None,
                        received_at: entry.received_at,
                    };
                    writes.push(side(TXS, hash.to_vec(), encode(&record)?));
                    txs.push(hash);
                }
                (request, hash) => {
                    priority_ops += 1;
                    if let (Some(l1_tx), Some(index)) = (hash, entry.priority_index) {
                        let record = PriorityRecord {
                            hash: l1_tx,
                            priority_index: index,
                            op: request.clone(),
                            status: TxStatus::Included,
                            block: Some(number),
                            batch: Some(batch_number),
                            received_at: entry.received_at,
                        };
                        writes.extend(self.first_priority_record(&record, &mut l1_txs)?);
                    }
                }
            }
        }
        let mut batch = self.batch;
        batch.ops += self.open.len();
        batch.revenue_wei = self.batch_revenue();
        if close_batch {
            let sealed = self.state.seal_batch()?;
            let record = BatchRecord {
                number: sealed.number.0,
                first_block: batch.first_block,
                last_block: number,
                ops: batch.ops,
                root: fr_to_decimal(&sealed.root),
                fee_account: sealed.fee_account.0,
                num_tokens: self.state.num_tokens(),
                sealed_at: timestamp_ms / 1000,
                status: BatchStatus::Sealed,
                commit_tx: None,
                prove_tx: None,
                execute_tx: None,
                l1: L1Steps::default(),
            };
            writes.push(side(
                BATCHES,
                record.number.to_be_bytes().to_vec(),
                encode(&record)?,
            ));
            batch = OpenBatch {
                first_block: number + 1,
                ..OpenBatch::default()
            };
        }
        let root = self.state.root()?;
        let record = BlockRecord {
            number,
            root: fr_to_decimal(&root),
            timestamp: timestamp_ms / 1000,
            txs,
            priority_ops,
            sealed_at_ms: Some(now_ms()),
        };
        writes.push(side(
            BLOCKS,
            number.to_be_bytes().to_vec(),
            encode(&record)?,
        ));
        writes.push(side(
            BLOCK_OPS,
            number.to_be_bytes().to_vec(),
            encode(&ops)?,
        ));
        writes.push(side(META, OPEN_BATCH.to_vec(), encode(&batch)?));
        let (_, changes) = self.state.seal_block_deferred(writes)?;
        // Behind every mempool entry it removes, so none is written after its removal.
        self.writer.send(Job {
            write: Write::Block(changes),
            ops_below: self.next_seq,
            block: Some(number),
        })?;
        let ops = self.open.drain(..).map(|(seq, e, _)| (seq, e)).collect();
        self.sealing.push_back((number, ops));
        self.batch = batch;
        Ok(Some(record))
    }

    /// The write of a priority operation's record, unless its L1 transaction already has one,
    /// stored or among `written` (this block's): one transaction may request several
    /// operations, and the record is of the first.
    fn first_priority_record(
        &self,
        record: &PriorityRecord,
        written: &mut std::collections::HashSet<B256>,
    ) -> Result<Option<SideWrite>, NodeError> {
        let key = record.hash.as_slice();
        if !written.insert(record.hash) || self.state.storage().side_get(PRIORITY, key)?.is_some() {
            return Ok(None);
        }
        Ok(Some(side(PRIORITY, key.to_vec(), encode(record)?)))
    }

    /// A transaction's record: pending, sealed (with its batch's L1 status), or recently
    /// rejected.
    pub fn tx(&self, hash: &B256) -> Result<Option<TxRecord>, NodeError> {
        let durability = self.durability().progress();
        let open = self.open.iter().map(|(seq, e, _)| (*seq, e));
        let sealing = self
            .sealing
            .iter()
            .filter(|(b, _)| *b > durability.block)
            .flat_map(|(_, ops)| ops.iter().map(|(seq, e)| (*seq, e)));
        for (seq, e) in sealing.chain(open) {
            // Pending only once stored: what a crash could still undo is not shown.
            if e.hash.as_ref() == Some(hash)
                && durability.ops_below > seq
                && let OpRequest::Tx(tx) = &e.request
            {
                return Ok(Some(TxRecord {
                    hash: *hash,
                    tx: tx.clone(),
                    status: TxStatus::Pending,
                    block: None,
                    batch: None,
                    error: None,
                    received_at: e.received_at,
                }));
            }
        }
        if let Some(b) = self.state.storage().side_get(TXS, hash.as_slice())? {
            let mut record: TxRecord = decode(&b)?;
            if let Some(n) = record.batch {
                record.status = self.status_in_batch(n)?;
            }
            return Ok(Some(record));
        }
        Ok(self
            .rejected
            .iter()
            .rev()
            .find(|r| &r.hash == hash)
            .cloned())
    }

    /// The status of an operation sealed into batch `n`: `included` until its batch is on L1.
    fn status_in_batch(&self, n: u64) -> Result<TxStatus, NodeError> {
        Ok(match self.batch(n)?.map(|b| b.status) {
            None | Some(BatchStatus::Sealed) => TxStatus::Included,
            Some(BatchStatus::Committed) => TxStatus::Committed,
            Some(BatchStatus::Proven) => TxStatus::Proven,
            Some(BatchStatus::Executed) => TxStatus::Executed,
        })
    }

    /// The first priority operation requested by L1 transaction `l1_tx`, with its status
    /// (`pending` in the open block, then as its batch goes), if the node has taken it.
    pub fn priority_op(&self, l1_tx: &B256) -> Result<Option<PriorityRecord>, NodeError> {
        let written = self.last_block();
        let sealing = self
            .sealing
            .iter()
            .filter(|(b, _)| *b > written)
            .flat_map(|(_, ops)| ops.iter().map(|(_, e)| e));
        for e in sealing.chain(self.open.iter().map(|(_, e, _)| e)) {
            if e.hash.as_ref() == Some(l1_tx)
                && let Some(index) = e.priority_index
            {
                return Ok(Some(PriorityRecord {
                    hash: *l1_tx,
                    priority_index: index,
                    op: e.request.clone(),
                    status: TxStatus::Pending,
                    block: None,
                    batch: None,
                    received_at: e.received_at,
                }));
            }
        }
        let Some(mut record) = self.get::<PriorityRecord>(PRIORITY, l1_tx.as_slice())? else {
            return Ok(None);
        };
        if let Some(n) = record.batch {
            record.status = self.status_in_batch(n)?;
        }
        Ok(Some(record))
    }

    /// A sealed block.
    pub fn block(&self, number: u64) -> Result<Option<BlockRecord>, NodeError> {
        self.get(BLOCKS, &number.to_be_bytes())
    }

    /// A sealed batch.
    pub fn batch(&self, number: u64) -> Result<Option<BatchRecord>, NodeError> {
        self.get(BATCHES, &number.to_be_bytes())
    }

    /// The operations of a sealed batch, in order, with their pubdata.
    pub fn batch_ops(&self, batch: &BatchRecord) -> Result<Vec<AppliedOp>, NodeError> {
        let mut out = Vec::with_capacity(batch.ops);
        for b in batch.first_block..=batch.last_block {
            let ops: BlockOps = self
                .get(BLOCK_OPS, &b.to_be_bytes())?
                .ok_or_else(|| NodeError::Encoding(format!("no operations of block {b}")))?;
            out.extend(ops);
        }
        Ok(out)
    }

    /// Records a batch's progress on L1 (status and, when the node sent it, the mined
    /// transaction that made it).
    pub fn update_batch(
        &mut self,
        number: u64,
        status: BatchStatus,
        step: Option<L1Step>,
    ) -> Result<(), NodeError> {
        let Some(mut record) = self.batch(number)? else {
            return Err(NodeError::Encoding(format!("no batch {number}")));
        };
        if record.status >= status && step.is_none() {
            return Ok(());
        }
        record.status = record.status.max(status);
        let tx = step.map(|s| s.tx);
        match status {
            BatchStatus::Sealed => {}
            BatchStatus::Committed => {
                record.commit_tx = tx.or(record.commit_tx);
                record.l1.commit = step.or(record.l1.commit);
            }
            BatchStatus::Proven => {
                record.prove_tx = tx.or(record.prove_tx);
                record.l1.prove = step.or(record.l1.prove);
            }
            BatchStatus::Executed => {
                record.execute_tx = tx.or(record.execute_tx);
                record.l1.execute = step.or(record.l1.execute);
            }
        }
        self.state.storage().side_commit(vec![side(
            BATCHES,
            number.to_be_bytes().to_vec(),
            encode(&record)?,
        )])?;
        if record.status >= BatchStatus::Proven {
            self.proven_upto = self.proven_upto.max(number);
        }
        Ok(())
    }

    /// Lowers a batch's status to what L1 says after an L1 reorg dropped the operator's later
    /// transactions (their L1 steps are forgotten; the sender sends them again).
    pub fn reorged_batch(&mut self, number: u64, status: BatchStatus) -> Result<(), NodeError> {
        let Some(mut record) = self.batch(number)? else {
            return Err(NodeError::Encoding(format!("no batch {number}")));
        };
        if record.status <= status {
            return Ok(());
        }
        record.status = status;
        if status < BatchStatus::Executed {
            record.execute_tx = None;
            record.l1.execute = None;
        }
        if status < BatchStatus::Proven {
            record.prove_tx = None;
            record.l1.prove = None;
        }
        if status < BatchStatus::Committed {
            record.commit_tx = None;
            record.l1.commit = None;
        }
        self.state.storage().side_commit(vec![side(
            BATCHES,
            number.to_be_bytes().to_vec(),
            encode(&record)?,
        )])?;
        Ok(())
    }

    /// The stored proof of a batch.
    pub fn proof(&self, number: u64) -> Result<Option<ProofRecord>, NodeError> {
        self.get(PROOFS, &number.to_be_bytes())
    }

    /// Stores the proof of a batch.
    pub fn save_proof(&mut self, number: u64, proof: &ProofRecord) -> Result<(), NodeError> {
        self.state.storage().side_commit(vec![side(
            PROOFS,
            number.to_be_bytes().to_vec(),
            encode(proof)?,
        )])?;
        self.proven_upto = self.proven_upto.max(number);
        Ok(())
    }

    /// What the node computed for a batch it queued for a prover fleet.
    pub fn queued_job(&self, number: u64) -> Result<Option<QueuedJobRecord>, NodeError> {
        self.get(QUEUED_JOBS, &number.to_be_bytes())
    }

    /// Stores what the node computed for a batch it queues for a prover fleet.
    pub fn save_queued_job(&mut self, number: u64, job: &QueuedJobRecord) -> Result<(), NodeError> {
        self.state.storage().side_commit(vec![side(
            QUEUED_JOBS,
            number.to_be_bytes().to_vec(),
            encode(job)?,
        )])?;
        Ok(())
    }

    /// The registered tokens the node knows (ETH first).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, NodeError> {
        let mut out = vec![TokenInfo {
            id: 0,
            address: Address::ZERO,
            symbol: "ETH".into(),
            decimals: 18,
        }];
        for (_, v) in self.state.storage().side_scan(TOKENS)? {
            let info: TokenInfo = decode(&v)?;
            if info.id != 0 {
                out.push(info);
            }
        }
        Ok(out)
    }

    fn get<T: serde::de::DeserializeOwned>(
        &self,
        table: &'static str,
        key: &[u8],
    ) -> Result<Option<T>, NodeError> {
        match self.state.storage().side_get(table, key)? {
            Some(b) => decode(&b).map(Some),
            None => Ok(None),
        }
    }

    /// The account of an L1 address, with its id (including the open block's changes).
    pub fn account_of(&self, owner: &Address) -> Result<Option<(AccountId, Account)>, NodeError> {
        let Some(id) = self.state.account_id_of(owner)? else {
            return Ok(None);
        };
        Ok(self.state.account(id)?.map(|a| (id, a)))
    }
}

fn side(table: &'static str, key: Vec<u8>, value: Vec<u8>) -> SideWrite {
    SideWrite {
        table,
        key,
        value: Some(value),
    }
}
