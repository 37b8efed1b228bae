//! The prover stage: re-runs each sealed batch in witness mode on its own copy of the state
//! (`prover.redb`, always at the end of the last batch it handled), and either proves it here
//! ([`run`]) or hands it to a prover fleet through a Postgres queue and takes the proofs back in
//! batch order ([`run_queue`], `zkr node --prover-queue`). The proof is stored next to the batch
//! record. A crash before the copy is committed re-runs the batch (a queued job is enqueued
//! again, which changes nothing); a proof already stored is not made again.

use super::{Shared, lock};
use crate::NodeError;
use crate::records::{BatchRecord, ProofRecord};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkr_circuit::{BatchBuilder, BatchWitness, CircuitKind};
use zkr_crypto::Fr;
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

/// The prover stage with a fleet: enqueues each sealed batch's job as soon as it is sealed (so
/// many workers prove batches at once), and takes the proofs back in batch order, each verified
/// against the commitment of the job this node built before it is stored for the L1 sender.
/// Blocking (it runs on a blocking thread); `rt` runs the queue's statements.
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
    // The commitment and circuit of each job this run enqueued; after a restart, of the job the
    // queue holds (the node wrote it).
    let mut enqueued: HashMap<u64, (Fr, CircuitKind)> = HashMap::new();
    let mut next = (1..state.batch_number().0)
        .find(|b| lock(&seq).proof(*b).map(|p| p.is_none()).unwrap_or(true))
        .unwrap_or(state.batch_number().0);
    let mut reported_failure = None;
    while !stop.load(Ordering::Relaxed) {
        let mut progressed = false;
        let number = state.batch_number().0;
        if let Some((_, ops, witness)) = next_witness(&seq, &mut state, slots)? {
            if lock(&seq).proof(number)?.is_none() {
                let kind = witness.kind();
                keys.of(number, kind)?;
                let job = ProvingJob::new(witness, kind)?;
                rt.block_on(queue.enqueue(number, &job))?;
                enqueued.insert(number, (job.commitment, kind));
                tracing::info!(target: "zkr::prover", batch = number, ops, "batch queued for the prover fleet");
            }
            state.seal_block()?;
            progressed = true;
        }
        // Proofs back, in order; every unproven job's state for zkr_getBatch.
        let mut head_blocked = false;
        let end = state.batch_number().0;
        let first = next;
        for b in first..end {
            if lock(&seq).proof(b)?.is_some() {
                if b == next {
                    next += 1;
                }
                continue;
            }
            let Some(job) = rt.block_on(queue.state(b))? else {
                return Err(NodeError::Encoding(format!(
                    "batch {b} is sealed and unproven but the prover queue has no job for it \
                     (was the queue's database replaced?)"
                )));
            };
            crate::pipeline::lock_jobs(&jobs).insert(b, job_json(&job));
            if b != next || head_blocked {
                continue;
            }
            match (job.status, job.proof) {
                (JobStatus::Done, Some(bytes)) => {
                    let (commitment, kind) = match enqueued.get(&b) {
                        Some(c) => *c,
                        None => {
                            let j = rt.block_on(queue.job(b))?.ok_or_else(|| {
                                NodeError::Encoding(format!("batch {b}: its job vanished"))
                            })?;
                            (j.commitment, j.kind)
                        }
                    };
                    let proof = proof_from_bytes(&bytes)?;
                    let keys = keys.of(b, kind)?;
                    if !verify(&keys.pvk, &commitment, &proof) {
                        return Err(NodeError::Encoding(format!(
                            "batch {b}: the fleet's proof does not verify against the batch's \
                             commitment (a worker with other keys?)"
                        )));
                    }
                    let proof = BatchProof {
                        proof,
                        commitment,
                        kind,
                    };
                    lock(&seq).save_proof(b, &ProofRecord::new(&proof))?;
                    tracing::info!(target: "zkr::prover", batch = b, worker = ?job.worker, attempts = job.attempts, "proof from the fleet stored");
                    enqueued.remove(&b);
                    crate::pipeline::lock_jobs(&jobs).remove(&b);
                    next += 1;
                    progressed = true;
                }
                (JobStatus::Failed, _) => {
                    if reported_failure != Some((b, job.attempts)) {
                        tracing::error!(target: "zkr::prover", batch = b, attempts = job.attempts, error = ?job.error, "the prover fleet gave up on this batch: the L1 sender waits for it (fix the cause, then retry it: zkr prover --queue ... --retry-failed {b})");
                        reported_failure = Some((b, job.attempts));
                    }
                    head_blocked = true;
                }
                _ => head_blocked = true,
            }
        }
        if !progressed {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Ok(())
}
