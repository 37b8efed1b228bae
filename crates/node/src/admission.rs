//! Admission of L2 transactions from JSON-RPC: the work that does not need the state (hash,
//! message, signature check) before the sequencer's lock, in parallel across requests; only the
//! ordered apply under it; then a group commit: the mempool entries of all requests applied
//! while one fsync was under way are written by the next one, and each request is answered
//! once its entry is durable, never before.
//!
//! One request at a time leads (the `leader` lock): it takes every entry not yet written from
//! the sequencer ([`crate::Sequencer::take_unwritten`]), writes them in one storage transaction
//! without the sequencer's lock, and marks them durable; the others wait on the leader lock and
//! find their entry durable, or lead the next group. Sealing a block makes every applied entry
//! durable (the block holds it) and waits for a write under way first, so a mempool entry is
//! never written after the block that removed it.

use crate::NodeError;
use crate::pipeline::{Shared, lock};
use alloy_primitives::B256;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use zkr_state::Prechecked;
use zkr_state::storage::{Storage, StorageError};
use zkr_types::ChainId;
use zkr_types::tx::L2Tx;

/// How far the sequencer's accepted operations are durable, shared by the sequencer and the
/// group commit.
#[derive(Debug, Default)]
pub struct Durability {
    /// Operations with a mempool sequence number below this are durable.
    durable: AtomicU64,
    /// A group commit failed: the sequencer is poisoned (it applied what is not stored).
    failed: AtomicBool,
    /// A group commit is writing.
    writing: Mutex<bool>,
    idle: Condvar,
}

impl Durability {
    /// Whether operation `seq` is durable.
    pub fn is_durable(&self, seq: u64) -> bool {
        self.durable.load(Ordering::Acquire) > seq
    }

    /// Everything below `seq` is durable.
    pub(crate) fn durable_below(&self, seq: u64) {
        self.durable.fetch_max(seq, Ordering::AcqRel);
    }

    /// Whether a group commit failed.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    fn writing(&self) -> std::sync::MutexGuard<'_, bool> {
        self.writing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A group commit starts writing (called under the sequencer's lock).
    pub(crate) fn begin(&self) {
        *self.writing() = true;
    }

    /// The group commit under way ended; on success everything below `upto` is durable.
    fn end(&self, ok: bool, upto: u64) {
        if ok {
            self.durable_below(upto);
        } else {
            self.failed.store(true, Ordering::Release);
        }
        *self.writing() = false;
        self.idle.notify_all();
    }

    /// Waits until no group commit is writing (called under the sequencer's lock before any
    /// other write of mempool entries, so writes land in the order they were decided).
    pub(crate) fn wait_idle(&self) {
        let mut writing = self.writing();
        while *writing {
            writing = self.idle.wait(writing).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Ends a group commit's write when dropped.
struct Ending {
    durability: Arc<Durability>,
    upto: u64,
    ok: bool,
}

impl Drop for Ending {
    fn drop(&mut self) {
        self.durability.end(self.ok, self.upto);
    }
}

/// An L2 transaction with the work done that needs no state.
#[derive(Debug, Clone)]
pub struct CheckedTx {
    pub(crate) tx: L2Tx,
    pub(crate) hash: Result<B256, zkr_types::TypesError>,
    pub(crate) pre: Option<Prechecked>,
}

impl CheckedTx {
    /// Hashes `tx` and checks its signature (about 0.1 ms of one core), without any lock.
    pub fn new(tx: L2Tx, chain: ChainId) -> CheckedTx {
        let pre = Prechecked::of(&tx, chain);
        // The hash is of the message the precheck computed; only without one is it computed
        // (again failing, with the reason).
        let hash = match &pre {
            Some(p) => Ok(zkr_types::tx::hash_of_message(&p.message())),
            None => tx.hash(chain),
        };
        CheckedTx { tx, hash, pre }
    }
}

/// Admits transactions into a shared sequencer with group commit.
pub struct Admission<S: Storage> {
    seq: Shared<S>,
    durability: Arc<Durability>,
    chain: ChainId,
    leader: Arc<tokio::sync::Mutex<()>>,
}

impl<S: Storage> std::fmt::Debug for Admission<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

impl<S: Storage + Clone + Send + 'static> Admission<S> {
    /// Admission into `seq`.
    pub fn new(seq: Shared<S>) -> Admission<S> {
        let (durability, chain) = {
            let s = lock(&seq);
            (s.durability(), s.state().config().chain_id)
        };
        Admission {
            seq,
            durability,
            chain,
            leader: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Checks `tx`, applies it to the open block and answers once its mempool entry is durable:
    /// its hash, or why it was rejected (nothing changed then).
    pub async fn submit(&self, tx: L2Tx) -> Result<B256, NodeError> {
        let checked = CheckedTx::new(tx, self.chain);
        let (hash, seq) = lock(&self.seq).submit_checked(checked, true)?;
        self.wait_durable(seq).await?;
        Ok(hash)
    }

    /// Waits until operation `seq` (from [`crate::Sequencer::submit_checked`]) is durable,
    /// leading the group commit that writes it if no one else does.
    pub async fn wait_durable(&self, seq: u64) -> Result<(), NodeError> {
        if self.durability.is_durable(seq) {
            return Ok(());
        }
        // Owned, and handed to the write: a request dropped meanwhile (its client went away)
        // does not free the lead while its group is still being written.
        let leader = self.leader.clone().lock_owned().await;
        if self.durability.is_durable(seq) {
            return Ok(());
        }
        let Some((writes, upto, storage)) = lock(&self.seq).take_unwritten()? else {
            // Nothing left to write: a seal just stored the entry with its block (durable
            // now), or a write failed.
            return if self.durability.is_durable(seq) {
                Ok(())
            } else {
                Err(NodeError::Poisoned)
            };
        };
        // Ends the write when dropped, even if the task never runs (the runtime is shutting
        // down) or the storage panics: a failure then.
        let mut ending = Ending {
            durability: self.durability.clone(),
            upto,
            ok: false,
        };
        // The write runs on a blocking thread: a seal waiting for it under the sequencer's lock
        // may hold a runtime worker meanwhile.
        let written = tokio::task::spawn_blocking(move || {
            let _leader = leader;
            let written = storage.side_commit(writes);
            ending.ok = written.is_ok();
            drop(ending);
            written
        })
        .await;
        match written {
            Ok(w) => Ok(w?),
            Err(e) => Err(NodeError::Storage(StorageError::Backend(e.to_string()))),
        }
    }
}
