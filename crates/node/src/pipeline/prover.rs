//! The prover stage: re-runs each sealed batch in witness mode on its own copy of the state
//! (`prover.redb`, always at the end of the last batch it handled), and either proves it here
//! ([`run`]) or hands it to a prover fleet through a Postgres queue and takes the proofs back in
//! batch order ([`run_queue`], `zkr node --prover-queue`). The proof is stored next to the batch
//! record. A crash before the copy is committed re-runs the batch (a queued job is enqueued
//! again, which changes nothing); a proof already stored is not made again.

use super::{Shared, lock, lock_jobs};
use crate::NodeError;
use crate::records::{BatchRecord, BatchStatus, ProofRecord, QueuedJobRecord};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkr_circuit::{BatchBuilder, BatchWitness, CircuitKind};
use zkr_crypto::field::fr_to_decimal;
use zkr_fleet::{JobStatus, Queue};
use zkr_prover::{BatchProof, Keys, ProvingJob, proof_from_bytes, verify};
use zkr_state::State;
use zkr_state::storage::{RedbStorage, Storage};
use zkr_types::AccountId;

/// The keys of the two batch circuits (`docs/prover.md`).
pub struct ProverKeys {
    /// The transfer circuit's: batches without DEX operations.
    pub transfer: Keys,
    /// The DEX circuit's: batches with a DEX operation (`None` on a node that accepts none).
    pub dex: Option<Keys>,
}

impl ProverKeys {
    fn of(&self, number: u64, kind: CircuitKind) -> Result<&Keys, NodeError> {
        match (kind, &self.dex) {
            (CircuitKind::Transfer, _) => Ok(&self.transfer),
            (CircuitKind::Dex, Some(dex)) => Ok(dex),
            (CircuitKind::Dex, None) => Err(NodeError::Encoding(format!(
                "batch {number} holds a DEX operation and this node has no DEX circuit keys"
            ))),
        }
    }
}

/// The prover fleet's jobs as `zkr_getBatch` shows them (`proverJob`), by batch.
pub type ProverJobs = Arc<Mutex<BTreeMap<u64, Value>>>;

