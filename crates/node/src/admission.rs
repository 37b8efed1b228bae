//! Admission of L2 transactions from JSON-RPC: the work that does not need the state (hash,
//! message, signature check) before the sequencer's lock, in parallel across requests; only the
//! ordered apply under it. The mempool entry is then written by the sequencer's single durable
//! writer (`writer.rs`), with the entries of every request applied while its last write was
//! under way (a group commit), and the request is answered once its entry is durable, never
//! before.

use crate::NodeError;
use crate::pipeline::{Shared, lock};
use crate::writer::Durability;
use alloy_primitives::B256;
use std::sync::Arc;
use zkr_state::Prechecked;
use zkr_state::storage::Storage;
use zkr_types::ChainId;
use zkr_types::tx::L2Tx;

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

/// Admits transactions into a shared sequencer.
pub struct Admission<S: Storage> {
    seq: Shared<S>,
    durability: Arc<Durability>,
    chain: ChainId,
}

impl<S: Storage> std::fmt::Debug for Admission<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

impl<S: Storage> Admission<S> {
    /// Admission into `seq`.
    pub fn new(seq: Shared<S>) -> Admission<S> {
        let (durability, chain) = {
            let s = lock(&seq);
            (s.durability().clone(), s.state().config().chain_id)
        };
        Admission {
            seq,
            durability,
            chain,
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

    /// Waits until operation `seq` (from [`crate::Sequencer::submit_checked`]) is durable; an
    /// error if a write failed first (then it never will be).
    pub async fn wait_durable(&self, seq: u64) -> Result<(), NodeError> {
        self.durability.durable(seq).await
    }
}
