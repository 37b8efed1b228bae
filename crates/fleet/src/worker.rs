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
    /// A claim whose worker has not beaten for this long is put back (any worker requeues
    /// them); a proving worker beats every third of it.
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
/// `max_jobs`. Returns the number of jobs it proved.
pub async fn run(
    queue: Queue,
    config: WorkerConfig,
    mut stop: watch::Receiver<bool>,
) -> Result<u64, FleetError> {
    let store = KeyStore::new(config.keys_dir.clone());
    let mut keys = KeyCache::default();
    let mut proved = 0u64;
    tracing::info!(target: "zkr::fleet", worker = %config.name, "worker started");
    while !*stop.borrow() && config.max_jobs.is_none_or(|m| proved < m) {
        for batch in queue.requeue_stuck(config.job_timeout).await? {
            tracing::warn!(target: "zkr::fleet", batch, "a job's worker went silent: requeued");
        }
        let Some(claimed) = queue.claim(&config.name).await? else {
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
        // Beat while the proof runs, so a slow proof is never mistaken for a dead worker.
        let beat = {
            let (queue, every) = (queue.clone(), config.job_timeout / 3);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    match queue.heartbeat(batch, attempt).await {
                        Ok(true) => {}
                        Ok(false) => break, // taken back: nothing to keep alive
                        Err(e) => {
                            tracing::warn!(target: "zkr::fleet", batch, error = %e, "heartbeat failed")
                        }
                    }
                }
            })
        };
        let result = match keys.get(&store, job.slots, job.kind) {
            Ok(k) => tokio::task::spawn_blocking(move || {
                let circuit = job.circuit()?;
                let proof = prove_circuit(&k, circuit, &zkr_prover::quiet)?;
                Ok::<_, FleetError>(proof_to_bytes(&proof.proof))
            })
            .await
            .unwrap_or_else(|e| Err(FleetError::Postgres(format!("prover thread: {e}")))),
            Err(e) => Err(e),
        };
        beat.abort();
        match result {
            Ok(proof) => {
                if queue.complete(batch, attempt, &proof).await? {
                    proved += 1;
                    tracing::info!(target: "zkr::fleet", worker = %config.name, batch, seconds = format!("{:.1}", started.elapsed().as_secs_f64()), "proved");
                } else {
                    tracing::warn!(target: "zkr::fleet", worker = %config.name, batch, "the job was taken back (timed out) before the proof: discarded");
                }
            }
            Err(e) => {
                tracing::error!(target: "zkr::fleet", worker = %config.name, batch, error = %e, "proving failed");
                queue.fail(batch, attempt, &e.to_string()).await?;
            }
        }
    }
    Ok(proved)
}