/// The witness of the next batch of `state` (`state.batch_number()`), if it is sealed, checked
/// against the batch record's root.
fn next_witness<S: Storage>(
    seq: &Shared<S>,
    state: &mut State<RedbStorage>,
    slots: usize,
) -> Result<Option<(BatchRecord, usize, BatchWitness)>, NodeError> {
    let number = state.batch_number().0;
    let Some(record) = lock(seq).batch(number)? else {
        return Ok(None);
    };
    let ops = lock(seq).batch_ops(&record)?;
    while state.num_tokens() < record.num_tokens {
        state.register_token()?;
    }
    state.set_fee_account(AccountId(record.fee_account))?;
    let requests = ops
        .iter()
        .map(|op| {
            op.request.as_ref().ok_or_else(|| {
                NodeError::Encoding(format!(
                    "batch {number} was rebuilt from L1 without its signatures and cannot be \
                     proven again (a rebuilt data dir holds only batches L1 already proved)"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let witness = BatchBuilder::build(state, slots, requests)?;
    let root = fr_to_decimal(&witness.new_root);
    if root != record.root {
        return Err(NodeError::Diverged {
            batch: number,
            expected: record.root,
            got: root,
        });
    }
    Ok(Some((record, ops.len(), witness)))
}

/// Runs the prover until `stop` is set. Returns only on stop or on a fatal error.
pub fn run<S: Storage>(
    seq: Shared<S>,
    mut state: State<RedbStorage>,
    keys: ProverKeys,
    stop: &AtomicBool,
    metrics: &crate::metrics::Metrics,
) -> Result<(), NodeError> {
    let slots = keys.transfer.shape.slots;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let number = state.batch_number().0;
        let Some((_, ops, witness)) = next_witness(&seq, &mut state, slots)? else {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        if lock(&seq).proof(number)?.is_none() {
            let keys = keys.of(number, witness.kind())?;
            let proof = zkr_prover::prove(
                keys,
                witness,
                &|msg| tracing::debug!(target: "zkr::prover", batch = number, "{msg}"),
            )?;
            lock(&seq).save_proof(number, &ProofRecord::new(&proof))?;
            metrics
                .proving_seconds
                .observe(started.elapsed().as_secs_f64());
            tracing::info!(
                target: "zkr::prover",
                batch = number,
                ops,
                circuit = if proof.kind == CircuitKind::Dex { "dex" } else { "transfer" },
                seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
                "proved batch"
            );
        }
        state.seal_block()?;
    }
    Ok(())
}

/// The job states `zkr_getBatch` shows.
fn job_json(s: &zkr_fleet::JobState) -> Value {
    json!({
        "status": s.status.as_str(),
        "attempts": s.attempts,
        "worker": s.worker,
        "pickedAt": s.picked_at,
        "finishedAt": s.finished_at,
        "error": s.error,
    })
}

/// Whether batch `b` needs nothing more from a prover: its proof is stored, or L1 already has
/// one (a data dir rebuilt from L1 holds no proof records).
fn settled<S: Storage>(seq: &Shared<S>, b: u64) -> Result<bool, NodeError> {
    let seq = lock(seq);
    if seq.proof(b)?.is_some() {
        return Ok(true);
    }
    Ok(seq
        .batch(b)?
        .is_some_and(|r| matches!(r.status, BatchStatus::Proven | BatchStatus::Executed)))
}

/// The prover stage with a fleet: enqueues each sealed batch's job as soon as it is sealed (so
/// many workers prove batches at once), and takes the proofs back in batch order. Each proof is
/// verified against the commitment this node computed and stored when it queued the batch
/// (never against the queue's copy); a proof that does not verify is refused back to the queue,
/// which has it proven again. The database being unreachable is waited out: sealing, the RPC
/// and the rest of the node go on. Blocking (it runs on a blocking thread); `rt` runs the
/// queue's statements.
pub fn run_queue<S: Storage>(
    seq: Shared<S>,
    mut state: State<RedbStorage>,
    keys: ProverKeys,
    queue: Queue,
    rt: tokio::runtime::Handle,
    jobs: ProverJobs,
    stop: &AtomicBool,
) -> Result<(), NodeError> {
    let slots = keys.transfer.shape.slots;
    let mut next = 1;
    let mut migrated = false;
    let mut reported = None;
    let mut db_down_since: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let step = (|| -> Result<bool, NodeError> {
            if !migrated {
                rt.block_on(queue.migrate())?;
                migrated = true;
            }
            let mut progressed = false;
            let number = state.batch_number().0;
            let queued = lock(&seq).queued_job(number)?;
            if settled(&seq, number)? && queued.is_none() {
                // proven before (in-process, or on L1 for a rebuilt data dir): only advance
                if next_witness(&seq, &mut state, slots)?.is_some() {
                    state.seal_block()?;
                    progressed = true;
                }
            } else if let Some((_, ops, witness)) = next_witness(&seq, &mut state, slots)? {
                let kind = witness.kind();
                keys.of(number, kind)?;
                let job = ProvingJob::new(witness, kind)?;
                let record = QueuedJobRecord {
                    commitment: fr_to_decimal(&job.commitment),
                    dex: kind == CircuitKind::Dex,
                };
                if queued.as_ref().is_some_and(|q| q != &record) {
                    return Err(NodeError::Diverged {
                        batch: number,
                        expected: queued.map(|q| q.commitment).unwrap_or_default(),
                        got: record.commitment,
                    });
                }
                // the node's own numbers first, then the queue, then the prover's copy: a crash
                // between any two redoes the rest, which changes nothing
                lock(&seq).save_queued_job(number, &record)?;
                rt.block_on(queue.enqueue(number, &job))?;
                tracing::info!(target: "zkr::prover", batch = number, ops, "batch queued for the prover fleet");
                state.seal_block()?;
                progressed = true;
            }
            // Proofs back, in order; every unproven job's state for zkr_getBatch.
            while next < state.batch_number().0 && settled(&seq, next)? {
                lock_jobs(&jobs).remove(&next);
                next += 1;
            }
            let mut head = true;
            let (first, end) = (next, state.batch_number().0);
            for b in first..end {
                if settled(&seq, b)? {
                    continue;
                }
                let Some(job) = rt.block_on(queue.state(b))? else {
                    return Err(NodeError::Encoding(format!(
                        "batch {b} is sealed and unproven but the prover queue has no job for it \
                         (was the queue's database replaced?)"
                    )));
                };
                lock_jobs(&jobs).insert(b, job_json(&job));
                let at_head = head;
                head = false;
                if !at_head {
                    continue;
                }
                match (job.status, &job.proof) {
                    (JobStatus::Done, Some(bytes)) => {
                        let own = lock(&seq).queued_job(b)?.ok_or_else(|| {
                            NodeError::Encoding(format!(
                                "batch {b} has a job in the queue but this node recorded none"
                            ))
                        })?;
                        let commitment = zkr_crypto::field::fr_from_decimal(&own.commitment)
                            .map_err(|e| NodeError::Encoding(e.to_string()))?;
                        let kind = if own.dex {
                            CircuitKind::Dex
                        } else {
                            CircuitKind::Transfer
                        };
                        let keys = keys.of(b, kind)?;
                        let proof = proof_from_bytes(bytes)
                            .ok()
                            .filter(|p| verify(&keys.pvk, &commitment, p));
                        let Some(proof) = proof else {
                            let why = format!(
                                "the proof from worker {} does not verify against the batch's \
                                 commitment (a worker with other keys?): refused",
                                job.worker.as_deref().unwrap_or("?")
                            );
                            tracing::error!(target: "zkr::prover", batch = b, "{why}");
                            rt.block_on(queue.reject(b, job.claim, &why))?;
                            continue;
                        };
                        let proof = BatchProof {
                            proof,
                            commitment,
                            kind,
                        };
                        lock(&seq).save_proof(b, &ProofRecord::new(&proof))?;
                        tracing::info!(target: "zkr::prover", batch = b, worker = ?job.worker, attempts = job.attempts, "proof from the fleet stored");
                        lock_jobs(&jobs).remove(&b);
                        next += 1;
                        head = true;
                        progressed = true;
                    }
                    (JobStatus::Failed, _) if reported != Some((b, job.claim)) => {
                        tracing::error!(target: "zkr::prover", batch = b, attempts = job.attempts, error = ?job.error, "the prover fleet gave up on this batch: the L1 sender waits for it (fix the cause, then: zkr prover --queue ... --retry-failed {b})");
                        reported = Some((b, job.claim));
                    }
                    _ => {}
                }
            }
            Ok(progressed)
        })();
        let progressed = match step {
            Ok(p) => {
                if let Some(since) = db_down_since.take() {
                    tracing::info!(target: "zkr::prover", down_secs = since.elapsed().as_secs(), "the prover queue answers again");
                }
                p
            }
            Err(NodeError::Fleet(e)) => {
                if db_down_since.is_none() {
                    tracing::warn!(target: "zkr::prover", error = %e, "the prover queue is unreachable; proving waits (the node goes on)");
                    db_down_since = Some(Instant::now());
                }
                std::thread::sleep(Duration::from_secs(2));
                false
            }
            Err(e) => return Err(e),
        };
        if !progressed {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Ok(())
}
