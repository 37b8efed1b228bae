//! A prover worker (`zkr prover --queue ...`): claims jobs one at a time, proves each with the
//! keys of its shape (loaded from a key directory, or made by the deterministic dev setup and
//! cached there), and writes the proof or the error back.

use crate::{Claimed, FleetError, Queue};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use zkr_circuit::CircuitKind;
use zkr_prover::{KeyStore, Keys, proof_to_bytes, prove_circuit};

/// A worker's settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Its name in the queue (who picked a job).
    pub name: String,
    /// Where its keys are (or are made).
    pub keys_dir: PathBuf,
    /// How long to wait when no job is pending.
    pub poll: Duration,
    /// The lease of a claim: a claim whose worker has not renewed it for this long is put back
    /// (any worker requeues them); a proving worker renews it every third of it.
    pub job_timeout: Duration,
    /// Stop after this many jobs (`None`: run until stopped).
    pub max_jobs: Option<u64>,
}

/// The keys of every shape this worker has proven, loaded once.
#[derive(Default)]
struct KeyCache(HashMap<(usize, CircuitKind), Arc<Keys>>);

impl KeyCache {
    fn get(
        &mut self,
        store: &KeyStore,
        slots: usize,
        kind: CircuitKind,
    ) -> Result<Arc<Keys>, FleetError> {
        if let Some(k) = self.0.get(&(slots, kind)) {
            return Ok(k.clone());
        }
        let log = |msg: &str| tracing::info!(target: "zkr::fleet", "{msg}");
        let (keys, _) = store.load_or_dev_setup(slots, kind, &log)?;
        let keys = Arc::new(keys);
        self.0.insert((slots, kind), keys.clone());
        Ok(keys)
    }
}

/// Runs the worker until `stop` is set (it finishes the job in hand first) or it proved
/// `max_jobs`. Returns the number of jobs it proved. The database being unreachable is waited
/// out (logged, retried every few seconds), never a reason to exit.
pub async fn run(
    queue: Queue,
    config: WorkerConfig,
    mut stop: watch::Receiver<bool>,
) -> Result<u64, FleetError> {
    let store = KeyStore::new(config.keys_dir.clone());
    let mut keys = Some(KeyCache::default());
    let mut proved = 0u64;
    let lease = config.job_timeout;
    tracing::info!(target: "zkr::fleet", worker = %config.name, "worker started");
    while !*stop.borrow() && config.max_jobs.is_none_or(|m| proved < m) {
        let claimed = async {
            for batch in queue.requeue_stuck().await? {
                tracing::warn!(target: "zkr::fleet", batch, "a job's worker went silent: requeued");
            }
            queue.claim(&config.name, lease).await
        }
        .await;
        let claimed = match claimed {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(target: "zkr::fleet", worker = %config.name, error = %e, "the queue is unreachable; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(config.poll.max(Duration::from_secs(2))) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
        };
        let Some(claimed) = claimed else {
            tokio::select! {
                _ = tokio::time::sleep(config.poll) => {}
                _ = stop.changed() => {}
            }
            continue;
        };
        let Claimed {
            batch,
            attempt,
            job,
        } = claimed;
        tracing::info!(target: "zkr::fleet", worker = %config.name, batch, attempt, slots = job.slots, "proving");
        let started = Instant::now();
        // Renew the lease while the proof runs, so a slow proof is never taken for a dead worker.
        let beat = {
            let (queue, every) = (queue.clone(), lease / 3);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    match queue.heartbeat(batch, attempt, lease).await {
                        Ok(true) => {}
                        Ok(false) => break, // taken back: nothing to keep alive
                        Err(e) => {
                            tracing::warn!(target: "zkr::fleet", batch, error = %e, "heartbeat failed")
                        }
                    }
                }
            })
        };
        let mut cache = keys.take().unwrap_or_default();
        let store = store.clone();
        let (cache, result) = tokio::task::spawn_blocking(move || {
            let result = cache.get(&store, job.slots, job.kind).and_then(|k| {
                let proof = prove_circuit(&k, job.circuit()?, &zkr_prover::quiet)?;
                Ok(proof_to_bytes(&proof.proof))
            });
            (cache, result)
        })
        .await
        .map_err(|e| FleetError::Postgres(format!("the prover thread panicked: {e}")))?;
        keys = Some(cache);
        beat.abort();
        // The answer is written even if the database blinks: retried until it is taken or the
        // claim is known to be no longer ours.
        let mut tries = 0;
        loop {
            let written = match &result {
                Ok(proof) => queue.complete(batch, attempt, proof).await,
                Err(e) => queue.fail(batch, attempt, &e.to_string()).await,
            };
            match (written, &result) {
                (Ok(true), Ok(_)) => {
                    proved += 1;
                    tracing::info!(target: "zkr::fleet", worker = %config.name, batch, seconds = format!("{:.1}", started.elapsed().as_secs_f64()), "proved");
                }
                (Ok(true), Err(e)) => {
                    tracing::error!(target: "zkr::fleet", worker = %config.name, batch, error = %e, "proving failed");
                }
                (Ok(false), _) => {
                    tracing::warn!(target: "zkr::fleet", worker = %config.name, batch, "the job was taken back (lease ran out) before the answer: discarded");
                }
                (Err(e), _) if tries < 30 => {
                    tries += 1;
                    tracing::warn!(target: "zkr::fleet", worker = %config.name, batch, error = %e, "writing the answer failed; retrying");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
                (Err(e), _) => return Err(e),
            }
            break;
        }
    }
    Ok(proved)
}
