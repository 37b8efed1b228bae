//! Admission of L2 transactions from JSON-RPC: the work that does not need the state (hash,
//! message, signature check) before the sequencer's lock, in parallel across requests; only the
//! ordered apply under it.
//!
//! Signatures are checked by verifier threads (one per core, requests spread over them in
//! turn), each taking every signature queued while it was busy and checking them together
//! (`zkr_crypto::eddsa::verify_batch`: the same answer for each as checking it alone, for about
//! half the work when several are queued).
//!
//! The mempool entry is then written by the sequencer's single durable writer (`writer.rs`),
//! with the entries of every request applied while its last write was under way (a group
//! commit), and the request is answered once its entry is durable, never before.

use crate::NodeError;
use crate::pipeline::{Shared, lock};
use crate::writer::Durability;
use alloy_primitives::B256;
use std::sync::Arc;
use zkr_crypto::CryptoError;
use zkr_crypto::eddsa::{PublicKey, Signature};
use zkr_state::Prechecked;
use zkr_state::storage::Storage;
use zkr_types::ChainId;
use zkr_types::Fr;
use zkr_types::tx::L2Tx;

/// A signature to check and where its answer goes.
type Check = (
    (PublicKey, Fr, Signature),
    tokio::sync::oneshot::Sender<Result<(), CryptoError>>,
);

/// Signatures one verifier thread takes at most at once (a bigger batch saves little more and
/// makes its requests wait longer).
const MAX_BATCH: usize = 128;

/// The verifier threads' queues, one per core (at most 4), used in turn. Dropping it stops the
/// threads once their queues are empty.
#[derive(Debug)]
struct Verifier {
    queues: Vec<std::sync::mpsc::Sender<Check>>,
    next: std::sync::atomic::AtomicUsize,
}

impl Verifier {
    fn start() -> Result<Verifier, NodeError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let mut queues = Vec::with_capacity(threads);
        for k in 0..threads {
            let (queue, checks) = std::sync::mpsc::channel::<Check>();
            std::thread::Builder::new()
                .name(format!("zkr-sigcheck-{k}"))
                .spawn(move || verify_queued(&checks))
                .map_err(|e| {
                    NodeError::Storage(zkr_state::storage::StorageError::Backend(format!(
                        "cannot start a signature verifier thread: {e}"
                    )))
                })?;
            queues.push(queue);
        }
        Ok(Verifier {
            queues,
            next: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Checks `tx`'s signature with those of concurrent requests.
    async fn check(&self, tx: L2Tx, chain: ChainId) -> CheckedTx {
        let Some(pending) = Prechecked::pending(&tx, chain) else {
            // No message: applying it rejects it with the reason.
            return CheckedTx::new(tx, chain);
        };
        let item = pending.signature();
        let (answer, result) = tokio::sync::oneshot::channel();
        let k = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.queues.len();
        let answered = match self.queues[k].send((item, answer)) {
            Ok(()) => result.await.ok(),
            Err(_) => None,
        };
        let verified = answered.unwrap_or_else(|| {
            // The thread is gone (it panicked): check it here, as before it existed.
            tracing::warn!(target: "zkr::rpc", "a signature verifier thread stopped; checking in the request");
            zkr_crypto::eddsa::verify(&item.0, &item.1, &item.2)
        });
        let pre = pending.verified(verified);
        let hash = Ok(zkr_types::tx::hash_of_message(&pre.message()));
        CheckedTx {
            tx,
            hash,
            pre: Some(pre),
        }
    }
}

/// A verifier thread: takes what is queued (up to [`MAX_BATCH`]) and checks it together.
fn verify_queued(checks: &std::sync::mpsc::Receiver<Check>) {
    while let Ok(first) = checks.recv() {
        let mut batch = vec![first];
        batch.extend(checks.try_iter().take(MAX_BATCH - 1));
        let (items, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let results = if items.len() == 1 {
            let (public, message, sig) = &items[0];
            vec![zkr_crypto::eddsa::verify(public, message, sig)]
        } else {
            zkr_crypto::eddsa::verify_batch(&items)
        };
        for (answer, result) in answers.into_iter().zip(results) {
            // A request that went away does not want its answer.
            let _ = answer.send(result);
        }
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

/// Admits transactions into a shared sequencer.
pub struct Admission<S: Storage> {
    seq: Shared<S>,
    durability: Arc<Durability>,
    chain: ChainId,
    verifier: Verifier,
}

impl<S: Storage> std::fmt::Debug for Admission<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

impl<S: Storage> Admission<S> {
    /// Admission into `seq` (it starts the signature verifier's thread).
    pub fn new(seq: Shared<S>) -> Result<Admission<S>, NodeError> {
        let (durability, chain) = {
            let s = lock(&seq);
            (s.durability().clone(), s.state().config().chain_id)
        };
        Ok(Admission {
            seq,
            durability,
            chain,
            verifier: Verifier::start()?,
        })
    }

    /// Checks `tx`, applies it to the open block and answers once its mempool entry is durable:
    /// its hash, or why it was rejected (nothing changed then).
    pub async fn submit(&self, tx: L2Tx) -> Result<B256, NodeError> {
        let checked = self.verifier.check(tx, self.chain).await;
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
